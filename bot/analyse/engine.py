"""The pure analysis: Go files (+ go.mod) in, classified directives and findings out."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.analyse.compile_rules import check_package
from bot.analyse.directives import Directive
from bot.analyse.emit import findings
from bot.analyse.link_rules import check_links
from bot.analyse.package import MARKER, Package, SourceFile, group_packages
from bot.analyse.signature_rules import Layouts
from bot.findings import Finding
from bot.golang.gomod import GoMod, parse_gomod
from bot.golang.source import package_clause
from bot.stdlib.facts import StdlibWindow
from bot.stdlib.layouts import load_layouts
from bot.versions import DEFAULT_PLATFORMS, default_window, labels


@dataclass(frozen=True)
class Workspace:
    """The files under review: repository-relative POSIX paths → bytes.

    ``files`` holds .go files and go.mod files. ``complete_dirs`` names the directories whose
    every .go file is present (None: all of them); elsewhere a missing local is not reported.
    ``assembly_dirs`` names directories with .s files.
    """

    files: Mapping[str, bytes]
    complete_dirs: frozenset[str] | None = None
    assembly_dirs: frozenset[str] = frozenset()

    def modules(self) -> dict[str, GoMod]:
        return {
            posixpath.dirname(p): parse_gomod(data.decode("utf-8", "replace"))
            for p, data in self.files.items()
            if posixpath.basename(p) == "go.mod"
        }


@dataclass
class Report:
    versions: tuple[int, ...]
    platforms: tuple[str, ...]
    directives: list[Directive] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "go": list(labels(self.versions)),
            "platforms": list(self.platforms),
            "directives": [d.to_json() for d in self.directives],
            "findings": [f.to_json() for f in self.findings],
        }


def module_of(directory: str, modules: Mapping[str, GoMod]) -> tuple[str, GoMod] | None:
    """The nearest enclosing module of a directory: (module root, go.mod)."""
    d = directory
    while True:
        if d in modules:
            return d, modules[d]
        if d in ("", "."):
            return None
        d = posixpath.dirname(d)


def import_path_for(directory: str, package: str, modules: Mapping[str, GoMod]) -> str:
    """The import path of a package; ``main`` for commands, ``…_test`` for external tests."""
    if package == "main":
        return "main"
    found = module_of(directory, modules)
    if found is None:
        path = directory or "."
    else:
        root, mod = found
        rel = posixpath.relpath(directory, root) if root else directory
        rel = "" if rel == "." else rel
        if mod.module in (None, "std", "cmd"):
            path = rel or (mod.module or ".")
        else:
            path = f"{mod.module}/{rel}" if rel else mod.module
    return path + "_test" if package.endswith("_test") else path


def window_for(workspace: Workspace) -> tuple[int, ...]:
    """From the root module's ``go`` line to the newest known version."""
    modules = workspace.modules()
    if not modules:
        return default_window(None)
    root = min(modules, key=lambda d: (d.count("/"), len(d)))
    return default_window(modules[root].go)


#: Whether the repository accepts a local signature standing in for a remote one in a Go version:
#: ``accepted(target, local, remote, minor)``.
AcceptedPairs = Callable[[str, str, str, int], bool]


