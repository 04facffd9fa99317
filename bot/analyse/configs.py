"""Sets of (Go version, platform) configurations, and how findings name them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.versions import Config, labels, platforms_of, versions_of

__all__ = ["platforms_of", "rectangles", "versions_of"]


def rectangles(configs: Iterable[Config]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Split a configuration set into (versions, platforms) products, fewest first.

    Versions that share the same platform set are grouped, so the usual case — a rule that
    applies to some versions on every platform — is one rectangle.
    """
    by_version: dict[int, set[str]] = defaultdict(set)
    for version, platform in configs:
        by_version[version].add(platform)
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for version, platforms in sorted(by_version.items()):
        groups[frozenset(platforms)].append(version)
    return [
        (labels(versions), tuple(sorted(platforms)))
        for platforms, versions in sorted(groups.items(), key=lambda kv: kv[1][0])
    ]
