"""In-code suppressions: ``//linkname:ignore <rule> <reason>`` on the line or the line above."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.findings import Finding
from bot.rules import RULES

_PATTERN = re.compile(rb"//linkname:ignore(?:[ \t]+([A-Za-z0-9_,-]+))?(?:[ \t]+(\S.*?))?\s*$")


@dataclass(frozen=True)
class Suppression:
    line: int
    rules: frozenset[str]  # empty: malformed (no rule named)
    reason: str
    alone: bool  # on a line of its own: applies to the next line


def read_suppressions(source: bytes) -> list[Suppression]:
    out: list[Suppression] = []
    if b"linkname:ignore" not in source:
        return out
    for i, raw in enumerate(source.split(b"\n"), start=1):
        at = raw.find(b"//linkname:ignore")
        if at < 0:
            continue
        m = _PATTERN.search(raw, at)
        if m is None:
            continue
        rules = frozenset((m.group(1) or b"").decode().split(",")) - {""}
        reason = (m.group(2) or b"").decode("utf-8", "replace").strip()
        out.append(Suppression(i, rules, reason, raw[:at].strip() == b""))
    return out


def apply_suppressions(found: Iterable[Finding], sources: Mapping[str, bytes]) -> list[Finding]:
    """Drop suppressed findings; warn about suppressions that give no reason."""
    by_file: dict[str, list[Suppression]] = {}
    kept: list[Finding] = []
    for f in found:
        if f.path not in by_file:
            data = sources.get(f.path)
            by_file[f.path] = read_suppressions(data) if data is not None else []
        if not any(_covers(s, f) for s in by_file[f.path]):
            kept.append(f)
    for path, sups in by_file.items():
        for s in sups:
            if not s.reason or not s.rules:
                what = "no rule id" if not s.rules else "no reason"
                message = (
                    f"this //linkname:ignore names {what}: write "
                    "`//linkname:ignore <rule-id> <why it is safe>` so reviewers can judge it"
                )
                rule = RULES["unjustified-suppression"]
                kept.append(Finding(path, s.line, 1, rule.id, rule.severity, message))
    return kept


def _covers(s: Suppression, f: Finding) -> bool:
    if f.rule not in s.rules and "all" not in s.rules:
        return False
    return f.line == s.line or (s.alone and f.line == s.line + 1)
