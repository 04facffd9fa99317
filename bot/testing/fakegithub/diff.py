"""Unified-diff helpers: build a GitHub-style per-file patch and read which lines it covers."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def make_patch(old: str, new: str, context: int = 3) -> str:
    """The `patch` GitHub shows for one file: hunks only, without `---`/`+++` headers."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    body = [line for line in lines if not line.startswith(("---", "+++"))]
    return "\n".join(body)


@dataclass
class Hunk:
    """Line numbers a review comment may target in one hunk, per side."""

    right: set[int] = field(default_factory=set)
    left: set[int] = field(default_factory=set)


def hunks(patch: str) -> list[Hunk]:
    """Hunks of commentable lines: RIGHT = added + context, LEFT = removed + context."""
    result: list[Hunk] = []
    old = new = 0
    for line in patch.splitlines():
        match = _HUNK.match(line)
        if match:
            old, new = int(match.group(1)), int(match.group(3))
            result.append(Hunk())
            continue
        if not result or line.startswith("\\"):
            continue
        hunk = result[-1]
        if line.startswith("+"):
            hunk.right.add(new)
            new += 1
        elif line.startswith("-"):
            hunk.left.add(old)
            old += 1
        else:
            hunk.right.add(new)
            hunk.left.add(old)
            new += 1
            old += 1
    return result


def count_changes(patch: str) -> tuple[int, int]:
    """(additions, deletions) of a patch."""
    adds = sum(1 for x in patch.splitlines() if x.startswith("+"))
    dels = sum(1 for x in patch.splitlines() if x.startswith("-"))
    return adds, dels
