"""Plan the pull-request review: which findings become inline comments, with what bodies.

Pure: the caller fetches existing fingerprints and posts the plan. Comments go only on lines
``FileScope.commentable`` accepts, so the review cannot be refused for a misplaced comment.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analyse.directives import Directive
from bot.analyse.review import Review
from bot.findings import Finding, Severity
from bot.publish.fingerprint import fingerprints, marker
from bot.rules import DOCS_BASE, RULES
from bot.scope.scope import FileScope

MAX_BODY = 65_535
MAX_OVERFLOW_LINES = 100
ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTICE: "ℹ️"}
GLOSS = {
    "push": "defines the target with this body",
    "pull": "uses a symbol defined elsewhere",
    "export": "lets other packages pull this symbol",
    "receive": "waits for another package to push this symbol",
    "unknown": "not resolved to a func or var",
}
_BACKTICKS = re.compile(r"`+")


@dataclass
class ReviewPlan:
    """What to post: ``body`` is None when there is no review to post at all."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    overflow: list[Finding] = field(default_factory=list)
    skipped_existing: list[Finding] = field(default_factory=list)
    body: str | None = None


# -- markdown helpers shared with the check run ----------------------------------------------


def fenced(text: str, info: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run in ``text``."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def rule_link(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return f"[`{rule_id}`]({rule.help_uri if rule else DOCS_BASE})"


def go_span(go: Sequence[str]) -> str:
    """``("1.23", "1.24", "1.25")`` → ``Go 1.23–1.25``; gaps give a list."""
    minors = sorted({int(v.split(".")[1]) for v in go})
    if not minors:
        return "all Go versions"
    if len(minors) > 1 and minors == list(range(minors[0], minors[-1] + 1)):
        return f"Go 1.{minors[0]}–1.{minors[-1]}"
    return "Go " + ", ".join(f"1.{m}" for m in minors)


def where(f: Finding, platforms: Sequence[str]) -> str:
    """The Go versions of a finding, and its platforms when not all of the window's."""
    if not f.go and f.path.endswith(".go"):  # a directive only older or newer Go builds
        return "no Go version of the window"
    text = go_span(f.go)
    if f.platforms and set(f.platforms) != set(platforms):
        text += " on " + ", ".join(f.platforms)
    return text


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


def finding_item(f: Finding, platforms: Sequence[str]) -> str:
    """A markdown list item for one finding, with its paste-ready entry if it has one."""
    item = f"- {ICON[f.severity]} {rule_link(f.rule)} {f.message} _({where(f, platforms)})_"
    if f.rule == "unknown-target" and f.suggestion:
        block = fenced(f.suggestion, "yaml")
        item += "\n\n" + "\n".join("  " + line for line in block.split("\n"))
    return item


def clip(text: str, limit: int, note: str) -> str:
    """``text`` cut at a line boundary so that it and ``note`` fit in ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, max(0, limit - len(note) - 2))
    return text[: max(cut, 0)] + "\n\n" + note


# -- the plan ---------------------------------------------------------------------------------


def comment_body(
    findings: Sequence[Finding],
    directive: Directive | None,
    fps: Iterable[str],
    platforms: Sequence[str],
) -> str:
    """The body of one inline comment: directive, findings, entries, hidden fingerprints."""
    if directive is not None:
        parts = [describe(directive)]
    else:
        targets = sorted({f.target for f in findings if f.target})
        parts = [f"A directive linking to `{targets[0]}` (not classified)"] if targets else []
    parts += [finding_item(f, platforms) for f in findings]
    markers = "\n".join(marker(fp) for fp in dict.fromkeys(fps))
    text = clip("\n\n".join(parts), MAX_BODY - len(markers) - 2, "… (cut to fit GitHub's limit)")
    return f"{text}\n\n{markers}"


def plan_review(
    review: Review,
    scopes: Mapping[str, FileScope],
    *,
    max_comments: int = 30,
    existing_fingerprints: set[str],
) -> ReviewPlan:
    """Group new findings by (path, line) into at most ``max_comments`` inline comments.

    Errors first, then by place. Findings over the cap or on lines the diff cannot carry a
    comment on go to ``overflow`` and are listed (with their fingerprints) in the body.
    """
    fps = fingerprints(review)
    plan = ReviewPlan()
    fresh: list[Finding] = []
    for f in review.report.findings:
        (plan.skipped_existing if fps[f] in existing_fingerprints else fresh).append(f)
    groups: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in fresh:
        scope = scopes.get(f.path)
        if scope is not None and scope.commentable(f.line):
            groups[(f.path, f.line)].append(f)
        else:
            plan.overflow.append(f)
    order = sorted(groups, key=lambda k: (-max(f.severity.rank for f in groups[k]), k))
    directives = {(d.path, d.line): d for d in review.report.directives}
    platforms = review.report.platforms
    for path, line in order[:max_comments]:
        found = groups[(path, line)]
        body = comment_body(found, directives.get((path, line)), (fps[f] for f in found), platforms)
        plan.comments.append({"path": path, "line": line, "side": "RIGHT", "body": body})
    for k in order[max_comments:]:
        plan.overflow += groups[k]
    plan.overflow.sort()
    if plan.comments or plan.overflow:
        plan.body = review_body(plan, fps, platforms, max_comments)
    return plan


def review_body(
    plan: ReviewPlan, fps: Mapping[Finding, str], platforms: Sequence[str], cap: int
) -> str:
    """The review's own text: a headline and the findings that got no inline comment."""
    n = len(plan.comments)
    lines = [f"**linkname-bot** left {n} inline comment{'s' if n != 1 else ''}."]
    shown = plan.overflow[:MAX_OVERFLOW_LINES]
    if plan.overflow:
        lines[0] += (
            f" {len(plan.overflow)} more finding{'s' if len(plan.overflow) != 1 else ''} "
            f"could not be placed inline (over the {cap}-comment cap or outside the diff):"
        )
        lines.append("")
        lines += [
            f"- {ICON[f.severity]} `{f.path}:{f.line}` {rule_link(f.rule)} {f.message} "
            f"_({where(f, platforms)})_"
            for f in shown
        ]
        if len(plan.overflow) > len(shown):
            lines.append(f"- … {len(plan.overflow) - len(shown)} more, see annotations")
    # Only what is listed is marked as posted: the rest is listed again next time.
    markers = "\n".join(marker(fp) for fp in dict.fromkeys(fps[f] for f in shown))
    limit = MAX_BODY - len(markers) - 2
    text = clip("\n".join(lines), limit, "… more, see the check run's annotations")
    return f"{text}\n\n{markers}".rstrip("\n")
