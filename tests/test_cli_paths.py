"""Paths in every output format are relative to the repository root, whatever PATH arguments
are given and however modules nest; ``--base REV --all`` reports the whole tree like ``check``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "PATH": "/usr/bin:/bin",
}
U = 'package x\n\nimport _ "unsafe"\n\n'
BROKEN = U + "//go:linkname nosuch example.com/y.x\n"
PULL = U + "//go:linkname nt runtime.nanotime\nfunc nt() int64\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A repository without a root module: loader/ is a module, loader/internal a package."""
    root = tmp_path / "repo"
    root.mkdir()
    write(
        root,
        {
            "loader/go.mod": "module example.com/loader\n\ngo 1.22\n",
            "loader/internal/x.go": BROKEN,
            "loader/api.go": "package loader\n",
            "other/go.mod": "module example.com/other\n\ngo 1.22\n",
            "other/deep/y.go": PULL,
            ".github/linkname-bot.yml": "platforms: [linux/amd64]\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "--no-stdlib", *args])
    out = capsys.readouterr()
    return code, out.out


def paths_in(fmt: str, out: str) -> set[str]:
    if fmt == "json":
        doc = json.loads(out)
        return {d["path"] for d in doc["directives"]} | {f["path"] for f in doc["findings"]}
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    if fmt == "github":
        return {line.split("file=", 1)[1].split(",", 1)[0] for line in out.splitlines()}
    return {line.split(":", 1)[0] for line in out.splitlines() if ".go:" in line}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("arg", ["loader/...", "loader", "./loader/internal", "ABS"])
def test_paths_are_relative_to_the_repository_root(
    nested: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    arg: str,
) -> None:
    monkeypatch.chdir(nested)
    path = str(nested / "loader") if arg == "ABS" else arg
    code, out = run(capsys, path, "--format", fmt)
    assert code == 1
    assert paths_in(fmt, out) == {"loader/internal/x.go"}


def test_paths_from_a_subdirectory_and_the_root_policy(
    nested: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nested / "other" / "deep")
    code, out = run(capsys, ".", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [d["path"] for d in doc["directives"]] == ["other/deep/y.go"]
    assert doc["platforms"] == ["linux/amd64"]  # the repository root's policy file
    assert doc["go"][0] == "1.22"  # the go line of the module holding the path


def test_named_file_is_repository_relative(
    nested: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nested / "loader")
    code, out = run(capsys, "internal/x.go", "--format", "json")
    assert (code, paths_in("json", out)) == (1, {"loader/internal/x.go"})


def test_outside_git_paths_are_relative_to_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"mods/a/go.mod": "module example.com/a\n\ngo 1.22\n", "mods/a/x.go": BROKEN})
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "mods/a/...", "--format", "sarif")
    assert (code, paths_in("sarif", out)) == (1, {"mods/a/x.go"})


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    _, out = run(capsys, "--format", "json", *args)
    return dict(json.loads(out))


def test_base_all_reports_the_whole_tree_like_check(
    nested: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nested)
    write(nested, {"other/deep/y.go": PULL + "\n// touched\n"})
    plain = _json(capsys, ".")
    assert {d["path"] for d in plain["directives"]} == {"other/deep/y.go"}
    assert {f["path"] for f in plain["findings"]} >= {"loader/internal/x.go"}
    assert _json(capsys, ".", "--base", "HEAD", "--all") == plain
    only_change = _json(capsys, ".", "--base", "HEAD")
    assert {f["path"] for f in only_change["findings"]} == set()
    # A committed revision: the same as plain `check` on a checkout of it.
    git(nested, "commit", "-qam", "touch")
    write(nested, {"loader/internal/x.go": "package x\n"})  # uncommitted: not part of HEAD
    at_head = _json(capsys, ".", "--base", "HEAD~1", "--head", "HEAD", "--all")
    git(nested, "checkout", "-q", "--", ".")
    assert at_head == _json(capsys, ".")


def test_base_all_checks_the_base_revision(
    nested: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nested)
    code, out = run(capsys, ".", "--base", "no-such-rev", "--all")
    assert code == 2 and out == ""


def test_a_change_that_guards_a_file_for_old_go_still_names_its_directives(
    nested: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shape of real commits: `// +build go1.12,!go1.14` added above linkname files."""
    monkeypatch.chdir(nested)
    write(nested, {"other/deep/y.go": "// +build go1.12,!go1.14\n\n" + PULL})
    doc = _json(capsys, ".", "--base", "HEAD")
    assert [(d["path"], d["line"], d["go"]) for d in doc["directives"]] == [
        ("other/deep/y.go", 7, [])
    ]
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("unchecked-directive", 7)]
    assert "builds only with Go 1.12–1.13" in doc["findings"][0]["message"]
