"""Line sets from GitHub patches, ``git diff`` output and raw contents."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scope.diff import (
    FileDiff,
    from_contents,
    from_github_file,
    parse_unified,
    split_lines,
)

BASE = "package a\n\nvar x = 1\n\nfunc f() {}\n"
HEAD = "package a\n\nvar x = 2\nvar y = 3\n\nfunc f() {}\n"
#: GitHub's shape: no ---/+++ lines, no final newline.
PATCH = "\n".join(
    [
        "@@ -1,5 +1,6 @@",
        " package a",
        " ",
        "-var x = 1",
        "+var x = 2",
        "+var y = 3",
        " ",
        " func f() {}",
    ]
)


def github(patch: str | None = None, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"filename": "a.go", "status": "modified", **fields}
    if patch is not None:
        entry["patch"] = patch
    return entry


def git_diff(tmp_path: Path, base: str | None, head: str | None) -> FileDiff:
    """What real git says about the change, as a second opinion for ``from_contents``."""
    sides = []
    for side, text in (("base", base), ("head", head)):
        (tmp_path / side).mkdir()
        if text is not None:
            (tmp_path / side / "x.go").write_bytes(text.encode())
        sides.append(f"{side}/x.go" if text is not None else "/dev/null")
    done = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "-U3", *sides],
        cwd=tmp_path,
        capture_output=True,
    )
    assert done.returncode == 1, done.stderr
    (diff,) = parse_unified(done.stdout.decode())
    return diff


def lines(diff: FileDiff) -> tuple[set[int], set[int], set[int]]:
    return set(diff.added), set(diff.removed), set(diff.commentable)


# --- GitHub's pull request files --------------------------------------------------------------


def test_github_patch_without_headers() -> None:
    diff = from_github_file(github(PATCH))
    assert diff == FileDiff(
        path="a.go",
        old_path="a.go",
        status="modified",
        added=frozenset({3, 4}),
        removed=frozenset({3}),
        commentable=frozenset({1, 2, 3, 4, 5, 6}),
    )


def test_github_patch_with_multiple_hunks() -> None:
    patch = (
        "@@ -2,3 +2,3 @@ package a\n b\n-c\n+C\n d\n"
        "@@ -20,4 +20,6 @@ func f() {\n t\n+u\n+v\n w\n-x\n+X\n y"
    )
    assert lines(from_github_file(github(patch))) == (
        {3, 21, 22, 24},
        {3, 22},
        {2, 3, 4, 20, 21, 22, 23, 24, 25},
    )


def test_github_added_file() -> None:
    diff = from_github_file(github("@@ -0,0 +1,3 @@\n+package a\n+\n+var x = 1", status="added"))
    assert (diff.status, diff.old_path) == ("added", None)
    assert lines(diff) == ({1, 2, 3}, set(), {1, 2, 3})


def test_github_removed_file() -> None:
    diff = from_github_file(github("@@ -1,2 +0,0 @@\n-package a\n-", status="removed"))
    assert (diff.status, diff.path, diff.old_path) == ("removed", "a.go", "a.go")
    assert lines(diff) == (set(), {1, 2}, set())


def test_github_renamed_with_changes() -> None:
    entry = github("@@ -1,2 +1,2 @@\n package a\n-var x = 1\n+var x = 2", status="renamed")
    diff = from_github_file({**entry, "filename": "b.go", "previous_filename": "a.go"})
    assert (diff.status, diff.path, diff.old_path) == ("renamed", "b.go", "a.go")
    assert lines(diff) == ({2}, {2}, {1, 2})


def test_github_pure_rename_has_no_patch_and_no_lines() -> None:
    entry = {"filename": "b.go", "previous_filename": "a.go", "status": "renamed"}
    diff = from_github_file({**entry, "additions": 0, "deletions": 0, "changes": 0})
    assert diff == FileDiff("b.go", "a.go", "renamed", frozenset(), frozenset(), frozenset())


def test_github_copy_is_a_new_file_with_its_source() -> None:
    entry = github("@@ -1,1 +1,1 @@\n-package a\n+package b", status="copied")
    diff = from_github_file({**entry, "filename": "b.go", "previous_filename": "a.go"})
    assert (diff.status, diff.path, diff.old_path) == ("added", "b.go", "a.go")
    assert lines(diff) == ({1}, {1}, {1})


def test_github_binary_file() -> None:
    diff = from_github_file(github(None, filename="logo.png", additions=0, deletions=0))
    assert diff.binary and not diff.patch_missing
    assert lines(diff) == (set(), set(), set())


@pytest.mark.parametrize("counts", [{"additions": 4000, "deletions": 12}, {}])
def test_github_missing_patch(counts: dict[str, int]) -> None:
    diff = from_github_file(github(None, **counts))
    assert diff.patch_missing and not diff.binary


def test_github_truncated_patch_counts_as_missing() -> None:
    assert from_github_file(github("@@ -1,5 +1,5 @@\n a\n-b\n+B")).patch_missing


def test_github_crlf_patch_keeps_numbering() -> None:
    patch = "@@ -1,4 +1,4 @@\n a\r\n \r\n-b\r\n+B\r\n c\r"
    diff = from_github_file(github(patch))
    assert lines(diff) == ({3}, {3}, {1, 2, 3, 4})


# --- git diff output --------------------------------------------------------------------------

GIT_OUTPUT = """\
diff --git a/old dir/moved.go b/new dir/moved.go
similarity index 100%
rename from old dir/moved.go
rename to new dir/moved.go
diff --git a/pkg/edit.go b/pkg/edited.go
similarity index 80%
rename from pkg/edit.go
rename to pkg/edited.go
index 1111111..2222222 100644
--- a/pkg/edit.go
+++ b/pkg/edited.go
@@ -1,3 +1,3 @@
 package pkg
