"""Pulls of symbols outside the standard library that nothing can define.

The linker resolves a bodiless linknamed func by name; when no object of the program defines
the name the link fails with ``relocation target X not defined`` (measured 1.21-1.27, see
``tests/test_oracle_truth.py``). Outside the standard library only the repository and its
dependencies can define a symbol, so a pull is certainly undefined when its target is

* in one of the repository's own packages, which has no func of that name with a body, and no
  package of the repository pushes a body onto the name (``main.nanotime``; a one-argument
  receive in a command nobody pushes, when the module has no requirements: a dependency may push
  onto a receive, as golang.org/x/net/http3 does onto net/http's test package, and so may a
  library's importer);
* an unqualified name (no package path) that the standard library does not define
  (``bot.stdlib.std_names``) and no push, assembly or cgo of the repository can define (with
  go.mod requirements, a dependency might: "not verified");
* in a package neither in the module nor among its go.mod requirements.

A pull of a name the repository pushes a body onto is defined, even in a standard-library
namespace (``runtime.getgp``): ``bot.analyse.link_rules`` is told so. Where the review cannot see
every package (a pull request fetched in part), or a package has assembly that may define the
name, the verdict is "not verified" (a warning) or nothing, never a guess. Var pulls are left
out: a var nothing defines links and reads zero (measured), which is what a receive var may
intend.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from bot.analyse.directives import Directive
from bot.analyse.emit import findings
from bot.analyse.files import header_of
from bot.findings import Finding, Severity
from bot.golang.gomod import GoMod
from bot.golang.source import GoFile, package_clause, read_file
from bot.golang.symbols import split_symbol
from bot.stdlib.std_names import UNQUALIFIED_NAMES

_CGO_MARKERS = (b'import "C"', b"cgo_import_dynamic")


def defined_by_repository(directives: Iterable[Directive]) -> frozenset[str]:
    """Symbols the repository's own directives define: bodies (and initialised vars) pushed
    under a name, and exported definitions."""
    return frozenset(d.target for d in directives if d.kind in ("push", "export"))


@dataclass
class RepoView:
    """What the repository holds: its .go files, go.mod files and directories with assembly."""

    files: Mapping[str, bytes]
    modules: Mapping[str, GoMod]
    import_path: Callable[[str, str], str]  # (directory, package name) → import path
    complete_dirs: frozenset[str] | None
    assembly_dirs: frozenset[str]
    full_tree: bool
    _parsed: dict[str, GoFile] = field(default_factory=dict)

    @cached_property
    def package_dirs(self) -> dict[str, set[str]]:
        """Import path → the directories of the repository holding that package."""
        out: dict[str, set[str]] = {}
        paths: dict[tuple[str, str], str] = {}  # (directory, package name) → import path
        for path in self.files:
            if not path.endswith(".go") or path.endswith("_test.go"):
                continue
            name = package_clause(header_of(self.files, path))
            if name is None:
                continue
            directory = posixpath.dirname(path)
            key = (directory, name)
            if key not in paths:
                paths[key] = self.import_path(directory, name)
            out.setdefault(paths[key], set()).add(directory)
        return out

    @cached_property
    def uses_cgo(self) -> bool:
        return any(m in data for data in self.files.values() for m in _CGO_MARKERS)

    def complete(self, directory: str) -> bool:
        return self.complete_dirs is None or directory in self.complete_dirs

    def defines(self, directory: str, name: str) -> bool:
        """A non-test file of ``directory`` declares func ``name`` with a body, a var ``name``,
        or method ``T.m``/``(*T).m`` with a body."""
        receiver, _, method = name.rpartition(".")
        for path in self.files:
            if posixpath.dirname(path) != directory or not path.endswith(".go"):
                continue
            data = self.files[path]
            if path.endswith("_test.go") or (method or name).encode() not in data:
                continue
            f = self._parsed.get(path)
            if f is None:
                f = self._parsed[path] = read_file(path, data)
            if not receiver:
                decl = f.decls.get(name)
                if decl is not None and decl.object == "func" and decl.defined:
                    return True
            elif any(m.symbol_suffix == name and m.defined for m in f.methods):
                return True
        return False

    def module_of(self, directory: str) -> GoMod | None:
        d = directory
        while True:
            if d in self.modules:
                return self.modules[d]
            if d in ("", "."):
                return None
            d = posixpath.dirname(d)

    def in_some_module(self, import_path: str) -> bool:
        return any(
            m.module and (import_path == m.module or import_path.startswith(m.module + "/"))
            for m in self.modules.values()
        )


def check_repo_targets(
    directives: Sequence[Directive],
    repo: RepoView,
    std_packages: frozenset[str] | None,
) -> list[Finding]:
    """``undefined-target`` for func pulls of names nothing in reach can define (see above).

    ``std_packages``: every standard-library package of the window (None without facts: only
    paths whose first element has a dot are then known not to be std).
    """
    defined = defined_by_repository(directives)
    out: list[Finding] = []
    for d in directives:
        if d.kind not in ("pull", "receive") or d.object != "func" or not d.configs:
            continue
        if d.target in defined:
            continue
        package, name = split_symbol(d.target)
        if _maybe_std(package, std_packages, repo):
            continue
        verdict = _verdict(d, package, name, repo)
        if verdict is None:
            continue
        why, certain = verdict
        effect = (
            f"a program that calls `{d.local}` fails to link with `relocation target "
            f"{d.target} not defined`"
        )
        if certain:
            message = f"{why}: {effect}"
            severity = Severity.ERROR
        else:
            message = (
                f"not verified: {why} among the packages this review sees, but it does not "
                f"see the whole repository; if nothing else defines it, {effect}"
            )
            severity = Severity.WARNING
        out += findings(
            "undefined-target",
            d.path,
            d.line,
            d.column,
            message,
            d.configs,
            target=d.target,
            severity=severity,
        )
    return out


def _maybe_std(package: str, std_packages: frozenset[str] | None, repo: RepoView) -> bool:
    if not package or package == "main" or package.endswith("_test"):
        return False
    if std_packages is not None:
        return package in std_packages
    if package in repo.package_dirs or repo.in_some_module(package):
        return False
    return "." not in package.split("/", 1)[0]


def _verdict(d: Directive, package: str, name: str, repo: RepoView) -> tuple[str, bool] | None:
    """(why nothing defines it, certain) or None when something may."""
    directory = posixpath.dirname(d.path)
    if package.endswith("_test"):
        return None  # an external test package: defined, or not, by test files and their deps
    if not package:
        if d.target in UNQUALIFIED_NAMES or repo.assembly_dirs or repo.uses_cgo:
            return None  # std, an assembly TEXT or a C symbol may carry the bare name
        mod = repo.module_of(directory)
        why = (
            f"`{d.target}` has no package path, the standard library does not define it, and "
            "no push, assembly or cgo of this repository does; write the target as "
            "`importpath.name`"
        )
        if mod is not None and mod.requires:
            why += " (a dependency might define it)"
        alone = mod is not None and mod.module is not None and not mod.requires
        return why, repo.full_tree and alone
    if package == "main":
        if d.package != "main":
            return None  # defined, or not, by whichever command links this package
        dirs = {directory}
    else:
        dirs = repo.package_dirs.get(package, set())
    if dirs:
        if any(dd in repo.assembly_dirs for dd in dirs):
            return None  # the package's assembly may define it
        if not all(repo.complete(dd) for dd in dirs):
            return None  # some of its files are not in sight
        if any(repo.defines(dd, name) for dd in dirs):
            return None
        mod = repo.module_of(directory)
        if d.kind == "receive" and (package != "main" or mod is None or mod.requires):
            # A receive waits for a push: a dependency may make it (x/net's http3 pushes onto
            # net/http_test's receives), and so may a library's importer; only a command with
            # no requirements has nobody else. handshake-incomplete says what is missing.
            return None
        where = "this package" if package == d.package else f"package {package}"
        why = (
            f"nothing in this repository defines `{d.target}`: {where} has no func `{name}` "
            "with a body and no package pushes one under that name"
        )
        return why, repo.full_tree
    if not repo.full_tree:
        return None  # the package may be among those this review does not see
    if repo.in_some_module(package):
        why = f"package {package} is in this repository's module but does not exist"
        return why, repo.full_tree
    mod = repo.module_of(directory)
    if mod is None or mod.module is None or mod.go is None or mod.go < 17:
        return None  # GOPATH mode, or a go.mod that need not list indirect requirements
    if mod.provides(package):
        return None  # a dependency may define it
    why = (
        f"package {package} is neither in module {mod.module} nor among its go.mod "
        "requirements, so no build of it contains the symbol"
    )
    return why, repo.full_tree
