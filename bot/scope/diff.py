"""Which lines a change touched, from a GitHub patch, ``git diff`` output or two file contents.

Everything here is pure. Parsing is delegated to ``unidiff``; this module only turns its hunks
into exact 1-based line-number sets, on the head side (``added``, ``commentable``) and on the
base side (``removed``).

Lines are split on ``\\n`` only, as git does: a ``\\r`` stays part of its line, so CRLF files
keep their numbering.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # unidiff is imported when a diff is parsed, not by `check PATH`
    from unidiff.patch import PatchedFile

Status = Literal["added", "modified", "removed", "renamed"]

CONTEXT_LINES = 3
#: Up to this many lines, ``from_contents`` turns off difflib's "junk" heuristic, whose cost is
#: quadratic in repeated lines but which otherwise may report popular lines (``}``, blank) as
#: changed. Beyond it, speed wins: GitHub only leaves out patches of very large diffs.
EXACT_DIFF_LIMIT = 5000
_DEV_NULL = "/dev/null"
_NO_NEWLINE = "\\ No newline at end of file\n"
_PREFIX = re.compile(r"^[abciow12]/")
_C_ESCAPE = re.compile(r"\\([0-7]{3}|.)")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}

#: GitHub's file statuses, folded onto ours. A copy is a new file at head.
_GITHUB_STATUS: dict[str, Status] = {
    "added": "added",
    "copied": "added",
    "removed": "removed",
    "renamed": "renamed",
    "modified": "modified",
    "changed": "modified",
    "unchanged": "modified",
}


@dataclass(frozen=True)
class FileDiff:
    """The lines one file's change touched."""

    path: str
    old_path: str | None
    status: Status
    added: frozenset[int]
    removed: frozenset[int]
    commentable: frozenset[int]
    patch_missing: bool = False
    binary: bool = False


def from_github_file(entry: Mapping[str, Any]) -> FileDiff:
    """Build a ``FileDiff`` from one item of ``GET /repos/{o}/{r}/pulls/{n}/files``.

    A ``copied`` file is reported as ``added`` with ``old_path`` set to the copy's source.
    Without a ``patch``: zero line counts mean a binary file (or, for a rename or mode change,
    no content change at all); anything else is a patch GitHub left out, so ``patch_missing``
    is set and the caller must use ``from_contents``. A patch unidiff cannot parse (GitHub
    truncates some) is treated as missing too.
    """
    path: str = entry["filename"]
    status = _GITHUB_STATUS[entry["status"]]
    old_path: str | None = entry.get("previous_filename") or path
    if status == "added" and entry["status"] != "copied":
        old_path = None

    patch: str | None = entry.get("patch")
    if patch is None:
        return _without_patch(entry, path, old_path, status)
    if not patch.endswith("\n"):
        patch += "\n"
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    try:
        patched = PatchSet("--- a/file\n+++ b/file\n" + patch)
    except UnidiffParseError:
        return _empty(path, old_path, status, patch_missing=True)
    if not patched:
        return _empty(path, old_path, status)
    return _to_file_diff(patched[0], path, old_path, status)


def parse_unified(text: str) -> list[FileDiff]:
    """Parse ``git diff`` output (renames, new, deleted, binary and mode-only changes).

    Raises ``unidiff.UnidiffParseError`` on malformed input.
    """
    from unidiff.patch import PatchSet

    return [_from_git_file(patched) for patched in PatchSet(text)]


def from_contents(
    path: str, base: str | None, head: str | None, old_path: str | None = None
) -> FileDiff:
    """Diff two contents of a file (``None``: absent on that side) with 3 lines of context.

    For files up to ``EXACT_DIFF_LIMIT`` lines ``difflib``'s "junk" heuristic is off, so the
    result is a minimal-ish diff like git's, though not necessarily the same alignment when
    several are equally good.
    """
    if base is None and head is None:
        raise ValueError(f"{path}: neither a base nor a head content to diff")
    status = _contents_status(path, base, head, old_path)
    if status == "added":
        old_path = None
    elif old_path is None:
        old_path = path
    from unidiff.patch import PatchSet

    text = "".join(_unified(split_lines(base or ""), split_lines(head or "")))
    patched = PatchSet(text)
    if not patched:
        return _empty(path, old_path, status)
    return _to_file_diff(patched[0], path, old_path, status)


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping the terminators (unlike ``str.splitlines``)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _without_patch(
    entry: Mapping[str, Any], path: str, old_path: str | None, status: Status
) -> FileDiff:
    if entry.get("additions") != 0 or entry.get("deletions") != 0:
        return _empty(path, old_path, status, patch_missing=True)
    no_content_change = entry["status"] in ("renamed", "changed", "unchanged")
    return _empty(path, old_path, status, binary=not no_content_change)


