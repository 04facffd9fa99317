"""Pulls that nothing refers to: the linker has nothing to refuse, resolve or call.

Measured with ``go build`` 1.21–1.27 (``tests/test_dormant_pulls.py``): the local of a pull
that no code refers to leaves no reference in the object file, so a program that links its
package neither fails with ``invalid reference to …`` (1.23+) nor with ``relocation target …
not defined``, and a call through a mismatched signature never happens. One reference in
compiled code, even in a function nothing calls, is enough for the linker to refuse the pull.

So an error of those rules on such a pull becomes a warning that says why it builds today and
what the first reference will do. It is claimed only when it is certain: an unexported name,
every file of its directory at hand, no assembly there (a ``.s`` file may call it), and in
every file that contains the name, parsed without errors, the name only where a declaration
names it, as a whole value of a package-level ``var _ = …`` (which the compiler drops), or in
comments and strings.

The package's object file can still refer to the *target* without naming the local: a call the
compiler inlines (``runtime.NumGoroutine`` is ``return int(gcount())``) or a runtime call the
compiler inserts (``runtime.racefuncenter`` under ``-race``). That reference carries the pull's
linkname flag, and the linker refuses it (measured: ``tests/test_inlined_refs.py``). So for
``invalid-reference`` the inlining facts (``bot.stdlib.inlining``) decide, per Go version:
a package that calls a carrier whose own body refers to the target keeps the error; a target
some call may carry, or that the facts did not measure, gets a warning that says so; only a
target nothing carries "links today".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Protocol

from tree_sitter import Node

from bot.analyse.configs import rectangles
from bot.analyse.package import Package, word_pattern
from bot.findings import Directive, Finding, Related, Severity
from bot.golang.symbols import split_symbol
from bot.golang.syntax import parse
from bot.versions import Config

#: The rules whose error needs the local referenced: the linker checks references, a
#: mismatched signature matters only in a call.
NEEDS_A_REFERENCE = frozenset({"invalid-reference", "undefined-target", "signature-mismatch"})

_DECLARING = {
    "function_declaration": "name",
    "var_spec": "name",
    "const_spec": "name",
}


def refers_to(source: bytes, name: str) -> bool:
    """Whether Go ``source`` may refer to the package-level ``name``: an identifier spelling it
    anywhere but as a declared name. A file the parser cannot fully read may (True)."""
    lines = references(source, name)
    return lines is None or bool(lines)


def references(source: bytes, name: str) -> list[int] | None:
    """The lines where ``source`` refers to ``name`` (see ``refers_to``); None when the parser
    cannot fully read the file, so that any mention may be one."""
    matches = list(word_pattern(name).finditer(source))
    if not matches:
        return []
    root = parse(source).root_node
    if root.has_error:
        return None
    found = []
    for m in matches:
        node = root.descendant_for_byte_range(m.start(), m.end())
        if node is None:
            return None
        if node.type == "identifier" and not _declared_name(node) and not _blank_value(node):
            found.append(node.start_point[0] + 1)
    return found


def _blank_value(node: Node) -> bool:
    """``node`` is a whole value of a package-level ``var _ = …``: measured (1.21–1.27), the
    compiler drops such a spec and the object file keeps no reference (``var _ = f`` is how
    code keeps a linter from calling ``f`` unused). Inside a function ``_ = f`` is kept."""
    values = node.parent
    spec = values.parent if values is not None else None
    if values is None or values.type != "expression_list" or spec is None:
        return False
    if spec.type != "var_spec" or spec.child_by_field_name("value") != values:
        return False
    if any(name.text != b"_" for name in spec.children_by_field_name("name")):
        return False
    holder = spec.parent
    if holder is not None and holder.type == "var_spec_list":
        holder = holder.parent
    return holder is not None and holder.parent is not None and holder.parent.type == "source_file"


def _declared_name(node: Node) -> bool:
    parent = node.parent
    if parent is None or parent.type not in _DECLARING:
        return False
    return any(n == node for n in parent.children_by_field_name(_DECLARING[parent.type]))


Referrers = Literal["nothing", "tests", "code"]


def referrers(package: Package, local: str) -> Referrers:
    """What refers to the package's ``local``: ``nothing`` (see the module docstring), only its
    ``tests`` (``go test`` links them, a program does not), or ``code`` (or it cannot be told:
    an exported name, a directory not seen whole, assembly)."""
    if not package.complete or package.has_assembly or not local or local[0].isupper():
        return "code"
    found = [f for f in package.files if refers_to(f.data, local)]
    if not found:
        return "nothing"
    return "tests" if all(f.is_test for f in found) else "code"


def unreferenced(package: Package, local: str) -> bool:
    """Whether nothing can refer to the package's ``local`` (see the module docstring)."""
    return referrers(package, local) == "nothing"


class InlineFacts(Protocol):
    """What ``bot.stdlib.inlining.Inlined`` answers."""

    def carriers(self, minor: int, symbol: str) -> tuple[tuple[str, int], ...] | None: ...

    def compiler_calls(self, minor: int, symbol: str) -> bool | None: ...


