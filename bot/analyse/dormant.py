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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Literal

from tree_sitter import Node

from bot.analyse.package import Package, word_pattern
from bot.findings import Directive, Finding, Severity
from bot.golang.syntax import parse

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


def quiet_unreferenced_pulls(
    found: Iterable[Finding],
    directives: Sequence[Directive],
    package_of: Callable[[str], Package | None],
) -> list[Finding]:
    """``found``, with each error of ``NEEDS_A_REFERENCE`` on a pull nothing refers to made a
    warning that says so, and on a pull only tests refer to narrowed to ``go test``
    (``package_of``: the package of a directive's file)."""
    pulls = {(d.path, d.line, d.column): d for d in directives if d.kind == "pull"}
    answers: dict[tuple[str, int, int], Referrers] = {}
    out: list[Finding] = []
    for f in found:
        place = (f.path, f.line, f.column)
        d = pulls.get(place)
        if f.severity is Severity.ERROR and f.rule in NEEDS_A_REFERENCE and d is not None:
            if place not in answers:
                package = package_of(d.path)
                answers[place] = "code" if package is None else referrers(package, d.local)
            if answers[place] == "nothing":
                f = replace(f, severity=Severity.WARNING, message=_dormant(f, d.local))
            elif answers[place] == "tests" and "go test" not in f.settings:
                f = replace(
                    f,
                    settings=tuple(sorted({*f.settings, "go test"})),
                    message=f"{f.message} (only in go test: only tests refer to `{d.local}`)",
                )
        out.append(f)
    return out


def _dormant(f: Finding, local: str) -> str:
    if f.rule == "signature-mismatch":
        return f"nothing refers to `{local}` yet, so nothing calls it; once code does: {f.message}"
    return (
        f"nothing refers to `{local}` yet, so this links today; once code refers to it: {f.message}"
    )