def _contents_status(path: str, base: str | None, head: str | None, old_path: str | None) -> Status:
    if base is None:
        return "added"
    if head is None:
        return "removed"
    if old_path is not None and old_path != path:
        return "renamed"
    return "modified"


def _unified(base: Sequence[str], head: Sequence[str]) -> Iterator[str]:
    """``difflib.unified_diff``, with git's end-of-file marker and ``autojunk`` by size."""
    yield "--- a/file\n+++ b/file\n"
    autojunk = max(len(base), len(head)) > EXACT_DIFF_LIMIT
    matcher = difflib.SequenceMatcher(None, base, head, autojunk=autojunk)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        _, a_first, _, b_first, _ = group[0]
        _, _, a_last, _, b_last = group[-1]
        yield f"@@ -{_range(a_first, a_last)} +{_range(b_first, b_last)} @@\n"
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                yield from _body(" ", base[a1:a2])
                continue
            yield from _body("-", base[a1:a2])
            yield from _body("+", head[b1:b2])


def _range(start: int, stop: int) -> str:
    length = stop - start
    return f"{start + 1 if length else start},{length}"


def _body(sign: str, lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        yield sign + line if line.endswith("\n") else f"{sign}{line}\n{_NO_NEWLINE}"


def _from_git_file(patched: PatchedFile) -> FileDiff:
    info = list(patched.patch_info or ())
    rename_from = _info_value(info, "rename from ")
    rename_to = _info_value(info, "rename to ")
    if patched.source_file == _DEV_NULL:
        return _to_file_diff(patched, _clean(patched.target_file), None, "added")
    if patched.target_file == _DEV_NULL:
        old = _clean(patched.source_file)
        return _to_file_diff(patched, old, old, "removed")
    if rename_from is not None and rename_to is not None:
        return _to_file_diff(patched, rename_to, rename_from, "renamed")
    return _to_file_diff(
        patched, _clean(patched.target_file), _clean(patched.source_file), "modified"
    )


def _info_value(info: Sequence[str], prefix: str) -> str | None:
    for line in info:
        if line.startswith(prefix):
            return _unquote(line[len(prefix) :].rstrip("\n"))
    return None


def _clean(name: str) -> str:
    """``"b/dir/x.go"`` (quoted or not) → ``dir/x.go``."""
    return _PREFIX.sub("", _unquote(name), count=1)


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual paths (``core.quotepath=off`` still quotes some)."""
    if len(name) < 2 or not name.startswith('"') or not name.endswith('"'):
        return name
    body = name[1:-1]
    raw = bytearray()
    position = 0
    for match in _C_ESCAPE.finditer(body):
        raw += body[position : match.start()].encode("utf-8", "surrogateescape")
        code = match.group(1)
        raw.append(int(code, 8) if len(code) == 3 else _C_ESCAPES.get(code, ord(code)))
        position = match.end()
    raw += body[position:].encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "surrogateescape")


def _to_file_diff(
    patched: PatchedFile, path: str, old_path: str | None, status: Status
) -> FileDiff:
    added: set[int] = set()
    removed: set[int] = set()
    context: set[int] = set()
    for hunk in patched:
        for line in hunk:
            if line.is_added and line.target_line_no is not None:
                added.add(line.target_line_no)
            elif line.is_removed and line.source_line_no is not None:
                removed.add(line.source_line_no)
            elif line.is_context and line.target_line_no is not None:
                context.add(line.target_line_no)
    return FileDiff(
        path=path,
        old_path=old_path,
        status=status,
        added=frozenset(added),
        removed=frozenset(removed),
        commentable=frozenset(added | context),
        binary=patched.is_binary_file,
    )


def _empty(
    path: str,
    old_path: str | None,
    status: Status,
    *,
    patch_missing: bool = False,
    binary: bool = False,
) -> FileDiff:
    nothing: frozenset[int] = frozenset()
    return FileDiff(path, old_path, status, nothing, nothing, nothing, patch_missing, binary)
