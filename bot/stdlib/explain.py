"""``linkname-bot explain SYMBOL``: what each Go version's linker makes of one symbol.

For every version of a window and every port its facts cover: whether the symbol exists,
whether a package outside the standard library may pull it (and why: marked, blocked, defined
in assembly, ``//go:linknamestd``), its signature or type and where that changed, and the
packages the standard library's own comments name as pulling it ("hall of shame").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from bot.golang.symbols import split_symbol
from bot.stdlib.facts import VersionFacts
from bot.stdlib.linker import verdict
from bot.versions import label

#: The package a pull is judged from: any package outside the standard library.
OUTSIDE = "example.com/user"


@dataclass(frozen=True)
class VersionAnswer:
    """One Go version's answer for one symbol."""

    go: str
    exists: bool
    kind: str | None = None
    platforms: tuple[str, ...] = ()  # where the linker finds it (among the ports with facts)
    pullable: bool | None = None  # None: it does not exist; else on every such platform
    reason: str = ""
    signature: str | None = None
    signature_changed: bool = False  # differs from the previous version's
    shame: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "go": self.go,
            "exists": self.exists,
            "kind": self.kind,
            "platforms": list(self.platforms),
            "pullable": self.pullable,
            "reason": self.reason,
            "signature": self.signature,
            "signature_changed": self.signature_changed,
            "shame": list(self.shame),
        }


def explain(symbol: str, window: Mapping[int, VersionFacts]) -> list[VersionAnswer]:
    """One answer per version of ``window``, oldest first."""
    answers: list[VersionAnswer] = []
    previous: str | None = None
    for minor in sorted(window):
        facts = window[minor]
        s = facts.symbol(symbol)
        if s is None:
            where = "its package does not exist" if not _package_exists(facts, symbol) else ""
            reason = "not defined" + (f" ({where})" if where else "")
            answers.append(VersionAnswer(label(minor), False, reason=reason))
            previous = None
            continue
        by_reason: dict[str, list[str]] = defaultdict(list)
        refused = False
        for platform in sorted(s.platforms):
            v = verdict(facts, s, platform, OUTSIDE)
            refused = refused or v.refused
            by_reason[("refused: " if v.refused else "") + v.describe(symbol)].append(platform)
        if len(by_reason) == 1:
            reason = next(iter(by_reason))
        else:
            reason = "; ".join(f"{r} ({', '.join(p)})" for r, p in by_reason.items())
        signature = next((sig for p in sorted(s.platforms) if (sig := s.signature(p))), None)
        answers.append(
            VersionAnswer(
                label(minor),
                True,
                s.kind,
                tuple(sorted(s.platforms)),
                not refused,
                reason,
                signature,
                previous is not None and signature != previous,
                s.shame,
            )
        )
        previous = signature
    return answers


def _package_exists(facts: VersionFacts, symbol: str) -> bool:
    return facts.is_std(split_symbol(symbol)[0])


def render_text(symbol: str, answers: list[VersionAnswer]) -> str:
    """A compact table: one line per version, then the hall of shame once."""
    rows = [("Go", "pull", "why", "signature")]
    for a in answers:
        pull = "-" if a.pullable is None else "yes" if a.pullable else "NO"
        sig = (a.signature or "") + ("  (changed)" if a.signature_changed else "")
        rows.append((a.go, pull, a.reason, sig))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [symbol]
    lines += [
        "  ".join(cell.ljust(width[i]) if i < 3 else cell for i, cell in enumerate(r)).rstrip()
        for r in rows
    ]
    shame = sorted({p for a in answers for p in a.shame})
    if shame:
        lines.append("named by the standard library as pulling it: " + ", ".join(shame))
    return "\n".join(lines) + "\n"
