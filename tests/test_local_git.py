"""The local git reader, against real repositories built in a temporary directory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.fetch.local_git import GitError, changed_files, read_blob, repo_root
from bot.scope.diff import FileDiff, from_contents

GO = "package a\n\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"
EDIT = "package pkg\n\n//go:linkname a runtime.a\nfunc a()\n\nvar x = 1\n"
CRLF = "package c\r\n\r\nvar x = 1\r\nvar y = 2\r\n"
ODD = "odd é\tname.go"  # a space, non-ASCII and a tab: git quotes the tab even with quotepath off


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user or system config leaks in; the returned file is the global config."""
    config = tmp_path_factory.mktemp("home") / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    return config


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write(repo: Path, path: str, content: str | bytes) -> None:
    file = repo / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content.encode() if isinstance(content, str) else content)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``main`` and a ``feature`` branch; ``main`` moved on after the fork."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    write(repo, "a.go", GO)
    write(repo, "old dir/moved.go", GO.replace("package a", "package moved"))
    write(repo, "pkg/edit.go", EDIT)
    write(repo, "gone.go", "package gone\n")
    write(repo, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    write(repo, "crlf.go", CRLF)
    write(repo, ODD, "x\n")
    write(repo, "main_only.go", "package m\n")
    commit(repo, "base")

    git(repo, "switch", "--quiet", "--create", "feature")
    write(repo, "a.go", GO.replace("int64", "int32"))
    git(repo, "mv", "old dir", "new dir")
    git(repo, "mv", "pkg/edit.go", "pkg/edited.go")
    write(repo, "pkg/edited.go", EDIT.replace("var x = 1", "var x = 2"))
    git(repo, "rm", "--quiet", "gone.go")
    write(repo, "new.go", "package fresh\n\nfunc g() {}\n")
    write(repo, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00other")
    write(repo, "crlf.go", CRLF.replace("y = 2", "y = 3"))
    write(repo, ODD, "x\ny\n")
    commit(repo, "feature work")

    git(repo, "switch", "--quiet", "main")
    write(repo, "main_only.go", "package m\n\nvar later = 1\n")
    commit(repo, "main moved on")
    git(repo, "switch", "--quiet", "feature")
    return repo


def by_path(diffs: list[FileDiff]) -> dict[str, FileDiff]:
    return {diff.path: diff for diff in diffs}


def summary(diffs: list[FileDiff]) -> dict[str, tuple[str, str | None, set[int], set[int]]]:
    return {d.path: (d.status, d.old_path, set(d.added), set(d.removed)) for d in diffs}


def test_branch_comparison_is_against_the_merge_base(repo: Path) -> None:
    assert summary(changed_files(repo, "main", "feature")) == {
        "a.go": ("modified", "a.go", {4}, {4}),
        "new dir/moved.go": ("renamed", "old dir/moved.go", set(), set()),
        "pkg/edited.go": ("renamed", "pkg/edit.go", {6}, {6}),
        "gone.go": ("removed", "gone.go", set(), {1}),
        "new.go": ("added", None, {1, 2, 3}, set()),
        "logo.png": ("modified", "logo.png", set(), set()),
        "crlf.go": ("modified", "crlf.go", {4}, {4}),
        ODD: ("modified", ODD, {2}, set()),
    }


def test_two_dot_range_would_include_main_changes(repo: Path) -> None:
    """The merge-base matters: diffing main's tip directly would blame main_only.go."""
    tip = git(repo, "rev-parse", "main")
    fork = git(repo, "merge-base", "main", "feature")
    assert tip != fork
    assert "main_only.go" in by_path(changed_files(repo, fork, tip))
    assert "main_only.go" not in by_path(changed_files(repo, "main", "feature"))


def test_binary_and_commentable_lines(repo: Path) -> None:
    diffs = by_path(changed_files(repo, "main", "feature"))
    assert diffs["logo.png"].binary
    assert not diffs["a.go"].binary
    assert set(diffs["a.go"].commentable) == {1, 2, 3, 4}


def test_git_diff_agrees_with_from_contents(repo: Path) -> None:
    fork = git(repo, "merge-base", "main", "feature")
    for diff in changed_files(repo, "main", "feature"):
        if diff.binary:
            continue
        old = read_blob(repo, fork, diff.old_path) if diff.old_path else None
        new = read_blob(repo, "feature", diff.path)
        rebuilt = from_contents(
            diff.path,
            old.decode() if old is not None else None,
            new.decode() if new is not None else None,
            diff.old_path,
        )
        assert rebuilt == diff


def test_working_tree_has_tracked_changes_only(repo: Path) -> None:
    write(repo, "a.go", GO + "\nvar staged = 1\n")
    git(repo, "add", "a.go")
    write(repo, "a.go", GO + "\nvar staged = 1\nvar unstaged = 2\n")
    write(repo, "untracked.go", "package u\n")
    (repo / "new.go").unlink()
    diffs = by_path(changed_files(repo, "main", None))
    assert set(diffs["a.go"].added) == {5, 6, 7}
    assert "untracked.go" not in diffs
    assert "new.go" not in diffs  # added on the branch, deleted again in the work tree
    assert "main_only.go" not in diffs
    assert "pkg/edited.go" in diffs


def test_hostile_user_config_changes_nothing(repo: Path, isolated_git: Path) -> None:
    expected = by_path(changed_files(repo, "main", "feature"))
    isolated_git.write_text(
        "[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n\trenames = false\n"
        "\tcontext = 10\n\trelative = true\n[color]\n\tui = always\n[core]\n\tquotepath = true\n"
    )
    assert by_path(changed_files(repo, "main", "feature")) == expected
    assert by_path(changed_files(repo / "new dir", "main", "feature")) == expected


def test_unknown_revision(repo: Path) -> None:
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        changed_files(repo, "nope", None)
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        changed_files(repo, "main", "nope")
    with pytest.raises(GitError, match="unknown revision '--output=x'"):
        changed_files(repo, "--output=x", None)
    with pytest.raises(GitError, match="unknown revision 'nope'"):
        read_blob(repo, "nope", "a.go")


def test_unrelated_histories(repo: Path) -> None:
    git(repo, "switch", "--quiet", "--orphan", "lonely")
    write(repo, "lonely.go", "package l\n")
    commit(repo, "lonely")
    with pytest.raises(GitError, match="no common ancestor"):
        changed_files(repo, "main", "lonely")


def test_read_blob(repo: Path) -> None:
    assert read_blob(repo, "main", "a.go") == GO.encode()
    assert read_blob(repo, "feature", "a.go") == GO.replace("int64", "int32").encode()
    assert read_blob(repo, "main", "old dir/moved.go") is not None
    assert read_blob(repo, "feature", "old dir/moved.go") is None
    assert read_blob(repo, "main", ODD) == b"x\n"
    assert read_blob(repo, "main", "crlf.go") == CRLF.encode()
    assert read_blob(repo, "main", "pkg") is None


def test_read_blob_from_the_working_tree(repo: Path) -> None:
    write(repo, "a.go", "package edited\n")
    assert read_blob(repo, None, "a.go") == b"package edited\n"
    assert read_blob(repo, "HEAD", "a.go") == GO.replace("int64", "int32").encode()
    assert read_blob(repo, None, "gone.go") is None
    assert read_blob(repo, None, "pkg") is None
    assert read_blob(repo, None, "a.go/x") is None


def test_read_blob_symlink_is_its_target_like_git(repo: Path) -> None:
    (repo / "link.go").symlink_to("a.go")
    commit(repo, "link")
    assert read_blob(repo, "HEAD", "link.go") == b"a.go"
    assert read_blob(repo, None, "link.go") == b"a.go"


def test_repo_root(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert repo_root(repo / "new dir") == repo.resolve()
    assert repo_root(repo / "a.go") == repo.resolve()
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(GitError, match="not a git repository"):
        repo_root(outside)
