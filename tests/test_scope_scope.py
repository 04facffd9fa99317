"""Which head lines are in review scope, and which may carry a comment."""

from __future__ import annotations

import pytest

from bot.scope.diff import FileDiff, from_contents, from_github_file
from bot.scope.scope import (
    FileScope,
    file_scope,
    header_constraints,
    is_constraint_line,
)

GO = """\
//go:build go1.23

// Package a does things.
package a

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname fastrand runtime.fastrand
func fastrand() uint32
"""
DIRECTIVE, SIGNATURE = 8, 9
OTHER_DIRECTIVE, OTHER_SIGNATURE = 11, 12


def scope_of(base: str | None, head: str | None, *, with_base: bool = True) -> FileScope:
    diff = from_contents("a.go", base, head)
    return file_scope(diff, head, base if with_base else None)


def in_scope(scope: FileScope, last: int) -> set[int]:
    return {line for line in range(1, last + 1) if scope.touches(line)}


def test_declaration_changed_but_not_the_directive() -> None:
    head = GO.replace("func nanotime() int64", "func nanotime() int32")
    scope = scope_of(GO, head)
    assert not scope.whole_file
    assert in_scope(scope, 12) == {SIGNATURE}
    assert not scope.touches(DIRECTIVE)
    assert scope.touches(DIRECTIVE, SIGNATURE)
    assert not scope.touches(OTHER_DIRECTIVE, OTHER_SIGNATURE)


def test_directive_moved() -> None:
    base = GO + "\nfunc other() {\n\treturn\n}\n"
    lines = base.splitlines(keepends=True)
    head = "".join([*lines[:7], *lines[10:], "\n", *lines[7:9]])  # nanotime now at the end
    scope = scope_of(base, head)
    assert scope.diff is not None
    assert (set(scope.diff.added), set(scope.diff.removed)) == ({14, 15, 16}, {8, 9, 10})
    assert in_scope(scope, 16) == {14, 15, 16}
    assert scope.touches(15, 16)
    assert not scope.touches(8, 9)


@pytest.mark.parametrize("with_base", [True, False])
def test_build_constraint_changed_makes_the_whole_file_in_scope(with_base: bool) -> None:
    head = GO.replace("//go:build go1.23", "//go:build go1.24")
    scope = scope_of(GO, head, with_base=with_base)
    assert scope.whole_file
    assert in_scope(scope, 12) == set(range(1, 13))
    assert {line for line in range(1, 13) if scope.commentable(line)} == {1, 2, 3, 4}


def test_plus_build_constraint_added() -> None:
    head = "// +build linux\n" + GO
    assert scope_of(GO, head).whole_file
    assert scope_of(GO, head, with_base=False).whole_file


def test_other_header_comment_changed_is_not_a_constraint_change() -> None:
    head = GO.replace("// Package a does things.", "// Package a does many things.")
    scope = scope_of(GO, head)
    assert not scope.whole_file
    assert in_scope(scope, 12) == {3}


def test_header_edit_without_base_text_counts_conservatively() -> None:
    head = GO.replace("// Package a does things.", "// Package a does many things.")
    assert scope_of(GO, head, with_base=False).whole_file


def test_header_line_added_without_base_text() -> None:
    head = GO.replace("// Package a", "// Some notes.\n\n// Package a")
    scope = scope_of(GO, head, with_base=False)
    assert scope.diff is not None and not scope.diff.removed
    assert scope.whole_file
    assert not scope_of(GO, head).whole_file


def test_header_line_removed_just_above_the_package_clause_without_base_text() -> None:
    head = GO.replace("// Package a does things.\n", "")
    scope = scope_of(GO, head, with_base=False)
    assert scope.diff is not None
    assert (set(scope.diff.added), set(scope.diff.removed)) == (set(), {3})
    assert scope.whole_file
    assert not scope_of(GO, head).whole_file


def test_constraint_line_added_anywhere_without_base_text() -> None:
    head = GO + "\n//go:build ignore\n"
    assert scope_of(GO, head, with_base=False).whole_file


def test_constraint_removed_without_base_text() -> None:
    head = GO.replace("//go:build go1.23\n\n", "")
    assert scope_of(GO, head).whole_file
    assert scope_of(GO, head, with_base=False).whole_file


def test_edits_below_the_package_clause_without_base_text() -> None:
    removed = GO.replace('import _ "unsafe"\n\n', "")
    added = GO + "\nvar x = 1\n"
    assert not scope_of(GO, removed, with_base=False).whole_file
    assert not scope_of(GO, added, with_base=False).whole_file


def test_constraint_text_after_the_package_clause_is_not_the_header() -> None:
    head = GO + "\n//go:build ignore\n"
    assert not scope_of(GO, head).whole_file


def test_constraint_inside_a_block_comment_is_not_a_constraint() -> None:
    base = "/*\n//go:build go1.23\n*/\npackage a\n"
    head = base.replace("go1.23", "go1.24")
    assert header_constraints(base) == frozenset()
    assert not scope_of(base, head).whole_file


