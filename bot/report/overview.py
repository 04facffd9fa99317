"""The short overview of a review, in markdown: the check run's summary and the Action's job
summary render the same thing.

Counts; the Go version × directive matrix for directives with warnings or errors (clean ones
as a count); new targets; and one collapsed block with the notices and ONE YAML snippet holding
every suggested registry entry. Pure; sections are cut row by row to stay within a limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analyse.directives import Directive
from bot.findings import Finding, Severity
from bot.report.groups import ICON, group_findings, headline
from bot.report.links import rule_link
from bot.report.suggestions import Suggestions, registry_suggestions
from bot.versions import go_span, labels

MAX_ROWS = 30  # per table: the overview is read at a glance
MAX_NOTICES = 20
MAX_TARGETS = 100
CONFIG_PATH = ".github/linkname-bot.yml"


@dataclass(frozen=True)
class Section:
    """A block of markdown whose rows may be cut: ``head``, rows, then ``tail``."""

    head: str
    rows: Sequence[str]
    tail: str = ""
    sep: str = "\n"
    cap: int | None = None


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
        if len(rows) < len(s.rows):
            block += f"\n\n… {len(s.rows) - len(rows)} more, see annotations"
        block += s.tail
        out.append(block)
        used += len(block) + 2
    return "\n\n".join(out)[:limit]


def plural(word: str, n: int) -> str:
    many = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{n} {word if n == 1 else many}"


def fenced(text: str, info: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def cell(text: str) -> str:
    """Text that fits in one markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def counts_line(found: Sequence[Finding], directives: Sequence[Directive]) -> str:
    groups = group_findings(found)
    counts = Counter(g.severity for g in groups)
    places = {(d.path, d.line): d.kind for d in directives}
    kinds = Counter(places.values())
    what = ", ".join(plural(k, n) for k, n in sorted(kinds.items()))
    head = plural("directive", len(places)) + (f" ({what})" if what else "")
    return f"{head}: " + ", ".join(f"{ICON[s]} {plural(s.value, counts[s])}" for s in Severity)


def overview_sections(
    versions: Sequence[int],
    platforms: Sequence[str],
    directives: Sequence[Directive],
    found: Sequence[Finding],
    *,
    intro: str = "",
    config_path: str | None = None,
    docs: str | None = None,
    suggestions: Suggestions | None = None,
) -> list[Section]:
    """The sections of the overview; ``intro`` goes before the counts."""
    window = labels(versions)
    head = f"{intro}{go_span(window)} × {len(platforms)} platforms ({', '.join(platforms)}). "
    head += counts_line(found, directives) + "."
    groups = group_findings(found)
    by_rule = Counter((g.rule, g.severity) for g in groups)
    if by_rule:
        head += "\n\n" + " · ".join(
            f"{ICON[s]} {rule_link(r, docs)} {n}"
            for (r, s), n in sorted(by_rule.items(), key=lambda kv: (-kv[0][1].rank, kv[0][0]))
        )
    sections = [Section(head, [])]
    sections += matrix_sections(window, directives, found)
    sections += new_target_sections(found)
    sugg = suggestions if suggestions is not None else registry_suggestions(found)
    sections += notice_sections(found, platforms, sugg, config_path, docs)
    return sections


