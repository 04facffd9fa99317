"""Paths in the policy stay inside the repository: the CLI (a CI runner's file system) and the
App (files through the GitHub API) never read a ``registry_files`` entry that leads out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.testing.fakegithub import FakeGitHub, Repo
from tests import test_e2e_review as _e2e
from tests.test_e2e_review import Bot, pull_request_event, runs_for

bot = _e2e.bot
github = _e2e.github

TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"  # token-shaped, must never be printed
SECRET = f"known:\n  - target: runtime.{TOKEN}\n    go: '1.23'\n"
PULL = 'package p\n\nimport _ "unsafe"\n\n//go:linkname nt runtime.nanotime\nfunc nt() int64\n'


def repository(root: Path, registry_files: list[str]) -> Path:
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.23\n")
    (root / "p").mkdir()
    (root / "p" / "p.go").write_text(PULL)
    (root / ".github").mkdir()
    listed = "".join(f"  - {json.dumps(p)}\n" for p in registry_files)
    (root / ".github" / "linkname-bot.yml").write_text(f"registry_files:\n{listed}")
    return root


def config_errors(out: str) -> list[dict[str, object]]:
    doc = json.loads(out)
    return [f for f in doc["findings"] if f["rule"] == "config-error"]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "secret.yml"
    path.write_text(SECRET)
    return path


def test_cli_refuses_absolute_dotdot_and_symlinked_registry_files(
    tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "reg").mkdir()
    (root / "reg" / "link.yml").symlink_to(secret)
    (root / "dir").symlink_to(secret.parent, target_is_directory=True)
    (root / "reg" / "ok.yml").write_text("known:\n  - target: runtime.nanotime\n")
    paths = [str(secret), "../outside/secret.yml", "reg/link.yml", "dir/secret.yml", "reg/ok.yml"]
    repository(root, paths)

    code = main(["check", str(root), "--format", "json", "--no-stdlib"])
    out = capsys.readouterr().out
    assert TOKEN not in out
    errors = config_errors(out)
    assert len(errors) == 4 and code == 1  # config-error is an error
    assert all("registry_files" in str(e["message"]) for e in errors)
    assert all("not read" in str(e["message"]) for e in errors)
    # The entry inside the repository was read: nanotime is known, no unknown-target.
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "unknown-target"]

    # Text output says the same in plain words.
    main(["check", str(root), "--no-stdlib"])
    text = capsys.readouterr().out
    assert TOKEN not in text and "an absolute path" in text and "climbs out" in text
    assert "symlink that leads outside the repository" in text


def test_cli_base_mode_refuses_a_symlink_in_the_work_tree(
    tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(root)], check=True)
    (root / "README").write_text("x\n")
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "base"], check=True)
    (root / "dir").symlink_to(secret.parent, target_is_directory=True)
    repository(root, ["dir/secret.yml", "/etc/passwd"])
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)  # tracked, not committed

    main(["check", str(root), "--base", "main", "--format", "json", "--no-stdlib"])
    out = capsys.readouterr().out
    assert TOKEN not in out and "root:" not in out
    assert len(config_errors(out)) == 2


POLICY = 'registry_files:\n  - "/etc/ci/secret.yml"\n  - "../../secret.yml"\n  - reg/ok.yml\n'


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    files = {"go.mod": _e2e.GO_MOD, "reg/ok.yml": "known:\n  - target: runtime.nanotime\n"}
    return gh.add_repo("acme/widgets", files=files)


async def test_app_never_requests_registry_files_outside_the_repository(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    # The hostile pull request brings the policy file itself.
    pull = gh.add_pull(repo, 5, {"p/p.go": PULL, ".github/linkname-bot.yml": POLICY})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    (run,) = runs_for(repo, pull.head_sha)
    errors = [a for a in run["annotations"] if a["title"].startswith("config-error")]
    assert len(errors) == 2
    assert all("registry_files" in a["message"] and "not read" in a["message"] for a in errors)
    reads = [r for r in gh.requests if r.method == "GET" or r.path.endswith("/graphql")]
    asked = json.dumps([(r.path, r.query, r.json) for r in reads])
    assert "secret.yml" not in asked and "reg/ok.yml" in asked
    assert run["conclusion"] == "failure"  # config-error is an error
