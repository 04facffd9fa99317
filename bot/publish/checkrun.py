"""Render a review as the check run GitHub shows: title, summary, text, annotations, buttons.

Pure. The summary is the short overview (``bot.report.overview``); the text lists every group
of findings in detail; there is one annotation per group (one rule on one line, every version
and platform it holds on), in plain text because GitHub shows annotation messages literally.
Summary and text each stay within GitHub's 65 535 characters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.analyse.review import Conclusion, Review
from bot.findings import Severity
from bot.publish.actions import ACTION_ADD_REGISTRY
from bot.publish.review_comments import describe, directive_text, group_item
from bot.report.groups import ICON, fact_text, group_findings, plain
from bot.report.groups import title as group_title
from bot.report.overview import MAX_ROWS, Section, cell, overview_sections, plural, render
from bot.report.suggestions import registry_suggestions
from bot.versions import go_span

__all__ = ["MAX_OUTPUT", "CheckRunOutput", "Section", "batches", "render", "render_check_run"]

MAX_OUTPUT = 65_535
ANNOTATIONS_PER_REQUEST = 50
MAX_TITLE = 255
LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.NOTICE: "notice"}
ADD_REGISTRY_ACTION = {
    "label": "Add registry entries",
    "description": "Commit the suggested registry entries",
    "identifier": ACTION_ADD_REGISTRY,
}
T = TypeVar("T")


@dataclass(frozen=True)
class CheckRunOutput:
    """Everything the gateway sends for one check run."""

    title: str
    summary: str
    text: str | None
    annotations: list[dict[str, Any]]
    conclusion: Conclusion
    actions: list[dict[str, str]] = field(default_factory=list)
    head_sha: str = ""
    details_url: str | None = None


def batches(items: Sequence[T], size: int = ANNOTATIONS_PER_REQUEST) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size`` (GitHub takes 50 annotations a call)."""
    if size < 1:
        raise ValueError("batch size must be positive")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def render_check_run(
    review: Review, *, head_sha: str, details: str | None = None, docs: str | None = None
) -> CheckRunOutput:
    """The check run for ``review`` at ``head_sha``; ``details`` is the full report's URL."""
    report = review.report
    if not report.directives and not report.findings and not review.window_changes:
        return CheckRunOutput(
            title="No //go:linkname directives to review",
            summary=f"This change touches no `//go:linkname` directive at `{head_sha[:7]}`: "
            "nothing to review.",
            text=None,
            annotations=[],
            conclusion=review.conclusion,
            head_sha=head_sha,
            details_url=details,
        )
    suggestions = registry_suggestions(report.findings)
    intro = f"Reviewed `{head_sha[:7]}` on "
    sections = overview_sections(
        report.versions,
        report.platforms,
        report.directives,
        report.findings,
        intro=intro,
        config_path=review.policy.config_path,
        docs=docs,
        suggestions=suggestions,
    )
    summary = render(window_change_sections(review) + sections, MAX_OUTPUT)
    if details:
        summary = f"[Full report]({details})\n\n{summary}"
    return CheckRunOutput(
        title=window_change_title(review) or title(review),
        summary=summary[:MAX_OUTPUT],
        text=render(text_sections(review, docs), MAX_OUTPUT) or None,
        annotations=render_annotations(review),
        conclusion=review.conclusion,
        actions=[dict(ADD_REGISTRY_ACTION)] if suggestions.entries else [],
        head_sha=head_sha,
        details_url=details,
    )


def title(review: Review) -> str:
    groups = group_findings(review.report.findings)
    counts = Counter(g.severity for g in groups)
    scope = plural("directive", len({(d.path, d.line) for d in review.report.directives}))
    if not counts:
        return f"{scope}, no findings"
    parts = [plural(s.value, counts[s]) for s in Severity if counts[s]]
    return f"{', '.join(parts)} in {scope}"[:MAX_TITLE]


# -- annotations ------------------------------------------------------------------------------


def render_annotations(review: Review) -> list[dict[str, Any]]:
    """One plain-text annotation per group: errors first, then warnings, then notices."""
    window = review.report.platforms
    groups = sorted(
        group_findings(review.report.findings),
        key=lambda g: (-g.severity.rank, g.path, g.line, g.rule),
    )
    out = []
    for g in groups:
        message = "\n".join(plain(fact_text(f, window)) for f in g.facts)
        out.append(
            {
                "path": g.path,
                "start_line": g.line,
                "end_line": g.line,
                "annotation_level": LEVEL[g.severity],
                "message": message[:MAX_OUTPUT],
                "title": group_title(g, window)[:MAX_TITLE],
            }
        )
    return out


# -- text -------------------------------------------------------------------------------------


def text_sections(review: Review, docs: str | None = None) -> list[Section]:
    """Warnings and errors in detail, by directive; notices one line each."""
    report = review.report
    window = report.platforms
    directives = {(d.path, d.line): d for d in report.directives}
    groups = group_findings(report.findings)
    serious = [g for g in groups if g.severity is not Severity.NOTICE]
    rows: list[str] = []
    by_line: dict[tuple[str, int], list[str]] = {}
    for g in serious:
        by_line.setdefault((g.path, g.line), []).append(group_item(g, window, docs))
    for (path, line), items in by_line.items():
        d = directives.get((path, line))
        head = f"#### `{path}:{line}`" + (f"\n\n{describe(d)}" if d is not None else "")
        rows.append(head + "\n\n" + "\n".join(items))
    notices = [
        f"- {ICON[g.severity]} `{g.path}:{g.line}` {g.rule}"
        + (f" `{g.target}`" if g.target else "")
        for g in groups
        if g.severity is Severity.NOTICE
    ]
    out = []
    if rows:
        out.append(Section("## Errors and warnings", rows, sep="\n\n"))
    if notices:
        out.append(Section("## Notices", notices))
    return out


# -- go.mod window changes (bot.analyse.window_change) ----------------------------------------


def window_change_title(review: Review) -> str | None:
    """The title when the change moved a go/toolchain line and touched no directive."""
    changes = review.window_changes
    if not changes or review.report.directives or review.report.findings:
        return None
    n = sum(len(w.changes) for w in changes)
    return f"The Go window changed: {plural('directive', n)} with a new verdict"


def window_change_sections(review: Review) -> list[Section]:
    """Per go.mod whose go/toolchain line moved: the two windows and the directives whose
    verdict differs between them."""
    out: list[Section] = []
    for w in review.window_changes:
        base = go_span(w.base_window)
        head = go_span(w.head_window)
        intro = (
            f"**`{cell(w.gomod)}` changed the Go window**: {w.base_lines} → {w.head_lines}, "
            f"so its module is judged on {head} (before: {base})."
        )
        if w.pinned:
            intro += " The policy names the Go versions, so the verdicts do not move."
            out.append(Section(intro, []))
            continue
        if not w.changes:
            n = w.directives
            intro += f" No verdict changed ({plural('directive', n)} of the module judged)."
            out.append(Section(intro, []))
            continue
        rows = [
            f"| `{cell(c.path)}:{c.line}` `{cell(directive_text(c.directive))}` | "
            f"{cell(c.before.describe())} | {'✗ ' if c.worse else ''}"
            f"{cell(c.after.describe())} |"
            for c in w.changes
        ]
        head_row = f"| Directive | Before ({base}) | Now ({head}) |\n|---|---|---|"
        out.append(Section(f"{intro}\n\n{head_row}", rows, cap=MAX_ROWS))
    return out
