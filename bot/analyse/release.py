"""What a new Go release breaks: directives that build on every older version of the window and
fail on the new one only. Pure: a reviewed report in, the breaks out.

A directive *breaks on the new version only* when some error whose rule predicts a build
failure (``invalid-reference``, ``undefined-target``, ...) holds on that version, and no error
of that kind holds on any other version of the window. A directive that already fails on an
older version is not news: the check run says so, the release issue does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.findings import Directive, Finding, Report, Severity
from bot.rules import RULES
from bot.versions import label


@dataclass(frozen=True)
class Break:
    """One directive the new version refuses, with the findings that say so."""

    path: str
    line: int
    local: str
    target: str
    std: bool
    explicit: bool
    findings: tuple[Finding, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({f.rule for f in self.findings}))

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted({p for f in self.findings for p in f.platforms}))

    @property
    def fixes(self) -> tuple[str, ...]:
        """The findings' own fixes (fix messages, then suggestions), without repeats."""
        out: dict[str, None] = {}
        for f in self.findings:
            for fix in f.fixes:
                out.setdefault(fix.message)
            if f.suggestion:
                out.setdefault(f.suggestion)
        return tuple(out)


def _fails(f: Finding) -> bool:
    rule = RULES.get(f.rule)
    return f.severity is Severity.ERROR and rule is not None and rule.build_failure


def new_version_breaks(report: Report, version: int) -> list[Break]:
    """The directives that fail to build on ``version`` and on no other version judged."""
    by_anchor: dict[tuple[str, int], list[Finding]] = {}
    for f in report.findings:
        if _fails(f):
            by_anchor.setdefault((f.path, f.line), []).append(f)
    seen: set[tuple[str, int]] = set()
    out: list[Break] = []
    for d in report.directives:
        anchor = (d.path, d.line)
        if anchor in seen:
            continue  # the same directive judged in several build configurations
        seen.add(anchor)
        failing = by_anchor.get(anchor, [])
        versions = {v for f in failing for v in f.versions}
        if versions == {version}:
            out.append(_break(d, failing))
    return out


def _break(d: Directive, failing: Sequence[Finding]) -> Break:
    return Break(d.path, d.line, d.local, d.target, d.std, d.explicit, tuple(sorted(failing)))


def issue_title(version: int, breaks: Sequence[Break]) -> str:
    """``Go 1.28 refuses 3 linkname pulls``."""
    n = len(breaks)
    return f"Go {label(version)} refuses {n} linkname {'pull' if n == 1 else 'pulls'}"
