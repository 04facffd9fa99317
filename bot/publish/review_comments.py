"""Plan the pull-request review: which findings become inline comments, with what bodies.

Quiet by design: only warnings and errors are commented on, at most one comment per directive
with all its findings. A comment starts with a one-line headline ("❌ invalid-reference —
refused by the linker on Go 1.23–1.27"); the explanation and the fix sit in a collapsed
``<details>``. Notices and registry suggestions go to the check run only.

Pure: the caller fetches existing fingerprints and posts the plan. Comments go only on lines
``FileScope.commentable`` accepts, so the review cannot be refused for a misplaced comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analyse.directives import Directive
from bot.analyse.review import Review
from bot.findings import Finding, Severity
from bot.report.fingerprint import fingerprints, marker
from bot.report.groups import ICON, Group, fact_text, group_findings, headline
from bot.report.links import rule_link
from bot.scope.scope import FileScope

MAX_BODY = 65_535
MAX_OVERFLOW_LINES = 100
GLOSS = {
    "push": "defines the target with this body",
    "pull": "uses a symbol defined elsewhere",
    "export": "lets other packages pull this symbol",
    "receive": "waits for another package to push this symbol",
    "unknown": "not resolved to a func or var",
}


@dataclass
class ReviewPlan:
    """What to post: ``body`` is None when there is no review to post at all."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    overflow: list[Finding] = field(default_factory=list)
    skipped_existing: list[Finding] = field(default_factory=list)
    body: str | None = None


# -- markdown helpers shared with the check run ----------------------------------------------


def details(summary: str, body: str) -> str:
    """A collapsed block (closed by default); blank lines keep the markdown inside working."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def directive_text(d: Directive) -> str:
    name = "go:linknamestd" if d.std else "go:linkname"
    return f"//{name} {d.local}" + (f" {d.target}" if d.explicit else "")


def describe(d: Directive) -> str:
    """One line: what the directive is."""
    obj = f"{d.object} " if d.object else ""
    return (
        f"`{directive_text(d)}` — **{d.kind}** of {obj}`{d.local}` as `{d.target}` "
        f"({GLOSS[d.kind]})"
    )


def group_item(g: Group, window: Sequence[str], docs: str | None = None) -> str:
    """A markdown list item for one group: the rule, then one line per distinct fact."""
    head = f"- {ICON[g.severity]} {rule_link(g.rule, docs)}"
    facts = [fact_text(f, window) for f in g.facts]
    if len(facts) == 1:
        return f"{head}: {facts[0]}"
    return head + "\n" + "\n".join(f"  - {t}" for t in facts)


def clip(text: str, limit: int, note: str) -> str:
    """``text`` cut at a line boundary so that it and ``note`` fit in ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, max(0, limit - len(note) - 2))
    return text[: max(cut, 0)] + "\n\n" + note


# -- the plan ---------------------------------------------------------------------------------


def comment_body(
    groups: Sequence[Group],
    directive: Directive | None,
    fps: Iterable[str],
    window: Sequence[str],
    docs: str | None = None,
) -> str:
    """One inline comment: headline, then the findings in a collapsed block, then markers."""
    ordered = sorted(groups, key=lambda g: (-g.severity.rank, g.rule))
    first = f"**{headline(ordered[0], window)}**"
    if len(ordered) > 1:
        first += " · also " + ", ".join(f"{ICON[g.severity]} {g.rule}" for g in ordered[1:])
    inner: list[str] = []
    if directive is not None:
        inner.append(describe(directive))
    inner += [group_item(g, window, docs) for g in ordered]
    markers = "\n".join(marker(fp) for fp in dict.fromkeys(fps))
    room = MAX_BODY - len(markers) - len(first) - 80
    body = clip("\n\n".join(inner), room, "… (cut to fit GitHub's limit)")
    return f"{first}\n\n{details('Details and fix', body)}\n\n{markers}"


def plan_review(
    review: Review,
    scopes: Mapping[str, FileScope],
    *,
    max_comments: int = 30,
    existing_fingerprints: set[str],
    docs: str | None = None,
) -> ReviewPlan:
    """One inline comment per directive with warnings or errors, at most ``max_comments``.

    Errors first, then by place. Findings over the cap or on lines the diff cannot carry a
    comment on go to ``overflow`` and are listed (with their fingerprints) in the body.
    Notices are never commented on: they are in the check run.
    """
    fps = fingerprints(review)
    plan = ReviewPlan()
    fresh: list[Finding] = []
    for f in review.report.findings:
        if f.severity is Severity.NOTICE:
            continue
        (plan.skipped_existing if fps[f] in existing_fingerprints else fresh).append(f)
    by_line: dict[tuple[str, int], list[Group]] = defaultdict(list)
    for g in group_findings(fresh):
        scope = scopes.get(g.path)
        if scope is not None and scope.commentable(g.line):
            by_line[(g.path, g.line)].append(g)
        else:
            plan.overflow += g.findings
    order = sorted(by_line, key=lambda k: (-max(g.severity.rank for g in by_line[k]), k))
    directives = {(d.path, d.line): d for d in review.report.directives}
    window = review.report.platforms
    for path, line in order[:max_comments]:
        groups = by_line[(path, line)]
        marks = (fps[f] for g in groups for f in g.findings)
        body = comment_body(groups, directives.get((path, line)), marks, window, docs)
        plan.comments.append({"path": path, "line": line, "side": "RIGHT", "body": body})
    for k in order[max_comments:]:
        plan.overflow += [f for g in by_line[k] for f in g.findings]
    plan.overflow.sort()
    if plan.comments or plan.overflow:
        plan.body = review_body(plan, fps, window, max_comments)
    return plan


def review_body(
    plan: ReviewPlan, fps: Mapping[Finding, str], window: Sequence[str], cap: int
) -> str:
    """The review's own text: a headline and the findings that got no inline comment."""
    n = len(plan.comments)
    lines = [f"**linkname-bot** left {n} inline comment{'s' if n != 1 else ''}."]
    groups = group_findings(plan.overflow)
    shown = groups[:MAX_OVERFLOW_LINES]
    if groups:
        lines[0] += (
            f" {len(groups)} more finding{'s' if len(groups) != 1 else ''} could not be placed "
            f"inline (over the {cap}-comment cap or outside the diff):"
        )
        lines.append("")
        lines += [f"- `{g.path}:{g.line}` {headline(g, window)}" for g in shown]
        if len(groups) > len(shown):
            lines.append(f"- … {len(groups) - len(shown)} more, see the check run's annotations")
    # Only what is listed is marked as posted: the rest is listed again next time.
    listed = [f for g in shown for f in g.findings]
    markers = "\n".join(marker(fp) for fp in dict.fromkeys(fps[f] for f in listed))
    limit = MAX_BODY - len(markers) - 2
    text = clip("\n".join(lines), limit, "… more, see the check run's annotations")
    return f"{text}\n\n{markers}".rstrip("\n")
