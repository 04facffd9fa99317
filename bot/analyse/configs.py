"""Sets of (Go version, platform) configurations, and how findings name them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.golang.ports import exists as port_exists
from bot.versions import Config, labels, platforms_of, versions_of

__all__ = ["platforms_of", "rectangles", "versions_of"]


def rectangles(configs: Iterable[Config]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Split a configuration set into (versions, platforms) products, fewest first.

    Versions that share the same platform set are grouped, so the usual case — a rule that
    applies to some versions on every platform — is one rectangle. A port missing from a
    version (``go tool dist list``) counts as present there.
    """
    by_version: dict[int, set[str]] = defaultdict(set)
    for version, platform in configs:
        by_version[version].add(platform)
    named = set().union(*by_version.values()) if by_version else set()
    groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for version, platforms in sorted(by_version.items()):
        # A port that does not exist in a version does not split the rectangle.
        absent = {p for p in named if not port_exists(version, p)}
        groups[frozenset(platforms | absent)].append(version)
    return [
        (labels(versions), tuple(sorted(platforms)))
        for platforms, versions in sorted(groups.items(), key=lambda kv: kv[1][0])
    ]
