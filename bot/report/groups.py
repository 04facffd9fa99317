"""Findings as people read them: one group per directive line and rule, one line per fact.

The analysis emits one finding per (versions × platforms) rectangle, and a rule may say
different things on different versions. Every reporter shows one *group* per (file, line,
rule): its distinct messages (*facts*), each with the versions and platforms it holds on,
written once. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.findings import Finding, Severity
from bot.rules import RULES
from bot.versions import go_span, parse_version

ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTICE: "ℹ️"}

#: The fact a rule states, for one-line headlines ("refused by the linker on Go 1.23–1.27").
PHRASE = {
    "invalid-reference": "refused by the linker",
    "undefined-target": "the target is not defined",
    "duplicate-definition": "defined twice at link time",
    "platform-only": "the target is missing on some platforms",
    "signature-mismatch": "the declaration disagrees with the target",
    "unknown-target": "not in the registry of known targets",
    "registry-mismatch": "the declaration disagrees with the registry",
    "stale-registry-entry": "the registry entry is out of date",
    "handshake-incomplete": "one side of the handshake is missing",
}

_BACKTICKS = re.compile(r"`+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class Fact:
    """One distinct message of a group and where it holds."""

    message: str
    severity: Severity
    go: tuple[str, ...]
    platforms: tuple[str, ...]
    settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """Every finding of one rule on one line of one file."""

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    target: str | None
    facts: tuple[Fact, ...]
    findings: tuple[Finding, ...]

    @property
    def go(self) -> tuple[str, ...]:
        return _labels(v for f in self.facts for v in f.go)

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted({p for f in self.facts for p in f.platforms}))

    @property
    def worst(self) -> tuple[Fact, ...]:
        """The facts at the group's severity (what the headline is about)."""
        return tuple(f for f in self.facts if f.severity is self.severity)


def _labels(go: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(go), key=parse_version))


def _oldest_first(fact: Fact) -> tuple[int, int, str]:
    first = parse_version(fact.go[0]) if fact.go else 0
    return (first, -fact.severity.rank, fact.message)


def group_findings(found: Iterable[Finding]) -> list[Group]:
    """Groups in (path, line, rule) order; facts from the oldest Go version they hold on."""
    by_key: dict[tuple[str, int, str], list[Finding]] = {}
    for f in sorted(found):
        by_key.setdefault((f.path, f.line, f.rule), []).append(f)
    out = []
    for (path, line, rule), members in sorted(by_key.items()):
        facts: dict[tuple[str, Severity, tuple[str, ...]], tuple[set[str], set[str]]] = {}
        for f in members:
            go, platforms = facts.setdefault((f.message, f.severity, f.settings), (set(), set()))
            go.update(f.go)
            platforms.update(f.platforms)
        out.append(
            Group(
                path,
                line,
                min(f.column for f in members),
                rule,
                max((f.severity for f in members), key=lambda s: s.rank),
                next((f.target for f in members if f.target), None),
                tuple(
                    sorted(
                        (
                            Fact(message, sev, _labels(go), tuple(sorted(platforms)), settings)
                            for (message, sev, settings), (go, platforms) in facts.items()
                        ),
                        key=_oldest_first,
                    )
                ),
                tuple(members),
            )
        )
    return out


def scope(go: Sequence[str], platforms: Sequence[str], window: Sequence[str]) -> str:
    """``Go 1.23–1.27``, with `` on linux/amd64`` when not every platform of the window."""
    text = go_span(go)
    if platforms and set(platforms) != set(window):
        text += " on " + ", ".join(platforms)
    return text


def fact_text(fact: Fact, window: Sequence[str]) -> str:
    """The message with its scope appended, unless the message already names the versions."""
    if not fact.go:  # problems of the policy file hold for no particular version
        return fact.message
    versions = go_span(fact.go)
    where = scope(fact.go, fact.platforms, window)
    if fact.settings:
        where += " with " + ", ".join(fact.settings)
    if versions in fact.message:
        rest = where[len(versions) :].strip()
        return f"{fact.message} ({rest})" if rest else fact.message
    return f"{fact.message} ({where})"


def phrase(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return PHRASE.get(rule_id, rule.summary if rule else rule_id)


def headline(group: Group, window: Sequence[str]) -> str:
    """``❌ invalid-reference — refused by the linker on Go 1.23–1.27`` (plain text)."""
    worst = group.worst
    go = _labels(v for f in worst for v in f.go)
    platforms = tuple(sorted({p for f in worst for p in f.platforms}))
    text = f"{ICON[group.severity]} {group.rule} — {phrase(group.rule)}"
    if not go:
        return text
    text += f" on {go_span(go)}"
    if platforms and set(platforms) != set(window):
        text += f" ({', '.join(platforms)})"
    return text


def title(group: Group, window: Sequence[str]) -> str:
    """``invalid-reference (Go 1.23–1.27)``: the rule and its scope, once."""
    if not group.go:
        return group.rule
    return f"{group.rule} ({scope(group.go, group.platforms, window).replace(' on ', ', ')})"


def plain(text: str) -> str:
    """Markdown to the plain text GitHub shows literally (annotations, workflow commands)."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return _BACKTICKS.sub("", text)
