"""Paths a policy may name must stay inside the repository.

The policy file comes from the pull request under review (and, in the GitHub Action, is read on
a CI runner): a ``registry_files`` entry such as ``/etc/ci/secret.yml`` or ``../../token`` must
never be read. ``outside`` is the lexical check every reader applies first; readers that see a
file system also refuse symlinks that lead out, by raising ``OutsideRepository``.
"""

from __future__ import annotations

import posixpath
import re

_DRIVE = re.compile(r"^[A-Za-z]:")


class OutsideRepository(Exception):
    """A path (or a symlink on it) that leads outside the repository; nothing was read."""


def outside(path: str) -> str | None:
    """Why ``path`` is not a path inside the repository, in plain words; None when it is."""
    if not path or not path.strip():
        return "an empty path"
    if "\0" in path:
        return "a path with a NUL character"
    if path.startswith(("/", "\\", "~")) or _DRIVE.match(path):
        return "an absolute path"
    if "\\" in path:
        return "a path with backslashes (write paths with /)"
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../") or ".." in path.split("/"):
        return "a path that climbs out with '..'"
    return None
