"""``linkname-bot check --base``: only what a git change touched, on real-shaped histories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.cli import main

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "PATH": "/usr/bin:/bin",
}

OLD = """//go:build go1.21 && !go1.23

package fast

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64
"""

NEW = """//go:build go1.23

package fast

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname fastrand runtime.fastrand
func fastrand() uint32
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def check(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["check", str(repo), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "go.mod").write_text("module example.com/fast\ngo 1.21\n")
    (tmp_path / "clock_go121.go").write_text(OLD)
    (tmp_path / "util.go").write_text("package fast\n\nfunc Util() {}\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_untouched_directives_are_not_reported(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "util.go").write_text("package fast\n\nfunc Util() { println() }\n")
    code, out = check(repo, capsys, "--base", "HEAD")
    assert code == 0
    assert out["directives"] == [] and out["findings"] == []
    _, everything = check(repo, capsys, "--base", "HEAD", "--all")
    assert [d["local"] for d in everything["directives"]] == ["nanotime"]


def test_version_split_file_new_is_whole_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "clock_go123.go").write_text(NEW)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "split")
    _, out = check(repo, capsys, "--base", "HEAD~1", "--head", "HEAD")
    assert {(d["path"], d["local"]) for d in out["directives"]} == {
        ("clock_go123.go", "nanotime"),
        ("clock_go123.go", "fastrand"),
    }
    assert {d["path"] for d in out["directives"]} == {"clock_go123.go"}
    for d in out["directives"]:
        assert d["go"] == ["1.23", "1.24", "1.25", "1.26", "1.27"]


def test_build_tag_change_brings_the_whole_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "clock_go121.go").write_text(OLD.replace("!go1.23", "!go1.24"))
    _, out = check(repo, capsys, "--base", "HEAD")
    assert [d["local"] for d in out["directives"]] == ["nanotime"]
    assert out["directives"][0]["go"] == ["1.21", "1.22", "1.23"]


def test_moved_directive_and_changed_declaration(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = OLD.replace(
        "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
        "func nanotime() int64\n\n//go:linkname nanotime runtime.nanotime\n",
    )
    (repo / "clock_go121.go").write_text(moved)
    _, out = check(repo, capsys, "--base", "HEAD")
    assert [(d["local"], d["line"]) for d in out["directives"]] == [("nanotime", 9)]


def test_bad_revision_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(repo), "--base", "no-such-rev"]) == 2
    assert "no-such-rev" in capsys.readouterr().err
