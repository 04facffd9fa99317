"""GitHub Actions: workflow commands (``::error file=…,line=…,title=…::message``) and the job
summary.

GitHub shows at most 10 annotations of each kind (error, warning, notice) per step, in the
order they are printed: one command per group of findings, errors first, at most that many of
a kind; the rest are counted in a plain log line. Messages are plain text (GitHub shows them
literally); titles carry the scope once: ``invalid-reference (Go 1.23–1.27)``. The job summary
(``$GITHUB_STEP_SUMMARY``) is the same overview as the App's check run.
"""

from __future__ import annotations

from collections import Counter

from bot.findings import Report, Severity
from bot.report.groups import fact_text, group_findings, plain, title
from bot.report.overview import overview_sections
from bot.report.overview import render as render_sections

#: Annotations of one kind GitHub displays per step (actions/toolkit docs/problem-matchers.md).
ANNOTATIONS_PER_KIND = 10
#: A step summary may take 1 MiB; the overview stays far below.
SUMMARY_LIMIT = 65_535
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, *, per_kind: int = ANNOTATIONS_PER_KIND) -> str:
    window = report.platforms
    groups = sorted(
        group_findings(report.findings), key=lambda g: (-g.severity.rank, g.path, g.line)
    )
    shown: Counter[Severity] = Counter()
    left: Counter[Severity] = Counter()
    lines = []
    for g in groups:
        if shown[g.severity] >= per_kind:
            left[g.severity] += 1
            continue
        shown[g.severity] += 1
        props = ",".join(
            f"{k}={_escape_property(v)}"
            for k, v in (
                ("file", g.path),
                ("line", str(g.line)),
                ("col", str(g.column)),
                ("title", title(g, window)),
            )
        )
        body = "\n".join(plain(fact_text(f, window)) for f in g.facts)
        lines.append(f"::{_COMMAND[g.severity]} {props}::{_escape_data(body)}")
    if left:
        more = ", ".join(
            f"{n} {s.value}(s)" for s, n in sorted(left.items(), key=lambda i: -i[0].rank)
        )
        lines.append(
            f"linkname-bot: {more} not annotated (GitHub shows {per_kind} of a kind per step); "
            "see the job summary or run with --format text"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def step_summary(report: Report, *, config_path: str | None = None, docs: str | None = None) -> str:
    """The job summary: the check run's overview, in markdown."""
    sections = overview_sections(
        report.versions,
        report.platforms,
        report.directives,
        report.findings,
        intro="## linkname-bot\n\nReviewed ",
        config_path=config_path,
        docs=docs,
    )
    return render_sections(sections, SUMMARY_LIMIT) + "\n"
