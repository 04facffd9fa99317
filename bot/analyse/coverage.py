"""Every directive the compiler reads is listed: where a file is judged, and why it is not.

The review judges the window's Go versions on the chosen platforms. A file that builds on none
of those platforms is judged on the ports it does build on (``widen``). A file that builds only
with Go versions outside the window is still listed, with an empty ``go`` and a notice naming
its constraint (``outside_window``). A directive judged on a port the standard-library facts do
not describe is checked by the compile-level rules only, with a notice (``split_by_facts``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.analyse.configs import platforms_of, versions_of
from bot.analyse.directives import Directive, resolve, to_directive
from bot.analyse.package import Package, SourceFile
from bot.findings import Finding
from bot.golang.constraints import build_header
from bot.golang.ports import all_port_names
from bot.golang.symbols import split_symbol
from bot.rules import rule
from bot.stdlib.facts import StdlibWindow
from bot.versions import KNOWN_VERSIONS, NEWEST, Config, labels

_RELEASE_TAG = re.compile(r"\bgo1\.([1-9][0-9]*)\b")


def _probe_versions(f: SourceFile) -> tuple[int, ...]:
    """Go 1.1 up to one past the newest version the file's constraint or the bot names."""
    named = [int(m) for m in _RELEASE_TAG.findall(build_header(f.header_text).expr or "")]
    return tuple(range(1, max([NEWEST, *named]) + 2))


def widen(package: Package) -> None:
    """Extend the package's scope with the ports (and Go versions) of files that build on none
    of the window's platforms (or versions), so their directives and the declarations they
    name are looked at there."""
    versions, platforms = package.files[0].window
    ports: set[str] = set()
    older_or_newer: set[int] = set()
    for f in package.directive_files():
        if f.builds_in(versions, platforms):
            continue
        elsewhere = f.builds_in(versions, all_port_names(versions))
        if elsewhere:
            ports.update(p for _, p in elsewhere)
            continue
        outside = f.builds_in(_probe_versions(f), all_port_names())
        if outside:
            version, port = _representative(outside, platforms)
            older_or_newer.add(version)
            ports.add(port)
    if not ports and not older_or_newer:
        return
    scope = (
        tuple(sorted(set(versions) | older_or_newer)),
        tuple(sorted(set(platforms) | ports)),
    )
    for f in package.files:
        f.rescope(scope)


def _representative(configs: frozenset[Config], platforms: Sequence[str]) -> Config:
    """One configuration to classify a directive in: a chosen platform if possible."""
    preferred = [c for c in configs if c[1] in platforms]
    return min(preferred or configs, key=lambda c: (-c[0], c[1]))


@dataclass
class Outside:
    directives: list[Directive] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def outside_window(package: Package, versions: tuple[int, ...]) -> Outside:
    """The directives of files that build only with Go versions outside the window: listed with
    no Go version, each with a notice naming the file's constraint."""
    out = Outside()
    for f in package.directive_files():
        if f.configs or not f.builds:
            continue  # judged in the window, or compiled in no configuration at all
        builds = f.builds_in(_probe_versions(f), all_port_names())
        message = _outside_message(f, builds, versions)
        config = _representative(f.builds, f.window[1])
        for d in f.parsed.directives:
            if d.alone_on_line and d.well_formed and d.local:
                for r in resolve(package, f, d, frozenset({config}))[:1]:
                    out.directives.append(replace(to_directive(package, r), configs=frozenset()))
            out.findings.append(_notice(f.path, d.line, d.column, message, d.target))
    return out


def _notice(path: str, line: int, column: int, message: str, target: str | None) -> Finding:
    r = rule("unchecked-directive")
    return Finding(path, line, column, r.id, r.severity, message, target)


def _outside_message(f: SourceFile, builds: frozenset[Config], window: tuple[int, ...]) -> str:
    built = {v for v, _ in builds}
    expr = build_header(f.header_text).expr
    constraint = f" (`//go:build {expr}`)" if expr else ""
    why = (
        f"the review covers Go {_span(window)}"
        if built & set(KNOWN_VERSIONS)
        else f"linkname-bot has facts for {_span(KNOWN_VERSIONS)}"
    )
    if not _RELEASE_TAG.search(expr or ""):  # no go1.N tag: its ports came or went
        ports = ", ".join(platforms_of(builds))
        return (
            f"not checked: this file builds only on {ports}, a port of Go "
            f"{_describe(sorted(built))} (go tool dist list){constraint}; {why}"
        )
    return (
        f"not checked: this file builds only with Go {_describe(sorted(built))}{constraint}; {why}"
    )


def _span(versions: Sequence[int]) -> str:
    shown = labels(versions)
    if list(versions) == list(range(min(versions), max(versions) + 1)) and len(shown) > 1:
        return f"{shown[0]}–{shown[-1]}"
    return ", ".join(shown)


def _describe(built: list[int]) -> str:
    """``< 1.21``, ``≥ 1.28``, ``1.12–1.13`` or a list of such ranges."""
    runs: list[list[int]] = []
    for v in built:
        if runs and runs[-1][-1] == v - 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    top = max(NEWEST + 1, built[-1])
    parts = []
    for run in runs:
        lo, hi = run[0], run[-1]
        if lo == 1:
            parts.append(f"< 1.{hi + 1}")
        elif hi >= top:
            parts.append(f"≥ 1.{lo}")
        else:
            parts.append(f"1.{lo}" if lo == hi else f"1.{lo}–1.{hi}")
    return " or ".join(parts)


def _no_facts(d: Directive, missing: frozenset[Config], stdlib: StdlibWindow) -> Finding:
    """One notice for every port without facts (not a rectangle each: ports come and go)."""
    ports = platforms_of(missing)
    has = ", ".join(sorted({p for v in stdlib for p in stdlib[v].platforms}))
    r = rule("unchecked-directive")
    message = (
        f"not checked against the standard library: no standard-library facts for "
        f"{', '.join(ports)} (linkname-bot has them for {has}); the compile-level rules "
        "still apply there"
    )
    return Finding(
        d.path, d.line, d.column, r.id, r.severity, message, d.target, versions_of(missing), ports
    )


def split_by_facts(
    directives: Sequence[Directive], stdlib: StdlibWindow
) -> tuple[list[Directive], list[Finding]]:
    """The directives narrowed to the configurations the standard-library facts describe, and a
    notice for each pull or push into the standard library judged on a port they do not."""
    std_packages = frozenset().union(*(stdlib[v].packages for v in stdlib))
    judged: list[Directive] = []
    notices: list[Finding] = []
    for d in directives:
        if d.kind not in ("pull", "push") or d.object is None or not d.configs:
            judged.append(d)
            continue
        if split_symbol(d.target)[0] not in std_packages and not any(
            d.target in stdlib[v] for v in stdlib
        ):
            judged.append(d)
            continue
        missing = frozenset(
            c for c in d.configs if c[0] in stdlib and c[1] not in stdlib[c[0]].platforms
        )
        judged.append(replace(d, configs=d.configs - missing) if missing else d)
        if missing:
            notices.append(_no_facts(d, missing, stdlib))
    return judged, notices