def quiet_unreferenced_pulls(
    found: Iterable[Finding],
    directives: Sequence[Directive],
    package_of: Callable[[str], Package | None],
    inlined: InlineFacts | None = None,
) -> list[Finding]:
    """``found``, with each error of ``NEEDS_A_REFERENCE`` on a pull nothing refers to made a
    warning that says so (where no inlined or inserted call may refer to the target: see the
    module docstring), and on a pull only tests refer to narrowed to ``go test``
    (``package_of``: the package of a directive's file)."""
    pulls = {(d.path, d.line, d.column): d for d in directives if d.kind == "pull"}
    answers: dict[tuple[str, int, int], Referrers] = {}
    out: list[Finding] = []
    for f in found:
        place = (f.path, f.line, f.column)
        d = pulls.get(place)
        if f.severity is not Severity.ERROR or f.rule not in NEEDS_A_REFERENCE or d is None:
            out.append(f)
            continue
        package = package_of(d.path)
        if place not in answers:
            answers[place] = "code" if package is None else referrers(package, d.local)
        if answers[place] == "nothing" and package is not None:
            out += _unreferenced(f, d.local, package, inlined)
        elif answers[place] == "tests" and "go test" not in f.settings:
            out.append(
                replace(
                    f,
                    settings=tuple(sorted({*f.settings, "go test"})),
                    message=f"{f.message} (only in go test: only tests refer to `{d.local}`)",
                )
            )
        else:
            out.append(f)
    return out


@dataclass(frozen=True)
class _Carried:
    """How a Go version's object file of the package may refer to a pull's target."""

    fails: tuple[str, str, int] | None = None  # (carrier, path, line) of a call to it
    maybe: str | None = None  # why a reference may exist, or None: it cannot


def _unreferenced(
    f: Finding, local: str, package: Package, inlined: InlineFacts | None
) -> list[Finding]:
    """``f`` on a pull whose local nothing refers to: per Go version and port, the error kept
    where a call the package makes carries a reference to the target, else a warning."""
    if f.rule != "invalid-reference" or f.target is None:
        return [replace(f, severity=Severity.WARNING, message=_dormant(f, local))]
    groups: dict[_Carried, set[Config]] = {}
    for minor, platform in sorted(f.configs):
        carried = _carried(f.target, minor, platform, package, inlined)
        groups.setdefault(carried, set()).add((minor, platform))
    out = []
    for carried, configs in groups.items():
        for go, platforms in rectangles(configs):
            part = replace(f, go=go, platforms=platforms)
            out.append(_graded(part, local, carried))
    return out


def _graded(f: Finding, local: str, carried: _Carried) -> Finding:
    if carried.fails is not None:
        carrier, path, line = carried.fails
        note = f"`{carrier}`, called at {path}:{line}, is inlined with a reference to it"
        related = Related(path, line, message=f"`{carrier}` refers to `{f.target}`")
        return replace(f, message=f"{f.message} ({note})", related=(*f.related, related))
    if carried.maybe is not None:
        message = (
            f"nothing refers to `{local}` yet, so this links unless {carried.maybe}; "
            f"once code refers to it: {f.message}"
        )
        return replace(f, severity=Severity.WARNING, message=message)
    return replace(f, severity=Severity.WARNING, message=_dormant(f, local))


def _carried(
    target: str, minor: int, platform: str, package: Package, inlined: InlineFacts | None
) -> _Carried:
    carriers = inlined.carriers(minor, target) if inlined is not None else None
    compiler = inlined.compiler_calls(minor, target) if inlined is not None else None
    if carriers is None or compiler is None:
        why = f"an inlined call refers to `{target}` (not measured for Go 1.{minor})"
        return _Carried(maybe=why)
    direct = {c for c, depth in carriers if depth == 1}
    call = _call_to(package, direct, minor, platform)
    if call is not None:
        return _Carried(fails=call)
    if carriers:
        names = ", ".join(f"`{c}`" for c, _ in carriers[:3])
        more = " and others do" if len(carriers) > 3 else " do" if len(carriers) > 1 else " does"
        why = f"a call the compiler inlines refers to `{target}` ({names}{more})"
        return _Carried(maybe=why)
    if compiler:
        return _Carried(maybe=f"code the compiler generates calls `{target}` itself")
    return _Carried()


def _call_to(
    package: Package, carriers: set[str], minor: int, platform: str
) -> tuple[str, str, int] | None:
    """A call to one of the package-level ``carriers`` in a file of the package that a plain
    build (no tags or settings) of Go 1.``minor`` compiles for ``platform``:
    (carrier, path, line)."""
    wanted: dict[tuple[str, str], str] = {}
    for carrier in carriers:
        path, name = split_symbol(carrier)
        if name.isidentifier():  # a package-level func, not a method
            wanted[(path, name)] = carrier
    if not wanted:
        return None
    for file in package.files:
        if file.is_test or not any(name.encode() in file.data for _, name in wanted):
            continue
        if file.settings_in((minor,), (platform,)).get((minor, platform)) != ():
            continue  # not compiled there, or only with a tag or setting
        imports = tuple(sorted(file.parsed.imports.items()))
        for line_no, path, name in _qualified_calls(file.data, imports):
            if (path, name) in wanted:
                return wanted[(path, name)], file.path, line_no
    return None


@lru_cache(maxsize=64)
def _qualified_calls(
    source: bytes, imports: tuple[tuple[str, str], ...]
) -> tuple[tuple[int, str, str], ...]:
    """``(line, import path, name)`` of each call ``pkg.Name(…)`` in ``source`` whose ``pkg``
    names one of ``imports`` (local name, path)."""
    paths = dict(imports)
    root = parse(source).root_node
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "selector_expression":
            continue
        operand = callee.child_by_field_name("operand")
        field = callee.child_by_field_name("field")
        if operand is None or field is None or operand.type != "identifier":
            continue
        alias = operand.text.decode() if operand.text else ""
        if alias in paths and field.text:
            found.append((node.start_point[0] + 1, paths[alias], field.text.decode()))
    return tuple(sorted(found))


def _dormant(f: Finding, local: str) -> str:
    if f.rule == "signature-mismatch":
        return f"nothing refers to `{local}` yet, so nothing calls it; once code does: {f.message}"
    return (
        f"nothing refers to `{local}` yet, so this links today; once code refers to it: {f.message}"
    )