def matrix_sections(
    window: Sequence[str], directives: Sequence[Directive], found: Sequence[Finding]
) -> list[Section]:
    """Directives with warnings or errors × Go versions: ✗ error, ⚠ warning, ✓ fine, – not
    built; clean directives only as a count."""
    built: dict[tuple[str, int], tuple[str, set[str]]] = {}
    for d in directives:
        name = "go:linknamestd" if d.std else "go:linkname"
        text = f"//{name} {d.local}" + (f" {d.target}" if d.explicit else "")
        built.setdefault((d.path, d.line), (text, set()))[1].update(d.go)
    worst: dict[tuple[str, int, str], int] = {}
    flagged: set[tuple[str, int]] = set()
    for f in found:
        if f.severity is Severity.NOTICE:
            continue
        flagged.add((f.path, f.line))
        for v in f.go or window:
            key = (f.path, f.line, v)
            worst[key] = max(worst.get(key, -1), f.severity.rank)
    clean = len(set(built) - flagged)
    marks = {Severity.ERROR.rank: "✗", Severity.WARNING.rank: "⚠"}
    rows = []
    for path, line in sorted(flagged):
        text, on = built.get((path, line), ("", set()))
        cells = [marks.get(worst.get((path, line, v), -1), "✓" if v in on else "–") for v in window]
        label = f"`{cell(path)}:{line}`" + (f" `{cell(text)}`" if text else "")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    tail = f"\n\n{plural('other directive', clean)} with no error or warning." if clean else ""
    if not rows:
        return [Section(tail.strip(), [])] if clean else []
    head = (
        "### Directives with errors or warnings\n\n"
        "✗ error · ⚠ warning · ✓ fine · – not built\n\n"
        f"| Directive | {' | '.join(window)} |\n|---|{':-:|' * len(window)}"
    )
    return [Section(head, rows, tail=tail, cap=MAX_ROWS)]


def new_target_sections(found: Sequence[Finding]) -> list[Section]:
    """Targets not in the registry, each once, with how many directives use it."""
    uses = Counter(
        f.target
        for f in {(f.target, f.path, f.line): f for f in found}.values()
        if f.rule == "unknown-target" and f.target
    )
    if not uses:
        return []
    items = [f"`{t}`" + (f" ×{n}" if n > 1 else "") for t, n in sorted(uses.items())]
    shown = " · ".join(items[:MAX_TARGETS])
    if len(items) > MAX_TARGETS:
        shown += f" · … {len(items) - MAX_TARGETS} more"
    return [Section(f"### New targets ({len(items)})\n\n{shown}", [])]


def notice_sections(
    found: Sequence[Finding],
    platforms: Sequence[str],
    sugg: Suggestions,
    config_path: str | None,
    docs: str | None,
) -> list[Section]:
    """One collapsed block: notices (registry notices counted, not listed), withheld targets,
    and the one YAML snippet with every suggested entry."""
    notices = [g for g in group_findings(found) if g.severity is Severity.NOTICE]
    if not notices and not sugg.entries and not sugg.withheld:
        return []
    unknown = [g for g in notices if g.rule == "unknown-target"]
    others = [g for g in notices if g.rule != "unknown-target"]
    parts = [
        plural("notice", len(notices)),
        plural("suggested registry entry", len(sugg.entries)),
    ]
    lines: list[str] = []
    if unknown:
        lines.append(
            f"- {ICON[Severity.NOTICE]} {rule_link('unknown-target', docs)}: "
            f"{plural('directive', len(unknown))} pull targets the registry does not list"
        )
    lines += [f"- `{g.path}:{g.line}` {headline(g, platforms)}" for g in others[:MAX_NOTICES]]
    if len(others) > MAX_NOTICES:
        lines.append(f"- … {len(others) - MAX_NOTICES} more, see annotations")
    body = "\n".join(lines)
    by_rule: dict[str, list[str]] = {}
    for w in sugg.withheld:
        by_rule.setdefault(w.rule, []).append(f"`{w.target}` ({go_span(w.go)})")
    for rule_id, targets in sorted(by_rule.items()):
        instead = next(w.instead for w in sugg.withheld if w.rule == rule_id)
        body += (
            f"\n\nNot suggested for the registry, {rule_id} (an entry would vouch for a build "
            f"that fails; {instead}): " + ", ".join(targets[:MAX_ROWS])
        )
        if len(targets) > MAX_ROWS:
            body += f", … {len(targets) - MAX_ROWS} more"
    if sugg.entries:
        where = config_path or CONFIG_PATH
        body += (
            f"\n\nAdd these entries under `known:` in `{where}` "
            "(the *Add registry entries* button commits exactly this):\n\n"
            + fenced(sugg.snippet, "yaml")
        )
    summary = f"{ICON[Severity.NOTICE]} {' · '.join(parts)}"
    return [Section(f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>", [])]
