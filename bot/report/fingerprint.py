"""Fingerprints that recognise a finding across pushes, and the hidden markers that carry them.

A fingerprint hashes (path, rule, target, anchor, Go versions, ordinal) and never the line
number, so a push that only moves lines keeps it. The anchor is the directive's local name, or
for findings on no classified directive the message with line numbers blanked out. The ordinal
tells apart same-keyed findings on different lines of one file (0, 1, … in line order).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Protocol

from bot.analyse.review import Review
from bot.findings import Finding

MARKER_PREFIX = "<!-- linkname-bot:fp="
_MARKER = re.compile(r"<!-- linkname-bot:fp=([0-9a-f]{8,64}) -->")
_LINE_NUMBERS = re.compile(r"\b(lines?) \d+(?:(?:, | and |-)\d+)*")

Key = tuple[str, str, str, str, tuple[str, ...]]


class Thread(Protocol):
    """What ``stale_threads`` reads of a review thread (``bot.github.models.ReviewThread``)."""

    @property
    def id(self) -> str: ...
    @property
    def is_resolved(self) -> bool: ...
    @property
    def body(self) -> str: ...


def marker(fp: str) -> str:
    """The hidden HTML comment that carries one fingerprint."""
    return f"{MARKER_PREFIX}{fp} -->"


def extract_fingerprints(comment_body: str) -> set[str]:
    """Every fingerprint marked in a comment or review body."""
    return set(_MARKER.findall(comment_body))


def finding_key(finding: Finding, local: str | None) -> Key:
    """What identifies a finding regardless of where its line moved."""
    anchor = local if local is not None else _LINE_NUMBERS.sub(r"\1 #", finding.message)
    return (finding.path, finding.rule, finding.target or "", anchor, finding.go)


def digest(key: Key, ordinal: int = 0) -> str:
    """A 16-hex-digit hash of a key (and ordinal, when not the first of its kind)."""
    parts = [*key[:4], ",".join(key[4])] + ([str(ordinal)] if ordinal else [])
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def fingerprints(review: Review) -> dict[Finding, str]:
    """The fingerprint of every finding of a review."""
    locals_ = {(d.path, d.line): d.local for d in review.report.directives}
    return fingerprint_findings(review.report.findings, locals_)


def fingerprint_findings(
    found: Iterable[Finding], locals_: Mapping[tuple[str, int], str]
) -> dict[Finding, str]:
    """Fingerprints given the local name of the directive on each (path, line), if any."""
    keyed = [(f, finding_key(f, locals_.get((f.path, f.line)))) for f in found]
    lines: dict[Key, set[int]] = defaultdict(set)
    for f, key in keyed:
        lines[key].add(f.line)
    order = {key: {line: i for i, line in enumerate(sorted(ls))} for key, ls in lines.items()}
    return {f: digest(key, order[key][f.line]) for f, key in keyed}


def stale_threads(threads: Iterable[Thread], current_fingerprints: set[str]) -> list[str]:
    """Ids of unresolved bot threads none of whose fingerprints is still current.

    A thread is the bot's when its first comment carries a marker. The caller resolves these
    with GraphQL ``resolveReviewThread``; nothing is ever deleted.
    """
    out = []
    for t in threads:
        found = extract_fingerprints(t.body)
        if found and not t.is_resolved and not found & current_fingerprints:
            out.append(t.id)
    return out
