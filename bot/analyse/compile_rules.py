"""What ``cmd/compile`` says about each directive, in the order it checks.

Parse stage (noder.pragma): a directive after code is misplaced; a wrong field count is a usage
error. Then, per file (noder/writer.go): the file must import unsafe; the target must not be an
instantiation; the local must be a package-level func or var, linknamed once. A bodiless func
needs a linkname (or assembly) or the build fails with "missing function body".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from bot.analyse.directives import Directive, Resolution, resolve, to_directive
from bot.analyse.emit import findings
from bot.analyse.package import Package, SourceFile, word_pattern
from bot.findings import Finding, Severity
from bot.golang.directives import DirectiveText, NearMiss
from bot.golang.source import Decl
from bot.golang.syntax import parse
from bot.versions import Config

LINKNAMESTD_SINCE = 27


@dataclass
class PackageResult:
    directives: list[Directive] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def check_package(package: Package, go_line: int | None) -> PackageResult:
    out = PackageResult()
    resolutions: list[Resolution] = []
    directives: list[Directive] = []
    for f in package.directive_files():
        for d in f.parsed.directives:
            found = _check_directive(package, f, d, go_line, out)
            resolutions.extend(found)
            # at once, while the declaring file's syntax tree is still held (its signature)
            directives.extend(to_directive(package, r) for r in found)
    _check_duplicates(resolutions, out)
    out.directives += directives
    covered = _linknamed_decls(resolutions)
    for f in package.directive_files():
        for miss in f.parsed.near_misses:
            out.findings.extend(_ignored(package, f, miss, f.configs, covered))
    return out


def _check_directive(
    package: Package, f: SourceFile, d: DirectiveText, go_line: int | None, out: PackageResult
) -> list[Resolution]:
    configs = f.configs
    if not configs:
        return []
    name = d.fields[0]
    where = (f.path, d.line, d.column)
    if not d.alone_on_line:  # checked before the directive is read, whatever its name
        out.findings += findings(
            "misplaced-directive",
            *where,
            "misplaced compiler directive: a directive must be alone on its line; "
            "move it to a line of its own above the declaration",
            configs,
            target=d.target,
        )
        return []
    if d.std:
        ignored = frozenset(c for c in configs if c[0] < LINKNAMESTD_SINCE)
        if ignored:
            miss = NearMiss(
                d.line,
                d.column,
                "//" + " ".join(d.fields),
                f"//{name} is a directive only since Go 1.27",
                d.local,
            )
            out.findings.extend(_ignored(package, f, miss, ignored, set()))
        configs = configs - ignored
        if not configs:
            return []
    if not d.well_formed:
        out.findings += findings(
            "malformed-directive",
            *where,
            f"usage: //{name} localname [linkname]: the directive has {len(d.fields) - 1} "
            "arguments; write `//go:linkname local importpath.name` (a trailing comment "
            "counts as arguments)",
            configs,
        )
        return []
    if not f.parsed.imports_unsafe:
        out.findings += findings(
            "missing-unsafe-import",
            *where,
            f'//{name} only allowed in Go files that import "unsafe": add `import _ "unsafe"` '
            "to this file (an import in another file of the package does not count)",
            configs,
            target=d.target,
        )
        return []
    if d.target is not None and "[" in d.target and "]" in d.target:
        out.findings += findings(
            "instantiated-target",
            *where,
            f"//{name} reference of an instantiation is not allowed: `{d.target}` names a "
            "generic instantiation; link to a non-generic function instead",
            configs,
            target=d.target,
        )
        return []
    kept: list[Resolution] = []
    for r in resolve(package, f, d, configs):
        if r.decl is None or r.decl.object not in ("func", "var"):
            if package.complete and (go_line is None or go_line >= 18):
                out.findings += findings(
                    "unknown-local",
                    *where,
                    _unknown_local_message(f, d, r.decl),
                    r.configs,
                    target=d.target,
                )
            elif go_line is not None and (package.complete or r.decl is not None):
                out.directives.append(to_directive(package, r))
                out.findings += _inert(f, d, r, go_line)
            continue
        if r.decl.object == "func" and r.decl.generic and not r.decl.defined:
            out.findings += findings(
                "generic-local",
                *where,
                f"generic function is missing function body: `{d.local}` is generic; "
                "a linkname needs a non-generic declaration",
                r.configs,
                target=d.target,
            )
        elif r.decl.object == "func" and r.decl.generic and r.decl_file is not None:
            out.findings += _instantiation_failures(package, d, r)
        kept.append(r)
    return kept


def _inert(f: SourceFile, d: DirectiveText, r: Resolution, go_line: int) -> list[Finding]:
    """Measured (1.23, 1.27): with a go line below 1.18 the compiler accepts a directive whose
    local is not a package-level func or var, and ignores it; from go 1.18 it is an error."""
    what = f"a {r.decl.object}" if r.decl is not None else "not declared in this package"
    return findings(
        "inert-directive",
        f.path,
        d.line,
        d.column,
        f"the compiler reads this directive and ignores it: `{d.local}` is {what}, not a "
        f"package-level func or var, and go.mod says `go 1.{go_line}` (below 1.18 this builds "
        "and links nothing); raising the go line to 1.18 or later makes it a compile error: "
        f"//{d.fields[0]} must refer to declared function or variable",
        r.configs,
        target=d.target,
    )


def _instantiation_failures(package: Package, d: DirectiveText, r: Resolution) -> list[Finding]:
    """A generic local with a body fails to compile where its package instantiates it
    (measured: Go 1.21-1.26 crash with an internal compiler error, 1.27 says ``symbol …
    redeclared``); an instantiation only in the package's test files fails ``go test``."""
    assert r.decl_file is not None and r.decl is not None
    out: list[Finding] = []
    for test in (False, True):
        uses = _instantiations(package, r.decl_file, r.decl, d.local or "", test)
        if not uses:
            continue
        configs = r.configs & frozenset().union(*(f.configs for f, _ in uses))
        f, line = uses[0]
        out += findings(
            "generic-local",
            r.file.path,
            d.line,
            d.column,
            f"`{d.local}` is generic and this package instantiates it ({f.path}:{line}): the "
            "compiler fails on the linknamed instantiation (Go 1.21-1.26: internal compiler "
            f"error; Go 1.27: `symbol {d.target} redeclared`). Linkname a non-generic func, "
            "and call it from the generic one",
            configs,
            target=d.target,
            settings=("go test",) if test and not r.decl_file.is_test else (),
        )
        break
    return out