def analyse(
    workspace: Workspace,
    versions: tuple[int, ...] | None = None,
    platforms: tuple[str, ...] | None = None,
    *,
    stdlib: StdlibWindow | None = None,
    accepted: AcceptedPairs | None = None,
    layouts: Layouts | None = None,
) -> Report:
    """Classify every directive and run the compile-level rules, and the link- and type-level
    rules when standard-library facts are given."""
    versions = versions or window_for(workspace)
    platforms = tuple(sorted(platforms or DEFAULT_PLATFORMS))
    modules = workspace.modules()
    window = (versions, platforms)
    go_files = [(p, data) for p, data in workspace.files.items() if p.endswith(".go")]
    with_linkname = {posixpath.dirname(p) for p, data in go_files if MARKER in data}
    sources = [
        SourceFile(p, data, window) for p, data in go_files if posixpath.dirname(p) in with_linkname
    ]
    packages = group_packages(
        sources,
        lambda f: package_clause(f.data),
        lambda d, name: import_path_for(d, name, modules),
    )
    report = Report(versions, platforms)
    for package in packages:
        if not package.directive_files():
            continue
        _annotate(package, workspace)
        found = modules_go_line(package, modules)
        result = check_package(package, found)
        report.directives += result.directives
        report.findings += result.findings
        report.findings += _parse_errors(package)
    if stdlib is not None:
        if layouts is None:
            layouts = load_layouts(tuple(stdlib), getattr(stdlib, "directory", None))
        repo = RepoPackages(workspace, packages, window, modules)
        report.findings += check_links(
            report.directives,
            stdlib,
            accepted,
            layouts=layouts,
            find_package=repo.find,
            reads=repo.reads,
        )
    report.directives.sort(key=lambda d: (d.path, d.line, d.column, min(d.configs)))
    report.findings.sort()
    return report


class RepoPackages:
    """The repository's packages by import path: those already grouped, and on demand the
    others the workspace has (their files parsed only when a type is looked up in them)."""

    def __init__(
        self,
        workspace: Workspace,
        packages: list[Package],
        window: tuple[tuple[int, ...], tuple[str, ...]],
        modules: Mapping[str, GoMod],
    ) -> None:
        self.workspace = workspace
        self.window = window
        self.modules = modules
        self.known: dict[str, Package] = {p.import_path: p for p in packages}
        self._dirs: dict[str, list[str]] | None = None
        self._missing: set[str] = set()
        self._selected: set[str] | None = None

    def find(self, import_path: str) -> Package | None:
        found = self.known.get(import_path)
        if found is not None or import_path in self._missing:
            return found
        self._missing.add(import_path)
        if self._dirs is None:
            self._dirs = {}
            for p in self.workspace.files:
                if p.endswith(".go") and not p.endswith("_test.go"):
                    self._dirs.setdefault(posixpath.dirname(p), []).append(p)
        for directory, paths in self._dirs.items():
            if not _may_be(directory, import_path):
                continue
            files = [SourceFile(p, self.workspace.files[p], self.window) for p in sorted(paths)]
            for pkg in group_packages(
                files,
                lambda f: package_clause(f.data),
                lambda d, name: import_path_for(d, name, self.modules),
            ):
                self.known.setdefault(pkg.import_path, pkg)
        return self.known.get(import_path)

    def reads(self, field: str) -> bool:
        """Whether some .go file under review selects a field of this name (``x.field``)."""
        if self._selected is None:
            self._selected = {
                m.group(1).decode()
                for p, data in self.workspace.files.items()
                if p.endswith(".go")
                for m in _SELECTOR.finditer(data)
            }
        return field in self._selected


_SELECTOR = re.compile(rb"\.\s*([A-Za-z_][A-Za-z0-9_]*)")


def _may_be(directory: str, import_path: str) -> bool:
    """A directory can hold the package only if the import path ends with its path (relative to
    a module root somewhere above it)."""
    tail = posixpath.basename(directory)
    return bool(tail) and (import_path == tail or import_path.endswith("/" + tail))


def _annotate(package: Package, workspace: Workspace) -> None:
    complete = workspace.complete_dirs
    package.complete = complete is None or package.directory in complete
    package.has_assembly = package.directory in workspace.assembly_dirs


def modules_go_line(package: Package, modules: Mapping[str, GoMod]) -> int | None:
    found = module_of(package.directory, modules)
    return found[1].go if found is not None else None


def _parse_errors(package: Package) -> list[Finding]:
    out: list[Finding] = []
    for f in package.directive_files():
        lines = f.parsed.error_lines
        if not lines:
            continue
        shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
        out += findings(
            "parse-error",
            f.path,
            lines[0],
            1,
            f"the Go parser could not fully read this file (line {shown}); directives and "
            "declarations in the unreadable parts may be missed",
            f.configs,
        )
    return out
