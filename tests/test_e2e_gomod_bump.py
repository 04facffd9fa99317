"""End to end: a pull request that moves go.mod's go/toolchain line → signed webhook → queue →
worker → review handler → fake GitHub. The whole module is read at head and the check run
lists the directives whose verdict the new window changes (tests/test_window_change.py has
the facts behind the verdicts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy
from bot.queue.base import Queue
from bot.queue.worker import Worker
from bot.service.review_job import make_handlers
from bot.settings import Settings
from bot.stdlib.loader import load_stdlib
from bot.testing.fakegithub import FakeGitHub, Repo
from bot.webhook.app import create_app
from tests.test_e2e_review import SECRET, Bot, pull_request_event
from tests.test_window_change import GO_121, GO_123, PULLS, STABLE

NESTED = "module example.com/w/tools\n\ngo 1.21\n"


class StdlibBot(Bot):
    """``tests.test_e2e_review.Bot`` with the committed standard-library facts."""

    def __init__(self, gh: FakeGitHub, queue: Queue, github: GitHubApp) -> None:
        settings = Settings(app_id=gh.app_id, private_key=gh.private_key, webhook_secret=SECRET)
        self.app = create_app(settings, queue)
        handler, on_give_up = make_handlers(github, stdlib=load_stdlib)
        self.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)


@pytest.fixture
async def github(gh: FakeGitHub) -> AsyncIterator[GitHubApp]:
    retry = RetryPolicy(max_attempts=2, max_wait=1.0, base_delay=0.01, max_delay=0.02)
    options = ClientOptions(retry=retry, write_interval=0.0, timeout=10.0)
    app = GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)
    yield app
    await app.aclose()


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo(
        "acme/widgets",
        files={
            "go.mod": GO_121,
            "a/a.go": PULLS.decode(),
            "a/doc.go": "// Package a pulls.\npackage a\n",
            "b/b.go": STABLE.decode(),
            "vendor/v/v.go": PULLS.decode().replace("package a", "package v"),
            "tools/go.mod": NESTED,
            "tools/t.go": PULLS.decode(),
        },
    )


def run_of(repo: Repo, sha: str) -> dict[str, Any]:
    (run,) = [r for r in repo.check_runs.values() if r["head_sha"] == sha]
    return run


async def test_go_line_bump_lists_the_verdicts_it_changes(
    gh: FakeGitHub, repo: Repo, github: GitHubApp, queue: Queue
) -> None:
    bot = StdlibBot(gh, queue, github)
    pull = gh.add_pull(repo, 3, {"go.mod": GO_123})
    assert (await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))).is_success
    assert await bot.worker.run_once()

    run = run_of(repo, pull.head_sha)
    assert run["conclusion"] == "success"
    assert run["output"]["title"] == "The Go window changed: 2 directives with a new verdict"
    summary = run["output"]["summary"]
    assert "go 1.21 → go 1.23" in summary
    assert "`a/a.go:5`" in summary and "`a/a.go:8`" in summary
    assert "b/b.go" not in summary  # its verdict did not change
    assert "tools/t.go" not in summary and "vendor/" not in summary  # other module, vendored
    assert "error: undefined-target (fails on Go 1.21–1.22)" in summary
    # The whole module was listed in one call and its files read in blob batches.
    assert gh.calls("GET /repos/{owner}/{repo}/git/trees/{tree_sha}") == 1


async def test_toolchain_line_lowered_fails_and_plain_require_changes_nothing(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    repo = gh.add_repo(
        "acme/tc",
        files={"go.mod": GO_121 + "toolchain go1.23.4\n", "a/a.go": PULLS.decode()},
    )
    bot = StdlibBot(gh, queue, github)
    pull = gh.add_pull(repo, 4, {"go.mod": GO_121})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    run = run_of(repo, pull.head_sha)
    assert run["conclusion"] == "failure"
    assert "go 1.21, toolchain go1.23.4 → go 1.21" in run["output"]["summary"]
    assert "✗ error: undefined-target" in run["output"]["summary"]

    other = gh.add_pull(repo, 5, {"go.mod": GO_121 + "toolchain go1.23.4\nrequire x.y/z v1.0.0\n"})
    await bot.deliver("pull_request", pull_request_event(repo, other, "opened"))
    assert await bot.worker.run_once()
    run = run_of(repo, other.head_sha)
    assert "changed the Go window" not in run["output"]["summary"]
    assert gh.calls("GET /repos/{owner}/{repo}/git/trees/{tree_sha}") == 1  # only PR 4's