-//go:linkname a runtime.a
+//go:linkname b runtime.b
 func a()
diff --git a/gone.go b/gone.go
deleted file mode 100644
index 3333333..0000000
--- a/gone.go
+++ /dev/null
@@ -1,2 +0,0 @@
-package gone
-
diff --git a/new.go b/new.go
new file mode 100644
index 0000000..4444444
--- /dev/null
+++ b/new.go
@@ -0,0 +1,2 @@
+package fresh
+func g() {}
diff --git a/logo.png b/logo.png
index 5555555..6666666 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git "a/tab\\there.go" "b/tab\\there.go"
index 7777777..8888888 100644
--- "a/tab\\there.go"
+++ "b/tab\\there.go"
@@ -1 +1,2 @@
 x
+y
diff --git a/eof.go b/eof.go
index 9999999..aaaaaaa 100644
--- a/eof.go
+++ b/eof.go
@@ -1,2 +1,3 @@
 package eof
-var v = 1
\\ No newline at end of file
+var v = 1
+var w = 2
"""


@pytest.fixture(scope="module")
def git_files() -> dict[str, FileDiff]:
    return {diff.path: diff for diff in parse_unified(GIT_OUTPUT)}


def test_git_pure_rename_touches_nothing(git_files: dict[str, FileDiff]) -> None:
    diff = git_files["new dir/moved.go"]
    assert (diff.status, diff.old_path) == ("renamed", "old dir/moved.go")
    assert lines(diff) == (set(), set(), set())


def test_git_rename_with_changes(git_files: dict[str, FileDiff]) -> None:
    diff = git_files["pkg/edited.go"]
    assert (diff.status, diff.old_path) == ("renamed", "pkg/edit.go")
    assert lines(diff) == ({2}, {2}, {1, 2, 3})


def test_git_deleted_file(git_files: dict[str, FileDiff]) -> None:
    diff = git_files["gone.go"]
    assert (diff.status, diff.old_path) == ("removed", "gone.go")
    assert lines(diff) == (set(), {1, 2}, set())


def test_git_new_file(git_files: dict[str, FileDiff]) -> None:
    diff = git_files["new.go"]
    assert (diff.status, diff.old_path) == ("added", None)
    assert lines(diff) == ({1, 2}, set(), {1, 2})


def test_git_binary_and_mode_change(git_files: dict[str, FileDiff]) -> None:
    assert git_files["logo.png"].binary
    assert git_files["logo.png"].status == "modified"
    assert not git_files["run.sh"].binary
    assert lines(git_files["run.sh"]) == (set(), set(), set())


def test_git_quoted_path(git_files: dict[str, FileDiff]) -> None:
    diff = git_files["tab\there.go"]
    assert lines(diff) == ({2}, set(), {1, 2})


def test_git_no_newline_at_end_of_file(git_files: dict[str, FileDiff]) -> None:
    assert lines(git_files["eof.go"]) == ({2, 3}, {2}, {1, 2, 3})


def test_git_output_order_and_count() -> None:
    assert len(parse_unified(GIT_OUTPUT)) == 8
    assert parse_unified("") == []


# --- from_contents ----------------------------------------------------------------------------


def test_missing_patch_rebuilt_from_contents_equals_github_patch() -> None:
    assert from_contents("a.go", BASE, HEAD) == from_github_file(github(PATCH))


@pytest.mark.parametrize(
    ("base", "head"),
    [
        pytest.param(BASE, HEAD, id="edit"),
        pytest.param("a\nb", "a\nb\nc\n", id="no-newline-at-eof"),
        pytest.param("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\nd\r\n", id="crlf"),
        pytest.param("x\n" * 3 + "\n".join(map(str, range(20))) + "\n", "x\n" * 3, id="hunks"),
        pytest.param(None, "package a\n\nvar x = 1\n", id="added"),
        pytest.param("package a\n\nvar x = 1\n", None, id="removed"),
    ],
)
def test_from_contents_agrees_with_git(tmp_path: Path, base: str | None, head: str | None) -> None:
    mine = from_contents("x.go", base, head)
    assert lines(mine) == lines(git_diff(tmp_path, base, head))


def test_from_contents_multiple_hunks() -> None:
    base = [f"line {n}\n" for n in range(1, 21)]
    head = base.copy()
    head[1] = "changed 2\n"
    head[15:17] = []
    diff = from_contents("x.go", "".join(base), "".join(head))
    assert lines(diff) == ({2}, {2, 16, 17}, {1, 2, 3, 4, 5, 13, 14, 15, 16, 17, 18})


def test_from_contents_does_not_report_popular_lines_as_changed() -> None:
    """difflib's autojunk would call the ``}`` between two edited lines changed; git does not."""
    base = "".join(f"func f{n}() {{\n}}\n" for n in range(150))
    head = base.replace("func f70()", "func g70()").replace("func f71()", "func g71()")
    assert lines(from_contents("x.go", base, head))[:2] == ({141, 143}, {141, 143})


