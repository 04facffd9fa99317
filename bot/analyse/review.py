"""One review, from sources to a verdict: the functional core the CLI and the App share.

Policy → analysis → registry rules → suppressions → severity overrides → ignored paths →
scope (only what the change touched) → conclusion.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot.analyse.directives import Directive
from bot.analyse.dormant import NEEDS_A_REFERENCE, references
from bot.analyse.engine import (
    PackageRunner,
    Workspace,
    analyse,
    import_path_for,
    window_for,
    with_settings,
)
from bot.analyse.files import header_of
from bot.analyse.package import word_pattern
from bot.analyse.registry_rules import check_handshakes, check_registry
from bot.findings import Finding, Report, Severity
from bot.golang.source import package_clause
from bot.policy.config import Policy, parse_config
from bot.policy.edit import registry_fixes
from bot.policy.suppress import apply_suppressions
from bot.rules import RULES
from bot.stdlib.coverage import Coverage, facts_coverage
from bot.stdlib.facts import StdlibWindow
from bot.stdlib.query import StdQuery
from bot.versions import Config

if TYPE_CHECKING:
    from bot.analyse.window_change import GoModChange, WindowChange
    from bot.scope.scope import FileScope

Conclusion = Literal["success", "neutral", "failure"]


@dataclass(frozen=True)
class ReviewRequest:
    workspace: Workspace
    config_text: str | None = None
    config_path: str = ".github/linkname-bot.yml"
    read_file: Callable[[str], str | None] | None = None  # for registry_files
    versions: tuple[int, ...] | None = None  # overrides the policy and go.mod
    platforms: tuple[str, ...] | None = None
    scopes: Mapping[str, FileScope] | None = None  # None: report everything
    full_tree: bool = True  # every package of the repository is in the workspace
    policy: Policy | None = None  # already parsed (with its registry files) by the caller
    known: Coverage | None = None  # what the facts cover (default: asked of the facts in use)
    # go.mod files whose go/toolchain line the change moved (bot.analyse.window_change)
    gomod_changes: tuple[GoModChange, ...] = ()


@dataclass
class Review:
    report: Report
    policy: Policy
    conclusion: Conclusion
    # verdicts a go/toolchain line change moved (bot.analyse.window_change)
    window_changes: tuple[WindowChange, ...] = ()


StdlibLoader = Callable[[tuple[int, ...]], tuple[StdlibWindow, StdQuery] | None]


def run_review(
    request: ReviewRequest,
    stdlib: StdlibLoader | None = None,
    *,
    run_packages: PackageRunner | None = None,
) -> Review:
    """Analyse the request's workspace with the policy and standard-library facts, then the
    registry, suppression and policy passes; ``run_packages``: see ``analyse``."""
    known = request.known
    if known is None and stdlib is not None:
        known = facts_coverage()  # FactsError when the facts are missing: never a silent pass
    policy = request.policy or parse_config(
        request.config_text, request.config_path, request.read_file, known
    )
    ws = request.workspace
    versions = (
        request.versions
        or policy.versions()
        or (window_for(ws, known.versions) if known is not None else window_for(ws))
    )
    platforms = request.platforms or policy.platforms()
    loaded = stdlib(versions) if stdlib is not None else None
    window, query = loaded if loaded is not None else (None, None)
    report = analyse(
        ws,
        versions,
        platforms,
        stdlib=window,
        accepted=_accepted(policy),
        tags=policy.build_tags(),
        full_tree=request.full_tree,
        run_packages=run_packages,
    )
    span = (report.versions, report.platforms)
    found = list(report.findings)
    withheld = frozenset(
        (f.path, f.line)
        for f in found
        if f.severity is Severity.ERROR and RULES[f.rule].family == "link"
    )
    later = check_registry(report.directives, policy, query, span, _link_failures(found), withheld)
    later += check_handshakes(report.directives, _repo_packages(ws), request.full_tree)
    found += with_settings(later, report.settings, policy.build_tags())
    found += _config_errors(policy)
    sources: Mapping[str, bytes] = ws.files
    if request.config_text is not None:  # the policy file's own suppressions
        sources = _Plus(ws.files, request.config_path, request.config_text.encode())
    found = apply_suppressions(found, sources)
    found = _override(found, policy)
    found = [f for f in found if not policy.ignored(f.path)]
    directives = [d for d in report.directives if not policy.ignored(d.path)]
    if request.scopes is not None:
        directives, found = _in_scope(directives, found, request.scopes, ws.files)
    found = _with_registry_fixes(sorted(found), policy, withheld)
    report = replace(report, directives=directives, findings=found)
    return Review(report, policy, conclusion(report.findings, policy))


class _Plus(Mapping[str, bytes]):
    """``files`` and one more file (the policy file), without copying ``files``."""

    def __init__(self, files: Mapping[str, bytes], path: str, data: bytes) -> None:
        self._files, self._path, self._data = files, path, data

    def __getitem__(self, path: str) -> bytes:
        return self._data if path == self._path else self._files[path]

    def __iter__(self) -> Iterator[str]:
        yield from (p for p in self._files if p != self._path)
        yield self._path

    def __len__(self) -> int:
        return len(self._files) + (self._path not in self._files)


def _with_registry_fixes(
    found: list[Finding], policy: Policy, withheld: frozenset[tuple[str, int]]
) -> list[Finding]:
    """Each suggested registry entry becomes a fix on the first finding that suggests it;
    the fixes compose (``registry_fixes``), and none is offered for a withheld directive."""
    owners: dict[str, Finding] = {}
    for f in found:
        if f.rule == "unknown-target" and f.suggestion and (f.path, f.line) not in withheld:
            owners.setdefault(f.suggestion, f)
    fixes = registry_fixes(policy, list(owners))
    fixed = {id(owners[e]): fix for e, fix in fixes.items()}
    return [replace(f, fixes=(fixed[id(f)],)) if id(f) in fixed else f for f in found]


def _link_failures(found: list[Finding]) -> dict[tuple[str, int], frozenset[Config]]:
    """Where the linker fails each directive: a registry entry must not vouch for those."""
    out: dict[tuple[str, int], set[Config]] = {}
    for f in found:
        r = RULES[f.rule]
        if r.family == "link" and r.build_failure:
            out.setdefault((f.path, f.line), set()).update(f.configs)
    return {k: frozenset(v) for k, v in out.items()}


def conclusion(found: list[Finding], policy: Policy) -> Conclusion:
    if any(policy.fails(f.severity) for f in found):
        return "failure"
    if any(f.severity is Severity.WARNING for f in found):
        return "neutral"
    return "success"


def _accepted(policy: Policy) -> Callable[[str, str, str, int], bool]:
    """A recorded (local, remote) pair vouches for the Go versions its entry's ``go`` covers
    (every version when it has none)."""
    pairs: dict[tuple[str, str | None, str | None], list[tuple[int, ...] | None]] = {}
    for e in policy.entries:
        key = (e.known.target, e.known.local, e.known.remote)
        pairs.setdefault(key, []).append(e.known.versions())

    def accepted(target: str, local: str, remote: str, minor: int) -> bool:
        ranges = pairs.get((target, local, remote), [])
        return any(r is None or minor in r for r in ranges)

    return accepted


def _repo_packages(ws: Workspace) -> dict[str, bool]:
    """Import paths of the repository's packages in the workspace → all their files present."""
    complete = ws.complete_dirs
    modules = ws.modules()
    out: dict[str, bool] = {}
    paths: dict[tuple[str, str], str] = {}  # (directory, package name) → import path
    for path in ws.files:
        if not path.endswith(".go"):
            continue
        name = package_clause(header_of(ws.files, path))
        if name is None:
            continue
        directory = posixpath.dirname(path)
        key = (directory, name)
        if key not in paths:
            paths[key] = import_path_for(directory, name, modules)
        out[paths[key]] = complete is None or directory in complete
    return out