def _instantiations(
    package: Package, decl_file: SourceFile, decl: Decl, local: str, tests: bool
) -> list[tuple[SourceFile, int]]:
    """Where the package uses generic func ``local`` (file, line), in its non-test files (or,
    with ``tests``, its test files): any use of the name as an identifier, outside its own
    declaration's name, instantiates it (explicitly or by inference)."""
    pattern = word_pattern(local)
    out: list[tuple[SourceFile, int]] = []
    for f in package.files:
        if f.is_test != tests or pattern.search(f.data) is None:
            continue
        for node in _identifiers(parse(f.data).root_node, local.encode()):
            parent = node.parent
            own = (
                f is decl_file
                and parent is not None
                and parent.type == "function_declaration"
                and parent.child_by_field_name("name") == node
            )
            if not own:
                out.append((f, node.start_point[0] + 1))
                break
    return out


def _identifiers(root: Node, name: bytes) -> Iterator[Node]:
    """Every ``identifier`` node spelled ``name``, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and node.text == name:
            yield node
        stack.extend(reversed(node.children))


def _unknown_local_message(f: SourceFile, d: DirectiveText, decl: Decl | None) -> str:
    head = f"//{d.fields[0]} must refer to declared function or variable: "
    if decl is not None:
        return head + (
            f"`{d.local}` is a {decl.object}; only package-level funcs and vars can be linknamed"
        )
    if d.local == "init":
        return head + "init functions are not declared in package scope; linkname another func"
    if any(m.name == d.local for m in f.parsed.methods):
        return head + (
            f"`{d.local}` is a method; declare a package-level func that takes "
            "the receiver as its first parameter"
        )
    return head + (
        f"there is no package-level func or var `{d.local}` in this package; "
        "declare it (e.g. `func " + f"{d.local}()` without a body for a pull)"
    )


def _check_duplicates(resolutions: list[Resolution], out: PackageResult) -> None:
    """The second directive for the same object is an error, in every config where both build."""
    first: dict[tuple[Config, str, int], Resolution] = {}
    dups: dict[int, set[Config]] = defaultdict(set)
    order = sorted(
        range(len(resolutions)), key=lambda i: (resolutions[i].file.name, resolutions[i].text.line)
    )
    for i in order:
        r = resolutions[i]
        assert r.decl_file is not None and r.decl is not None
        for c in r.configs:
            key = (c, r.decl_file.path, r.decl.line)
            if key in first:
                dups[i].add(c)
            else:
                first[key] = r
    for i, configs in sorted(dups.items()):
        r = resolutions[i]
        out.findings += findings(
            "duplicate-directive",
            r.file.path,
            r.text.line,
            r.text.column,
            f"duplicate //{r.text.fields[0]} for {r.text.local}: keep one directive per local name",
            configs,
            target=r.text.target,
        )


def _linknamed_decls(resolutions: list[Resolution]) -> set[tuple[Config, str, int]]:
    out: set[tuple[Config, str, int]] = set()
    for r in resolutions:
        if r.decl_file is not None and r.decl is not None:
            out.update((c, r.decl_file.path, r.decl.line) for c in r.configs)
    return out


def _ignored(
    package: Package,
    f: SourceFile,
    miss: NearMiss,
    configs: frozenset[Config],
    covered: set[tuple[Config, str, int]],
) -> list[Finding]:
    """A near miss fails the build where its func has no body and nothing else links it."""
    local = miss.local or _declared_below(f, miss.line)
    failing: set[Config] = set()
    for c in configs:
        hit = package.lookup(local, c, f) if local else None
        if hit is None:
            continue
        decl_file, decl = hit
        bodiless = decl.object == "func" and not decl.defined
        if bodiless and not package.has_assembly and (c, decl_file.path, decl.line) not in covered:
            failing.add(c)
    base = f"the compiler silently ignores this comment ({miss.why})"
    fix = "; write `//go:linkname local target` with no space after // and one space after it"
    out = findings(
        "ignored-directive",
        f.path,
        miss.line,
        miss.column,
        f'{base}: `{local}` has no body, so the build fails with "missing function body"{fix}',
        failing,
        severity=Severity.ERROR,
    )
    rest = configs - failing
    out += findings("ignored-directive", f.path, miss.line, miss.column, base + fix, rest)
    return out


def _declared_below(f: SourceFile, line: int) -> str | None:
    """The declaration a local-less near miss (a bare ``//go:linkname``) sits on, if any.

    That is the nearest package-level declaration below it, with only comments or blank lines
    in between.
    """
    below = [d for d in f.parsed.decls.values() if d.line > line]
    if not below:
        return None
    decl = min(below, key=lambda d: d.line)
    between = f.data.split(b"\n")[line : decl.line - 1]
    if all(not s.strip() or s.strip().startswith(b"//") for s in between):
        return decl.name
    return None
