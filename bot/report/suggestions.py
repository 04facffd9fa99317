"""The registry entries a review suggests, as one snippet, and the ones it must not suggest.

An entry vouches for a target. It is never suggested for a directive the linker refuses (or
cannot resolve) somewhere in the window, nor for one whose declaration disagrees with the
target at error level: registering it would make a broken build look reviewed. Those are
listed as *withheld*, with what to do instead. Pure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from bot.findings import Finding, Severity
from bot.rules import RULES
from bot.versions import go_span
from bot.versions import parse_version as minor

#: What to do instead of registering, per rule that blocks a suggestion.
INSTEAD = {
    "invalid-reference": "use a supported API, or ask the package's owner to mark the symbol",
    "undefined-target": "fix the target's name, or narrow the file's build constraint",
    "duplicate-definition": "pull the symbol (a declaration without a body) instead of pushing",
    "signature-mismatch": "make the declaration match the target's signature first",
}


@dataclass(frozen=True)
class Withheld:
    """A target not suggested: the rule that stops it and the Go versions it fails on."""

    path: str
    line: int
    target: str
    rule: str
    go: tuple[str, ...]

    @property
    def instead(self) -> str:
        return INSTEAD.get(self.rule, "fix that error first")

    @property
    def reason(self) -> str:
        """Plain text: why, and what to do instead."""
        return (
            f"{self.rule} on {go_span(self.go)}: a registry entry would vouch for a build "
            f"that fails; {self.instead}"
        )


@dataclass(frozen=True)
class Suggestions:
    entries: tuple[str, ...] = ()  # YAML list items ("- target: …"), distinct, in order
    withheld: tuple[Withheld, ...] = ()

    @property
    def snippet(self) -> str:
        """Every entry in one YAML list, ready to paste under ``known:``."""
        return "\n".join(self.entries)


def entry_of(f: Finding) -> str | None:
    """The YAML list item a finding suggests: its ``suggestion``, else its fix's inserted text."""
    if f.suggestion:
        return f.suggestion.strip("\n")
    for fix in f.fixes:
        text = "".join(e.new_text for e in fix.edits)
        lines = [s for s in text.splitlines() if s.strip() and s.strip() != "known:"]
        item = textwrap.dedent("\n".join(lines))
        if item.startswith("- "):
            return item
    return None


def blocks(f: Finding) -> bool:
    """A finding after which no registry entry may be suggested for its directive."""
    rule = RULES.get(f.rule)
    return f.severity is Severity.ERROR and rule is not None and rule.family == "link"


def registry_suggestions(found: Iterable[Finding]) -> Suggestions:
    found = list(found)
    blockers: dict[tuple[str, int], list[Finding]] = {}
    for f in found:
        if blocks(f):
            blockers.setdefault((f.path, f.line), []).append(f)
    entries: dict[str, None] = {}
    withheld: dict[tuple[str, int], Withheld] = {}
    for f in sorted(found):
        if f.rule != "unknown-target":
            continue
        entry = entry_of(f)
        if entry is None:
            continue
        stop = blockers.get((f.path, f.line))
        if stop:
            first = min(stop, key=lambda b: (b.rule, b.go))
            go = tuple(sorted({v for b in stop if b.rule == first.rule for v in b.go}, key=minor))
            withheld.setdefault(
                (f.path, f.line), Withheld(f.path, f.line, f.target or "", first.rule, go)
            )
            continue
        entries.setdefault(entry)
    return Suggestions(tuple(entries), tuple(withheld.values()))
