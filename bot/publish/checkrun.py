"""Render a review as the check run GitHub shows: title, summary, text, annotations, buttons.

Pure. Summary and text each stay within GitHub's 65 535 characters: sections are filled row by
row and what does not fit is counted in a "… N more, see annotations" note. Every finding is an
annotation (merged across platforms), so nothing left out of the review comments is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.analyse.review import Conclusion, Review
from bot.findings import Finding, Severity
from bot.publish.actions import ACTION_ADD_REGISTRY
from bot.publish.review_comments import ICON, directive_text, fenced, go_span, rule_link, where
from bot.rules import RULES
from bot.versions import label

MAX_OUTPUT = 65_535
ANNOTATIONS_PER_REQUEST = 50
MAX_TITLE = 255
MAX_ROWS = 50  # per summary table: the summary is read at a glance
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


@dataclass(frozen=True)
class Section:
    """A block of markdown whose rows may be cut: ``head``, rows, then ``tail``."""

    head: str
    rows: Sequence[str]
    tail: str = ""
    sep: str = "\n"
    cap: int | None = None


def batches(items: Sequence[T], size: int = ANNOTATIONS_PER_REQUEST) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size`` (GitHub takes 50 annotations a call)."""
    if size < 1:
        raise ValueError("batch size must be positive")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def render_check_run(
    review: Review, *, head_sha: str, details: str | None = None
) -> CheckRunOutput:
    """The check run for ``review`` at ``head_sha``; ``details`` is the full report's URL."""
    report = review.report
    if not report.directives and not report.findings:
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
    wants_entries = any(f.rule == "unknown-target" and f.suggestion for f in report.findings)
    return CheckRunOutput(
        title=title(review),
        summary=render(summary_sections(review, head_sha, details), MAX_OUTPUT),
        text=render(text_sections(review), MAX_OUTPUT),
        annotations=render_annotations(review),
        conclusion=review.conclusion,
        actions=[dict(ADD_REGISTRY_ACTION)] if wants_entries else [],
        head_sha=head_sha,
        details_url=details,
    )


def title(review: Review) -> str:
    counts = Counter(f.severity for f in review.report.findings)
    n = len({(d.path, d.line) for d in review.report.directives})
    scope = f"{n} {_plural('directive', n)}"
    if not counts:
        return f"{scope}, no findings"
    parts = [f"{counts[s]} {_plural(s.value, counts[s])}" for s in Severity if counts[s]]
    return f"{', '.join(parts)} in {scope}"[:MAX_TITLE]


# -- annotations ------------------------------------------------------------------------------


def render_annotations(review: Review) -> list[dict[str, Any]]:
    """One annotation per finding, findings that differ only by platform merged."""
    merged: dict[tuple[Any, ...], list[Finding]] = {}
    for f in review.report.findings:
        key = (f.path, f.line, f.rule, f.severity, f.message, f.go, f.suggestion)
        merged.setdefault(key, []).append(f)
    platforms = review.report.platforms
    out = []
    for group in merged.values():
        f = group[0]
        union = tuple(sorted({p for g in group for p in g.platforms}))
        span = where(replace(f, platforms=union), platforms)
        item: dict[str, Any] = {
            "path": f.path,
            "start_line": f.line,
            "end_line": f.line,
            "annotation_level": LEVEL[f.severity],
            "message": f"{f.message} ({span})"[:MAX_OUTPUT],
            "title": f"{f.rule} ({span})"[:MAX_TITLE],
        }
        if f.suggestion:
            item["raw_details"] = f.suggestion[:MAX_OUTPUT]
        out.append(item)
    return out


# -- summary and text -------------------------------------------------------------------------


def render(sections: Sequence[Section], limit: int) -> str:
    """Join sections, cutting rows (never heads, tails or fences) to stay within ``limit``."""
    note_room = 64
    out: list[str] = []
    used = 0
    for s in sections:
        frame = len(s.head) + len(s.tail) + 4
        if used + frame + note_room > limit:
            out.append(f"… {len(s.rows)} more, see annotations")
            break
        rows: list[str] = []
        size = frame
        for row in s.rows[: s.cap]:
            if used + size + len(row) + len(s.sep) + note_room > limit:
                break
            rows.append(row)
            size += len(row) + len(s.sep)
        block = s.sep.join([s.head, *rows]) if s.head else s.sep.join(rows)
        block += s.tail
        if len(rows) < len(s.rows):
            block += f"\n\n… {len(s.rows) - len(rows)} more, see annotations"
        out.append(block)
        used += len(block) + 2
    return "\n\n".join(out)[:limit]


def _plural(word: str, n: int) -> str:
    return word if n == 1 else word + "s"


