"""The files of a workspace when they are not all held in memory (``bot.fetch.local_files``).

A ``TreeFiles`` is a ``Mapping[str, bytes]`` like any other, and two shortcuts for the scans
that read every file: each .go file's header (up to its package clause: all a package clause
or build constraint is read from) and the paths whose bytes mention ``go:linkname``, both
found while the tree was read. The helpers below answer for any mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MARKER = b"go:linkname"


class TreeFiles(Mapping[str, bytes]):
    """Files whose headers and ``go:linkname`` mentions are known without their bytes."""

    marked: frozenset[str]  # the .go paths whose bytes contain go:linkname

    def header(self, path: str) -> bytes:
        """Bytes of the file up to (at least) the end of its package clause's line."""
        raise NotImplementedError


def header_of(files: Mapping[str, bytes], path: str) -> bytes:
    """The file's bytes, or as much of them as its package clause needs."""
    return files.header(path) if isinstance(files, TreeFiles) else files[path]


def marked_paths(files: Mapping[str, bytes], paths: Iterable[str]) -> set[str]:
    """Those of ``paths`` whose bytes mention ``go:linkname``."""
    if isinstance(files, TreeFiles):
        marked = files.marked
        return {p for p in paths if p in marked}
    return {p for p in paths if MARKER in files[p]}