def _config_errors(policy: Policy) -> list[Finding]:
    rule = RULES["config-error"]
    return [
        Finding(
            p.path,
            p.line,
            1,
            rule.id,
            rule.severity,
            f"{p.message}{f' (key `{p.key}`)' if p.key else ''}; the review used the "
            "defaults for what could not be read",
        )
        for p in policy.problems
    ]


def _override(found: list[Finding], policy: Policy) -> list[Finding]:
    out = []
    for f in found:
        sev = policy.severity_for(f.rule, f.severity)
        if sev is None:
            continue
        # A build failure is never downgraded below error by configuration.
        if f.severity is Severity.ERROR and RULES[f.rule].build_failure:
            sev = Severity.ERROR
        out.append(f if sev is f.severity else f.with_severity(sev))
    return out


def _in_scope(
    directives: list[Directive],
    found: list[Finding],
    scopes: Mapping[str, FileScope],
    files: Mapping[str, bytes],
) -> tuple[list[Directive], list[Finding]]:
    """The directives whose line or declaration the change touches, and the findings on them
    or on changed lines. A pull whose error needs its local referenced (``NEEDS_A_REFERENCE``)
    is also in scope, with those errors only, when a changed line of its directory names it:
    the change may be the first reference, which turns a pull that linked into one that fails."""

    def touches(path: str | None, first: int, last: int | None = None) -> bool:
        s = scopes.get(path) if path is not None else None
        return s is not None and s.touches(first, last)

    kept_directives = []
    anchors: set[tuple[str, int]] = set()
    referred: dict[tuple[str, int], str] = {}  # (path, line) of the pull → where the change refers
    needing = {
        (f.path, f.line)
        for f in found
        if f.severity is Severity.ERROR and f.rule in NEEDS_A_REFERENCE
    }
    for d in directives:
        span = d.decl.span if d.decl is not None else None
        if touches(d.path, d.line) or (span is not None and touches(d.decl_path, *span)):
            kept_directives.append(d)
            anchors.add((d.path, d.line))
        elif d.kind == "pull" and d.local and (d.path, d.line) in needing:
            where = _first_reference(scopes, files, posixpath.dirname(d.path), d.local)
            if where is not None:
                kept_directives.append(d)
                referred[(d.path, d.line)] = f"this change refers to `{d.local}` at {where}"
    kept = []
    for f in found:
        if (f.path, f.line) in anchors or touches(f.path, f.line):
            kept.append(f)
        elif f.severity is Severity.ERROR and f.rule in NEEDS_A_REFERENCE:
            why = referred.get((f.path, f.line))
            if why is not None:
                kept.append(replace(f, message=f"{f.message} ({why})"))
    return kept_directives, kept


def _first_reference(
    scopes: Mapping[str, FileScope], files: Mapping[str, bytes], directory: str, local: str
) -> str | None:
    """The first added line (``path:line``) of a Go file in ``directory`` that refers to
    ``local`` (in a file the parser cannot fully read: names it); None if none does."""
    word = word_pattern(local)
    for path, scope in scopes.items():
        data = files.get(path)
        if data is None or not path.endswith(".go") or posixpath.dirname(path) != directory:
            continue
        if not word.search(data):
            continue
        lines = references(data, local)
        if lines is None:
            split = data.split(b"\n")
            lines = [n for n, text in enumerate(split, 1) if word.search(text)]
        touched = [n for n in lines if scope.touches(n)]
        if touched:
            return f"{path}:{touched[0]}"
    return None