def _about(rule_id: str) -> str:
    return _cell(RULES[rule_id].summary) if rule_id in RULES else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_sections(review: Review, head_sha: str, details: str | None) -> list[Section]:
    report = review.report
    found = report.findings
    counts = Counter(f.severity for f in found)
    window = go_span(labels_of(report.versions))
    headline = (
        f"Reviewed `{head_sha[:7]}` on {window} × {len(report.platforms)} platforms "
        f"({', '.join(report.platforms)}): "
        + ", ".join(f"{ICON[s]} {counts[s]} {_plural(s.value, counts[s])}" for s in Severity)
        + "."
    )
    if details:
        headline += f" [Full report]({details})"
    kinds = Counter(kind for _, _, kind in {(d.path, d.line, d.kind) for d in report.directives})
    by_rule = Counter((f.rule, f.severity) for f in found)
    rule_rows = [
        f"| {rule_link(r)} | {ICON[s]} {s.value} | {n} | {_about(r)} |"
        for (r, s), n in sorted(by_rule.items(), key=lambda kv: (-kv[0][1].rank, kv[0][0]))
    ]
    sections = [
        Section(headline, []),
        Section(
            "| Directive kind | Count |\n|---|---:|",
            [f"| {k} | {n} |" for k, n in sorted(kinds.items())],
        ),
    ]
    if rule_rows:
        sections.append(
            Section("| Rule | Severity | Findings | About |\n|---|---|---:|---|", rule_rows)
        )
    sections += matrix_sections(review)
    sections += new_target_sections(review)
    return [s for s in sections if s.head or s.rows]


def labels_of(versions: Sequence[int]) -> tuple[str, ...]:
    return tuple(label(v) for v in versions)


def matrix_sections(review: Review) -> list[Section]:
    """Touched directives × Go versions: ✓ fine, ✗ error, ⚠ warning, – not built there."""
    report = review.report
    if not report.directives:
        return []
    versions = labels_of(report.versions)
    rows: dict[tuple[str, int], tuple[str, set[str]]] = {}
    for d in report.directives:
        text, built = rows.setdefault((d.path, d.line), (directive_text(d), set()))
        built.update(d.go)
    worst: dict[tuple[str, int, str], int] = {}
    for f in report.findings:
        for v in f.go:  # none: a notice on a directive no version of the window builds
            key = (f.path, f.line, v)
            worst[key] = max(worst.get(key, -1), f.severity.rank)
    marks = {Severity.ERROR.rank: "✗", Severity.WARNING.rank: "⚠"}
    lines = []
    for (path, line), (text, built) in sorted(rows.items()):
        cells = []
        for v in versions:
            rank = worst.get((path, line, v), -1)
            cells.append(marks.get(rank, "✓" if v in built or rank >= 0 else "–"))
        lines.append(f"| `{_cell(path)}:{line}` `{_cell(text)}` | " + " | ".join(cells) + " |")
    head = (
        "**Touched directives by Go version** "
        "(✓ no error or warning · ✗ error · ⚠ warning · – not built)\n\n"
        f"| Directive | {' | '.join(versions)} |\n|---|{':-:|' * len(versions)}"
    )
    return [Section(head, lines, cap=MAX_ROWS)]


def new_target_sections(review: Review) -> list[Section]:
    """Unknown targets, where they are used, and the registry entries to paste."""
    new = [f for f in review.report.findings if f.rule == "unknown-target"]
    if not new:
        return []
    seen: dict[tuple[str, str, int], set[str]] = {}
    for f in new:
        seen.setdefault((f.target or "", f.path, f.line), set()).update(f.go)
    rows = [
        f"| `{_cell(t)}` | {go_span(sorted(go))} | `{_cell(p)}:{n}` |"
        for (t, p, n), go in sorted(seen.items())
    ]
    entries = list(dict.fromkeys(f.suggestion for f in new if f.suggestion))
    where_ = review.policy.config_path or ".github/linkname-bot.yml"
    head = "**New targets**\n\n| Target | Go | Directive |\n|---|---|---|"
    out = [Section(head, rows, cap=MAX_ROWS)]
    if entries:
        fence = fenced("\n".join(entries)).split("\n", 1)[0]
        head = f"Suggested entries for `known:` in `{where_}`:\n\n{fence}yaml"
        out.append(Section(head, entries, tail="\n" + fence, cap=MAX_ROWS))
    return out


def text_sections(review: Review) -> list[Section]:
    """Every finding in detail, with paste-ready entries."""
    platforms = review.report.platforms
    rows = []
    for f in review.report.findings:
        item = f"- {ICON[f.severity]} `{_cell(f.path)}:{f.line}` {rule_link(f.rule)} {f.message} "
        item += f"_({where(f, platforms)})_"
        if f.suggestion:
            block = fenced(f.suggestion, "yaml")
            item += "\n\n" + "\n".join("  " + line for line in block.split("\n"))
        rows.append(item)
    return [Section("## Findings", rows)] if rows else []
