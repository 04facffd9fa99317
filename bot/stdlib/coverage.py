"""Which Go versions and ports the standard-library facts cover: what a review may be asked for.

A version or port the facts do not cover cannot be judged: asked for explicitly (``--go 1.99``,
``--platform plan9/foo``, or the policy file's ``go:``/``platforms:``) it is a usage error, never
silently accepted. The answer comes from the facts themselves (their manifest), so a port gains
its verdicts the moment its facts are generated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.stdlib.facts import MANIFEST, FactsError, read_manifest, registry_dir

__all__ = ["Coverage", "FactsError", "facts_coverage"]


@dataclass(frozen=True)
class Coverage:
    """The Go minor versions and ``goos/goarch`` ports the facts describe."""

    versions: tuple[int, ...]
    platforms: tuple[str, ...]

    def unknown_versions(self, versions: Iterable[int]) -> list[int]:
        return sorted(set(versions) - set(self.versions))

    def unknown_platforms(self, platforms: Iterable[str]) -> list[str]:
        return sorted(set(platforms) - set(self.platforms))


def facts_coverage(directory: Path | None = None) -> Coverage:
    """The coverage of the facts in ``directory`` (default: the registry the bot uses).

    Each version's entry may list its own ports (``platforms``); otherwise the manifest's list
    holds for every version. A port counts as known when some version has facts for it.
    """
    d = directory if directory is not None else registry_dir()
    path = d / MANIFEST
    manifest = read_manifest(d)  # FactsError when missing; an overlay's comes merged
    try:
        entries = manifest["versions"]
        versions = tuple(sorted(int(v) for v in entries))
        platforms: set[str] = set(manifest.get("platforms") or ())
        for entry in entries.values():
            platforms.update(entry.get("platforms") or ())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise FactsError(f"standard-library facts unreadable at {path}: {e}") from None
    if not versions:
        raise FactsError(f"standard-library facts at {path} cover no Go version")
    return Coverage(versions, tuple(sorted(platforms)))
