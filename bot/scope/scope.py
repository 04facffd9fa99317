"""Which head lines of one file a review may speak about, and where it may comment.

A directive is in scope when its line was added or changed, when the signature of its local
declaration was (the caller passes those spans to ``touches``), when the file's build
constraint changed, or when the file is new. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.golang.header import SPACE, strip_comments
from bot.scope.diff import FileDiff, split_lines


@dataclass(frozen=True)
class FileScope:
    """The review scope of one file at head.

    ``diff`` is ``None`` when there is nothing to compare with (``check`` without ``--base``,
    or ``--all``): then every line is in scope and may be commented on. ``whole_file`` means
    every line is in scope because the file is new or its build constraint changed; comments
    are still limited to the diff's commentable lines.
    """

    diff: FileDiff | None
    whole_file: bool

    def touches(self, first_line: int, last_line: int | None = None) -> bool:
        """Whether any head line in ``[first_line, last_line]`` is in scope."""
        last = first_line if last_line is None else last_line
        if last < first_line:
            raise ValueError(f"empty line span {first_line}..{last}")
        if self.diff is None or self.whole_file:
            return True
        return any(line in self.diff.added for line in range(first_line, last + 1))

    def commentable(self, line: int) -> bool:
        """Whether GitHub accepts a RIGHT-side review comment on this head line."""
        if self.diff is None:
            return line >= 1
        return line in self.diff.commentable


def file_scope(
    diff: FileDiff | None, head_text: str | None, base_text: str | None = None
) -> FileScope:
    """Work out the scope of one file from its diff and, for Go files, its texts.

    ``head_text`` is needed to notice a changed build constraint; ``base_text`` makes that
    exact (header constraints compared), otherwise any edit to the header counts. A diff whose
    patch is missing must first be rebuilt with ``from_contents``.
    """
    if diff is None:
        return FileScope(None, whole_file=True)
    if diff.patch_missing:
        raise ValueError(f"{diff.path}: patch missing, diff the contents with from_contents")
    if diff.status == "removed":
        return FileScope(diff, whole_file=False)
    if diff.status == "added":
        return FileScope(diff, whole_file=True)
    return FileScope(diff, whole_file=_constraint_changed(diff, head_text, base_text))


def header_constraints(text: str) -> frozenset[str]:
    """The ``//go:build`` and ``// +build`` lines before the package clause, normalised."""
    return frozenset(_header(split_lines(text))[0])


def is_constraint_line(line: str) -> bool:
    """Whether a line is a ``//go:build`` or ``// +build`` comment (as ``go/build`` reads it)."""
    line = line.strip()
    if _starts_word(line, "//go:build"):
        return True
    return line.startswith("//") and _starts_word(line[2:].lstrip(), "+build")


def _starts_word(text: str, word: str) -> bool:
    return text.startswith(word) and (len(text) == len(word) or text[len(word)] in " \t")


def _constraint_changed(diff: FileDiff, head_text: str | None, base_text: str | None) -> bool:
    if not diff.path.endswith(".go") or head_text is None:
        return False
    if base_text is not None:
        return header_constraints(head_text) != header_constraints(base_text)
    return _header_edited(diff, split_lines(head_text))


def _header_edited(diff: FileDiff, head: Sequence[str]) -> bool:
    """Without the base text: did an added or removed line fall in the header?

    Once no line was added above head's package clause, base and head agree line for line up
    to it, so a removed base line is in the header when it is not below that line.
    """
    package = _header(head)[1] or len(head) + 1
    for line in diff.added:
        if line < package or (line <= len(head) and is_constraint_line(head[line - 1])):
            return True
    return any(line <= package for line in diff.removed)


def _header(lines: Sequence[str]) -> tuple[list[str], int | None]:
    """The header's constraint lines (whitespace-normalised) and the package clause's line."""
    constraints: list[str] = []
    in_block = False
    for number, line in enumerate(lines, 1):
        if not in_block and is_constraint_line(line):
            constraints.append(" ".join(line.split()))
            continue
        code, in_block = strip_comments(line.strip(SPACE), in_block)
        if code:
            return constraints, number
    return constraints, None