def test_from_contents_crlf_and_lone_carriage_return() -> None:
    base = "a\r\nb\rstill b\u2028\x0cstill b\r\nc\r\n"
    head = base.replace("c\r\n", "C\r\n")
    assert lines(from_contents("x.go", base, head)) == ({3}, {3}, {1, 2, 3})


def test_from_contents_statuses() -> None:
    assert from_contents("x.go", None, "a\n").status == "added"
    assert from_contents("x.go", None, "a\n").old_path is None
    assert from_contents("x.go", "a\n", None).status == "removed"
    assert from_contents("x.go", "a\n", "a\n", old_path="w.go").status == "renamed"
    unchanged = from_contents("x.go", "a\n", "a\n")
    assert (unchanged.status, unchanged.old_path) == ("modified", "x.go")
    assert lines(unchanged) == (set(), set(), set())
    with pytest.raises(ValueError, match="neither"):
        from_contents("x.go", None, None)


def test_split_lines_only_on_newline() -> None:
    assert split_lines("a\r\nb\u2028c\x0cd\re") == ["a\r\n", "b\u2028c\x0cd\re"]
    assert split_lines("a\n\n") == ["a\n", "\n"]
    assert split_lines("") == []


TEXT_LINES = st.lists(st.sampled_from(["a", "b", "c", "}", "", "a\r"]), max_size=12)


@settings(max_examples=150, deadline=None)
@given(base=TEXT_LINES, head=TEXT_LINES, final_newline=st.booleans())
def test_from_contents_line_sets_explain_head(
    base: list[str], head: list[str], final_newline: bool
) -> None:
    """Head minus added lines is base minus removed lines, in order; all numbers in range."""
    end = "\n" if final_newline else ""
    base_text = "\n".join(base) + end if base else ""
    head_text = "\n".join(head) + end if head else ""
    diff = from_contents("x.go", base_text, head_text)
    base_lines, head_lines = split_lines(base_text), split_lines(head_text)

    assert diff.added <= set(range(1, len(head_lines) + 1))
    assert diff.removed <= set(range(1, len(base_lines) + 1))
    assert diff.added <= diff.commentable <= set(range(1, len(head_lines) + 1))
    kept_head = [line for n, line in enumerate(head_lines, 1) if n not in diff.added]
    kept_base = [line for n, line in enumerate(base_lines, 1) if n not in diff.removed]
    assert kept_head == kept_base
