"""GitHub's checks on a review's inline comments: one bad comment fails the whole review."""

from __future__ import annotations

from typing import Any

from .diff import Hunk, hunks
from .state import Pull


def _lines(hunk: Hunk, side: str) -> set[int]:
    return hunk.left if side == "LEFT" else hunk.right


def comment_error(pull: Pull, comment: dict[str, Any]) -> str | None:
    """The 422 message GitHub gives for `comment`, or None if it may be posted."""
    if not str(comment.get("body", "")).strip():
        return "pull_request_review_thread.body can't be blank"
    files = {f.filename: f for f in pull.files}
    changed = files.get(comment.get("path", ""))
    if changed is None:
        return "pull_request_review_thread.path is invalid"
    if "line" not in comment:
        return "pull_request_review_thread.line must be part of the diff"
    if not changed.patch:
        return "pull_request_review_thread.diff_hunk can't be blank"
    side = comment.get("side", "RIGHT")
    line = comment["line"]
    found = [h for h in hunks(changed.patch) if line in _lines(h, side)]
    if not found:
        return "pull_request_review_thread.line must be part of the diff"
    start = comment.get("start_line")
    if start is not None:
        if start == line:
            return "pull_request_review_thread.start_line must precede the end line"
        if start > line:
            return "pull_request_review_thread.start_line must precede the end line"
        start_side = comment.get("start_side", side)
        if start not in _lines(found[0], start_side):
            return "pull_request_review_thread.start_line must be part of the same hunk as the line"
    return None