def test_package_clause_after_a_block_comment_on_the_same_line() -> None:
    text = "/* x */ package a\n//go:build go1.23\n"
    assert header_constraints(text) == frozenset()
    assert header_constraints("/* x */ // y\n//go:build  go1.23\npackage a\n") == {
        "//go:build go1.23"
    }


def test_constraint_lines() -> None:
    assert is_constraint_line("//go:build linux\r\n")
    assert is_constraint_line("//go:build")
    assert is_constraint_line("// +build linux")
    assert is_constraint_line("//+build linux")
    assert not is_constraint_line("//go:buildx linux")
    assert not is_constraint_line("// +builder")
    assert not is_constraint_line("/* //go:build linux */")


def test_crlf_build_constraint_change() -> None:
    base = GO.replace("\n", "\r\n")
    head = base.replace("go1.23", "go1.24")
    assert scope_of(base, head).whole_file
    unchanged = base.replace("func nanotime() int64", "func nanotime() int32")
    scope = scope_of(base, unchanged)
    assert not scope.whole_file
    assert in_scope(scope, 12) == {SIGNATURE}


def test_pure_rename_touches_nothing() -> None:
    diff = from_contents("b.go", GO, GO, old_path="a.go")
    scope = file_scope(diff, GO, GO)
    assert diff.status == "renamed"
    assert not scope.whole_file
    assert in_scope(scope, 12) == set()
    assert not any(scope.commentable(line) for line in range(1, 13))


def test_rename_with_changes_touches_only_the_changed_lines() -> None:
    head = GO.replace("runtime.fastrand", "runtime.cheaprand")
    scope = file_scope(from_contents("b.go", GO, head, old_path="a.go"), head, GO)
    assert not scope.whole_file
    assert in_scope(scope, 12) == {OTHER_DIRECTIVE}
    assert {line for line in range(1, 13) if scope.commentable(line)} == {8, 9, 10, 11, 12}


def test_deleted_file_has_no_scope() -> None:
    scope = scope_of(GO, None)
    assert not scope.whole_file
    assert in_scope(scope, 12) == set()
    assert not scope.touches(1, 1000)
    assert not scope.commentable(1)


def test_added_file_is_whole_file() -> None:
    scope = scope_of(None, GO)
    assert scope.whole_file
    assert in_scope(scope, 12) == set(range(1, 13))
    assert all(scope.commentable(line) for line in range(1, 13))
    assert not scope.commentable(13)


def test_added_file_without_header_or_go_suffix_is_whole_file() -> None:
    for path in ("b.go", "registry/b.yml"):
        head = "package b\n\nfunc f() {}\n"
        assert file_scope(from_contents(path, None, head), head).whole_file


def test_file_without_package_clause_is_all_header_without_base_text() -> None:
    base = "// notes\n\n// more notes\n"
    head = base.replace("more", "further")
    assert scope_of(base, head, with_base=False).whole_file
    assert not scope_of(base, head).whole_file


def test_no_diff_means_everything() -> None:
    scope = file_scope(None, GO)
    assert scope.whole_file
    assert scope.touches(1, 12) and scope.commentable(12)
    assert not scope.commentable(0)


def test_binary_file_touches_nothing() -> None:
    diff = from_github_file(
        {"filename": "a.syso", "status": "modified", "additions": 0, "deletions": 0}
    )
    assert not file_scope(diff, None).touches(1, 10)


def test_missing_patch_must_be_rebuilt_first() -> None:
    diff = from_github_file({"filename": "a.go", "status": "modified", "additions": 9000})
    with pytest.raises(ValueError, match="from_contents"):
        file_scope(diff, GO, GO)


def test_non_go_files_only_use_lines() -> None:
    base = "rules:\n  - nanotime\nignore: []\n"
    head = "rules:\n  - nanotime\n  - fastrand\nignore: []\n"
    scope = file_scope(from_contents(".github/linkname-bot.yml", base, head), head)
    assert not scope.whole_file
    assert in_scope(scope, 4) == {3}


def test_go_looking_non_go_file_has_no_build_constraint() -> None:
    head = GO.replace("go1.23", "go1.24")
    for base_text in (GO, None):
        scope = file_scope(from_contents("testdata/a.go.golden", GO, head), head, base_text)
        assert not scope.whole_file
        assert in_scope(scope, 12) == {1}


def test_touches_spans_of_any_length() -> None:
    scope = FileScope(
        FileDiff("a.go", "a.go", "modified", frozenset({50}), frozenset(), frozenset({50})),
        whole_file=False,
    )
    assert scope.touches(50) and scope.touches(49, 50) and scope.touches(1, 10_000)
    assert not scope.touches(51, 10_000) and not scope.touches(1, 49) and not scope.touches(51)
    with pytest.raises(ValueError, match="empty"):
        scope.touches(5, 4)


def test_commentable_is_context_and_added_lines_only() -> None:
    head = GO.replace("runtime.fastrand", "runtime.cheaprand")
    scope = scope_of(GO, head)
    assert {line for line in range(1, 13) if scope.commentable(line)} == {8, 9, 10, 11, 12}
