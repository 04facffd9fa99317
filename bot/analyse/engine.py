"""The pure analysis: Go files (+ go.mod) in, classified directives and findings out."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.analyse.compile_rules import check_package
from bot.analyse.configs import rectangles
from bot.analyse.coverage import outside_window, split_by_facts, widen
from bot.analyse.dormant import quiet_unreferenced_pulls
from bot.analyse.emit import findings
from bot.analyse.field_reads import mentions, owners_of_reads
from bot.analyse.files import marked_paths
from bot.analyse.link_rules import check_links
from bot.analyse.package import Package, SourceFile, group_packages
from bot.analyse.repo_links import RepoView, check_repo_targets, defined_by_repository
from bot.analyse.result_uses import mentions_name, uses_results
from bot.analyse.signature_rules import Layouts
from bot.findings import Directive, Finding, Report, Severity
from bot.golang.constraints import setting_phrase
from bot.golang.gomod import GoMod, parse_gomod
from bot.golang.source import package_clause
from bot.golang.symbols import split_symbol
from bot.stdlib.facts import StdlibWindow, registry_dir
from bot.stdlib.inlining import inlined
from bot.stdlib.layouts import load_layouts
from bot.versions import (
    DEFAULT_PLATFORMS,
    KNOWN_VERSIONS,
    Config,
    default_window,
    parse_version,
)

__all__ = [
    "PackageRunner",
    "PackageVerdict",
    "Report",
    "Workspace",
    "analyse",
    "import_path_for",
    "judge_package",
    "judge_serially",
    "module_of",
    "window_for",
    "with_settings",
]


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
            posixpath.dirname(p): parse_gomod(self.files[p].decode("utf-8", "replace"))
            for p in self.files
            if posixpath.basename(p) == "go.mod"
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


def window_for(workspace: Workspace, known: Sequence[int] = KNOWN_VERSIONS) -> tuple[int, ...]:
    """From the root module's ``go`` line to the newest version of ``known`` (the versions the
    standard-library facts have)."""
    modules = workspace.modules()
    if not modules:
        return default_window(None, known)
    root = min(modules, key=lambda d: (d.count("/"), len(d)))
    return default_window(modules[root].go, known)


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
    tags: frozenset[str] = frozenset(),
    full_tree: bool = True,
    layouts: Layouts | None = None,
    run_packages: PackageRunner | None = None,
) -> Report:
    """Classify every directive and run the compile-level rules, and the link- and type-level
    rules when standard-library facts are given.

    A finding in a file that builds only with settings beyond a plain ``go build`` names them
    (``Finding.settings``, and the message); with a custom tag the repository does not declare
    (``tags``, the policy's ``tags:``) an error becomes a warning. ``full_tree``: the
    workspace holds every package of the repository (else a pull nothing in sight defines is
    "not verified"). ``run_packages`` judges the packages (default: ``judge_serially``)."""
    versions = versions or window_for(workspace)
    platforms = tuple(sorted(platforms or DEFAULT_PLATFORMS))
    modules = workspace.modules()
    window = (versions, platforms)
    run_packages = run_packages or judge_serially
    go_files = [p for p in workspace.files if p.endswith(".go")]
    with_linkname = {posixpath.dirname(p) for p in marked_paths(workspace.files, go_files)}
    sources = [
        SourceFile(p, workspace.files[p], window)
        for p in go_files
        if posixpath.dirname(p) in with_linkname
    ]
    packages = group_packages(
        sources,
        lambda f: package_clause(f.data),
        lambda d, name: import_path_for(d, name, modules),
    )
    report = Report(versions, platforms)
    marked = [p for p in packages if p.directive_files()]
    for package in marked:
        _annotate(package, workspace)
    judge = functools.partial(judge_package, modules=modules, versions=versions)
    for package, verdict in zip(marked, run_packages(marked, judge), strict=True):
        report.directives += verdict.directives
        report.findings += verdict.findings
        for f in package.files:
            if f.scope != verdict.scope:  # judged in another process: widen's scope comes back
                f.rescope(verdict.scope)
    report.platforms = _analysed_platforms(platforms, report)
    by_path = {f.path: f for package in packages for f in package.files}
    runtime_cgo = {
        f.path
        for package in packages
        if any(b'"runtime/cgo"' in g.data for g in package.files)
        for f in package.files
    }
    std_packages: frozenset[str] | None = None
    if stdlib is not None:
        std_packages = frozenset().union(*(stdlib[v].packages for v in stdlib))
        # A package some registry version has is std even where the window lacks it (moved).
        std_packages |= {
            split_symbol(d.target)[0]
            for d in report.directives
            if any(stdlib[v].in_any_version(d.target) for v in stdlib)
        }
        if layouts is None:
            layouts = load_layouts(tuple(stdlib), getattr(stdlib, "directory", None))
        found_in_repo = RepoPackages(workspace, packages, window, modules)
        # Link- and type-level rules where the facts describe the port, a notice elsewhere.
        judged, unchecked = split_by_facts(report.directives, stdlib)
        report.findings += unchecked
        report.findings += check_links(
            judged,
            stdlib,
            accepted,
            workspace.files,
            defined_here=defined_by_repository(report.directives),
            cgo_possible=lambda path: path not in by_path or by_path[path].allows("cgo"),
            imports_runtime_cgo=lambda path: path in runtime_cgo,
            layouts=layouts,
            find_package=found_in_repo.find,
            uses=found_in_repo,
        )
    repo = RepoView(
        workspace.files,
        modules,
        lambda d, name: import_path_for(d, name, modules),
        workspace.complete_dirs,
        workspace.assembly_dirs,
        full_tree,
    )
    report.findings += check_repo_targets(report.directives, repo, std_packages)
    package_of = {f.path: package for package in packages for f in package.files}
    facts_dir = getattr(stdlib, "directory", None)
    report.findings = quiet_unreferenced_pulls(
        report.findings,
        report.directives,
        package_of.get,
        inlined(facts_dir if isinstance(facts_dir, Path) else registry_dir()),
    )
    report.settings = FileSettings(by_path)
    report.findings = with_settings(report.findings, report.settings, tags)
    report.directives.sort(
        key=lambda d: (d.path, d.line, d.column, min(d.configs, default=(0, "")))
    )
    report.findings.sort()
    return report


@dataclass
class PackageVerdict:
    """What the compile-level rules say of one package's directives, and the scope ``widen``
    gave its files (None: the window)."""

    directives: list[Directive]
    findings: list[Finding]
    scope: tuple[tuple[int, ...], tuple[str, ...]] | None


def judge_package(
    package: Package, *, modules: Mapping[str, GoMod], versions: tuple[int, ...]
) -> PackageVerdict:
    """Widen the package's scope, then run the compile-level rules on its directives: a
    function of the package alone, so packages can be judged in any order or process."""
    widen(package)
    result = check_package(package, modules_go_line(package, modules))
    outside = outside_window(package, versions)
    return PackageVerdict(
        result.directives + outside.directives,
        result.findings + _parse_errors(package) + outside.findings,
        package.files[0].scope,
    )


PackageJudge = Callable[[Package], PackageVerdict]
#: Judges every package with the judge given; the verdicts in the packages' order.
PackageRunner = Callable[[Sequence[Package], PackageJudge], Sequence[PackageVerdict]]


def judge_serially(packages: Sequence[Package], judge: PackageJudge) -> list[PackageVerdict]:
    """One package after the other, in this process."""
    return [judge(p) for p in packages]


class FileSettings(Mapping[str, Mapping[Config, tuple[str, ...]]]):
    """path → ``SourceFile.settings()`` of the analysed files, each worked out when it is asked
    for: only the files with findings are (the build-constraint solving is the cost)."""

    def __init__(self, files: Mapping[str, SourceFile]) -> None:
        self._files = files

    def __getitem__(self, path: str) -> Mapping[Config, tuple[str, ...]]:
        return self._files[path].settings()

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def with_settings(
    found: list[Finding],
    files: Mapping[str, Mapping[Config, tuple[str, ...]]],
    tags: frozenset[str],
) -> list[Finding]:
    """Split each finding by the build settings its file needs in each of its configurations."""
    out: list[Finding] = []
    for f in found:
        source = files.get(f.path)
        if source is None or not f.go:
            out.append(f)
            continue
        groups: dict[tuple[str, ...], set[Config]] = {}
        for go in f.go:
            for platform in f.platforms:
                config = (parse_version(go), platform)
                needed = source.get(config, ())
                merged = tuple(sorted(set(f.settings) | set(needed)))
                groups.setdefault(merged, set()).add(config)
        if list(groups) == [f.settings]:
            out.append(f)
            continue
        for settings, configs in sorted(groups.items()):
            out += _in_settings(f, settings, configs, tags)
    return out


def _in_settings(
    f: Finding, settings: tuple[str, ...], configs: set[Config], tags: frozenset[str]
) -> list[Finding]:
    message, severity = f.message, f.severity
    if settings:
        message += f" (only {' and '.join(setting_phrase(s) for s in settings)})"
    undeclared = [s[4:] for s in settings if s.startswith("tag:") and s[4:] not in tags]
    if undeclared and severity is Severity.ERROR:
        severity = Severity.WARNING
        message += (
            f"; a warning because no plain build sets {', '.join(undeclared)}: list it under "
            "`tags:` in the policy file if the project builds with it"
        )
    return [
        replace(
            f, go=go, platforms=platforms, settings=settings, message=message, severity=severity
        )
        for go, platforms in rectangles(configs)
    ]


def _analysed_platforms(chosen: tuple[str, ...], report: Report) -> tuple[str, ...]:
    """The chosen platforms and every other port a directive or finding was judged on."""
    seen = set(chosen)
    seen.update(p for d in report.directives for p in d.platforms)
    seen.update(p for f in report.findings for p in f.platforms)
    return tuple(sorted(seen))


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
        self._owners: dict[tuple[str, str], set[str | None]] = {}
        self._results_used: dict[tuple[str, str], bool] = {}

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

    def _selects(self, path: str, found: set[str | None], owners: frozenset[str]) -> bool:
        """Whether one of the types ``found`` in the file at ``path`` (``T``, ``pkg.T`` or
        None: unknown) may be one of ``owners``. ``T`` is the file's own package's type;
        ``pkg.T`` is matched by name (the import is not resolved)."""
        if None in found:
            return True
        for owner in owners:
            import_path, _, name = owner.rpartition(".")
            for spelled in found:
                assert spelled is not None
                qualifier, _, bare = spelled.rpartition(".")
                if bare != name:
                    continue
                if qualifier:
                    return True
                package = self.find(import_path) if import_path else None
                if package is None or posixpath.dirname(path) == package.directory:
                    return True
        return False

    def reads(self, field: str, owners: frozenset[str], config: Config) -> bool:
        """Whether a .go file compiled in ``config`` selects ``field`` of one of the structs
        ``owners`` (``import/path.Name``), or of an operand whose type its file does not say."""
        if self._selected is None:
            self._selected = {
                m.group(1).decode()
                for p, data in self.workspace.files.items()
                if p.endswith(".go")
                for m in _SELECTOR.finditer(data)
            }
        if field not in self._selected:
            return False
        v, p = config
        for path, data in self.workspace.files.items():
            if not path.endswith(".go") or path.endswith("_test.go") or not mentions(data, field):
                continue
            key = (path, field)
            if key not in self._owners:
                self._owners[key] = owners_of_reads(data, field)
            if not self._selects(path, self._owners[key], owners):
                continue
            if SourceFile(path, data, self.window).builds_in((v,), (p,)):
                return True
        return False

    def uses_results(self, path: str, local: str, config: Config) -> bool:
        """Whether a .go file compiled in ``config`` may use the results of the function
        ``local`` declared in the file at ``path``: the files of its directory, and for an
        exported name every file, which must then all be here (otherwise: may be used)."""
        directory = posixpath.dirname(path)
        exported = local[:1].isupper()
        complete = self.workspace.complete_dirs
        if complete is not None and (exported or directory not in complete):
            return True
        v, p = config
        for other, data in self.workspace.files.items():
            if not other.endswith(".go") or not mentions_name(data, local):
                continue
            if not exported and posixpath.dirname(other) != directory:
                continue
            key = (other, local)
            if key not in self._results_used:
                self._results_used[key] = uses_results(data, local)
            if self._results_used[key] and SourceFile(other, data, self.window).builds_in(
                (v,), (p,)
            ):
                return True
        return False


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
