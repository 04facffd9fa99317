"""End to end: POST /admin/recheck → durable queue → the App's worker → re-check handler → fake
GitHub, wired as ``linkname-bot serve`` wires it (``build_app`` and its lifespan), with the
committed standard-library facts.

`runtime.memhash32` links on Go 1.21–1.26 and is refused on 1.27 (``linkname-bot explain``);
`runtime.gcount` is refused from 1.23 on: only the first is news for a Go 1.27 release.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.fetch.repository_tree import fetch_tree
from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy, ServerError
from bot.publish.release_issue import marker
from bot.queue import open_queue
from bot.queue.base import Queue
from bot.queue.jobs import RecheckJob, RepoRef
from bot.service.recheck import enqueue_rechecks, handle_recheck
from bot.service.server import build_app
from bot.settings import Settings
from bot.stdlib.loader import load_stdlib
from bot.testing.fakegithub import FakeGitHub, Repo

TOKEN = "admin-token-0123456789abcdef"
GO_MOD = "module example.com/{name}\n\ngo 1.23\n"
BREAKS_ON_27 = """package hashing

import "unsafe"

//go:linkname memhash32 runtime.memhash32
func memhash32(p unsafe.Pointer, h uintptr) uintptr

func use() { _ = memhash32 }
"""
BROKEN_SINCE_23 = """package counting

import _ "unsafe"

//go:linkname gcount runtime.gcount
func gcount() int32

func use() { _ = gcount }
"""


def go_repo(gh: FakeGitHub, name: str, installation: int, files: dict[str, str]) -> Repo:
    return gh.add_repo(
        name,
        installation_id=installation,
        files={"go.mod": GO_MOD.format(name=name.split("/")[1]), **files},
    )


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[Queue]:
    q = open_queue(f"sqlite:///{tmp_path}/queue.db")  # the App's default, durable backend
    yield q
    await q.close()


@pytest.fixture
async def github(gh: FakeGitHub) -> AsyncIterator[GitHubApp]:
    retry = RetryPolicy(max_attempts=2, max_wait=1.0, base_delay=0.01, max_delay=0.02)
    options = ClientOptions(retry=retry, write_interval=0.0, timeout=10.0)
    app = GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)
    yield app
    await app.aclose()


class Served:
    """``build_app`` with its lifespan running: the worker takes jobs as in production."""

    def __init__(self, gh: FakeGitHub, queue: Queue, github: GitHubApp, **settings: Any) -> None:
        self.gh, self.queue = gh, queue
        self.settings = Settings(
            app_id=gh.app_id,
            private_key=gh.private_key,
            webhook_secret="secret",
            github_api_url=gh.url,
            **{"recheck_interval": 0.0, **settings},  # no pacing between re-checks
        )
        self.app = build_app(
            self.settings,
            queue=queue,
            github=github,
            stdlib=load_stdlib,
            poll_interval=0.01,
            recovery_interval=0,
        )

    async def recheck(self, go: str | None = None, token: str = TOKEN) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            params = {"go": go} if go else None
            headers = {"authorization": f"Bearer {token}"}
            return await http.post("/admin/recheck", params=params, headers=headers)

    async def drain(
        self, runs: int, done: Callable[[], bool] = lambda: True, timeout: float = 60.0
    ) -> None:
        """Wait until ``runs`` completed check runs exist, the queue is empty and ``done()``
        (the worker finishes the job in hand when the lifespan ends, too)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            completed = sum(
                1
                for r in self.gh.repos.values()
                for run in r.check_runs.values()
                if run["status"] == "completed"
            )
            if completed >= runs and await self.queue.depth() == 0 and done():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the worker did not finish the re-checks in time")


def head(repo: Repo) -> str:
    return repo.refs[f"refs/heads/{repo.default_branch}"]


def runs_on(repo: Repo, sha: str) -> list[dict[str, Any]]:
    return [r for r in repo.check_runs.values() if r["head_sha"] == sha]


async def test_recheck_every_installation_one_run_each_one_issue_updated_not_duplicated(
    gh: FakeGitHub, queue: Queue, github: GitHubApp
) -> None:
    hashing = go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})
    counting = go_repo(gh, "acme/counting", 1, {"counting/count.go": BROKEN_SINCE_23})
    docs = gh.add_repo("acme/docs", installation_id=1, files={"README.md": "no Go here\n"})
    other = gh.add_repo(
        "globex/tools",
        installation_id=2,
        default_branch="trunk",
        files={"go.mod": GO_MOD.format(name="tools"), "hashing/hash.go": BREAKS_ON_27},
    )
    served = Served(gh, queue, github, admin_token=TOKEN, release_issues=True)
    repos = [hashing, counting, docs, other]

    async with served.app.router.lifespan_context(served.app):
        response = await served.recheck("1.27")
        assert response.status_code == 202
        assert response.json() | {"request_id": ""} == {
            "go": "1.27",
            "request_id": "",
            "installations": 2,
            "repositories": 4,
            "queued": 4,
            "skipped": 0,
        }
        await served.drain(runs=4, done=lambda: len(other.issues) == 1)

        for repo in repos:  # one check run on each default branch's HEAD
            (run,) = runs_on(repo, head(repo))
            assert run["name"] == "linkname"
            assert "Re-check of" in run["output"]["summary"]
            assert "Go 1.27" in run["output"]["summary"]
        assert runs_on(hashing, head(hashing))[0]["conclusion"] == "failure"
        assert runs_on(docs, head(docs))[0]["conclusion"] == "success"
        assert runs_on(docs, head(docs))[0]["output"]["title"] == "No //go:linkname directives"
        lines = {a["start_line"] for a in runs_on(hashing, head(hashing))[0]["annotations"]}
        assert lines == {5}

        # One issue where a directive breaks on 1.27 only; none where it broke before.
        (issue,) = hashing.issues.values()
        assert issue["title"] == "Go 1.27 refuses 1 linkname pull"
        assert marker(27) in issue["body"]
        assert "`hashing/hash.go:5`" in issue["body"]
        assert "runtime.memhash32" in issue["body"]
        assert "//go:build !go1.27" in issue["body"]  # the fix
        assert counting.issues == {} and docs.issues == {}
        assert len(other.issues) == 1

        # A push adds a second break; the second re-check updates the issue.
        hashing.commit(
            {"hashing/more.go": BREAKS_ON_27.replace("memhash32", "memhash64")},
            parent=head(hashing),
            branch="main",
        )
        gh.add_pull(hashing, 40, {"x.txt": "a pull request: issue numbers are shared\n"})
        response = await served.recheck()  # the newest version in the facts: 1.27
        assert response.status_code == 202 and response.json()["go"] == "1.27"
        await served.drain(runs=8)

    (updated,) = hashing.issues.values()
    assert updated["number"] == issue["number"]
    assert updated["title"] == "Go 1.27 refuses 2 linkname pulls"
    assert "`hashing/more.go:5`" in updated["body"] and head(hashing) in updated["body"]
    assert len(other.issues) == 1  # unchanged, not duplicated
    assert len(runs_on(hashing, head(hashing))) == 1
    assert gh.calls("POST /repos/{owner}/{repo}/issues") == 2  # hashing and globex/tools
    assert gh.calls("PATCH /repos/{owner}/{repo}/issues/{number}") == 1


async def test_installation_repositories_are_paged_and_rechecks_coalesce(
    gh: FakeGitHub, queue: Queue, github: GitHubApp
) -> None:
    for i in range(103):
        gh.add_repo(f"big/r{i:03d}", installation_id=7, files={"README.md": f"{i}\n"})
    go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})

    first = await enqueue_rechecks(github, queue, 27, "req-1")
    assert (first.installations, first.repositories, first.queued) == (2, 104, 104)
    pages = gh.logged("GET /installation/repositories")
    assert [p.query for p in pages].count("per_page=100") == 2  # first page of each install
    assert any("page=2" in p.query for p in pages)  # the Link header was followed
    assert await queue.depth() == 104

    # A second request while the jobs wait replaces them: still one job per repository.
    again = await enqueue_rechecks(github, queue, 27, "req-2")
    assert again.repositories == 104
    assert await queue.depth() == 104


async def test_admin_endpoint_is_off_without_token_and_refuses_wrong_token(
    gh: FakeGitHub, queue: Queue, github: GitHubApp
) -> None:
    off = Served(gh, queue, github)
    assert (await off.recheck("1.27")).status_code == 404
    on = Served(gh, queue, github, admin_token=TOKEN)
    async with on.app.router.lifespan_context(on.app):
        refused = await on.recheck("1.27", token="wrong-token-0123456789")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        unknown = await on.recheck("1.99")
        assert unknown.status_code == 400 and "1.99" in unknown.json()["error"]
        assert await queue.depth() == 0
    assert gh.calls("GET /app/installations") == 0


async def test_without_release_issues_no_issue_is_opened(
    gh: FakeGitHub, queue: Queue, github: GitHubApp
) -> None:
    hashing = go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})
    gh.issues_permission = "none"  # the App did not ask for issues: write
    served = Served(gh, queue, github, admin_token=TOKEN)
    async with served.app.router.lifespan_context(served.app):
        assert (await served.recheck("1.27")).status_code == 202
        await served.drain(runs=1)
    (run,) = runs_on(hashing, head(hashing))
    assert run["conclusion"] == "failure"
    assert hashing.issues == {}
    assert gh.calls("GET /repos/{owner}/{repo}/issues") == 0


def recheck_job(repo: Repo, delivery: str = "req-9") -> RecheckJob:
    ref = RepoRef(installation_id=repo.installation_id, owner=repo.owner, repo=repo.name)
    return RecheckJob(repo=ref, go=27, delivery_id=delivery, default_branch=repo.default_branch)


async def test_a_retried_job_keeps_its_check_run_and_still_opens_the_issue(
    gh: FakeGitHub, github: GitHubApp
) -> None:
    hashing = go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})
    gh.faults.add("POST", r"/issues$", 502, count=2)  # both tries of the client
    job = recheck_job(hashing)
    with pytest.raises(ServerError):
        await handle_recheck(job, github, stdlib=load_stdlib, release_issues=True)
    assert len(runs_on(hashing, head(hashing))) == 1 and hashing.issues == {}

    again = await handle_recheck(job, github, stdlib=load_stdlib, release_issues=True)
    assert (again.status, again.issue, again.breaks) == ("already-published", "opened", 1)
    assert len(runs_on(hashing, head(hashing))) == 1  # not posted twice
    (issue,) = hashing.issues.values()
    assert again.issue_number == issue["number"]


async def test_without_issues_permission_the_check_run_still_lands(
    gh: FakeGitHub, github: GitHubApp
) -> None:
    hashing = go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})
    gh.issues_permission = "read"  # RELEASE_ISSUES=1 but the App was never granted issues: write
    outcome = await handle_recheck(
        recheck_job(hashing), github, stdlib=load_stdlib, release_issues=True
    )
    assert (outcome.status, outcome.issue, outcome.conclusion) == (
        "published",
        "refused",
        "failure",
    )
    assert hashing.issues == {}


async def test_issue_closes_when_nothing_breaks_and_reopens_when_it_breaks_again(
    gh: FakeGitHub, github: GitHubApp
) -> None:
    hashing = go_repo(gh, "acme/hashing", 1, {"hashing/hash.go": BREAKS_ON_27})
    first = await handle_recheck(
        recheck_job(hashing, "r1"), github, stdlib=load_stdlib, release_issues=True
    )
    assert first.issue == "opened"
    fixed = hashing.commit({"hashing/hash.go": None}, parent=head(hashing), branch="main")
    closed = await handle_recheck(
        recheck_job(hashing, "r2"), github, stdlib=load_stdlib, release_issues=True
    )
    assert (closed.head_sha, closed.issue, closed.breaks) == (fixed, "closed", 0)
    (issue,) = hashing.issues.values()
    assert issue["state"] == "closed" and "no directive breaks on Go 1.27" in issue["body"]

    hashing.commit({"hashing/hash.go": BREAKS_ON_27}, parent=head(hashing), branch="main")
    back = await handle_recheck(
        recheck_job(hashing, "r3"), github, stdlib=load_stdlib, release_issues=True
    )
    assert back.issue == "updated"
    (issue,) = hashing.issues.values()
    assert issue["state"] == "open" and issue["title"] == "Go 1.27 refuses 1 linkname pull"


async def test_a_truncated_tree_is_reviewed_without_claiming_completeness(
    gh: FakeGitHub, github: GitHubApp
) -> None:
    files = {"hashing/hash.go": BREAKS_ON_27, "hashing/more.go": "package hashing\n"}
    repo = go_repo(gh, "acme/huge", 1, files)
    gw = github.repo(1, "acme", "huge")
    whole = await fetch_tree(gw, head(repo))
    assert whole.full_tree and whole.workspace.complete_dirs is None
    assert set(whole.workspace.files) == {"go.mod", *files}

    gh.tree_entry_limit = 3  # GitHub stops listing: go.mod, hashing/, hashing/hash.go
    cut = await fetch_tree(gw, head(repo))
    assert not cut.full_tree and cut.workspace.complete_dirs == frozenset()
    assert set(cut.workspace.files) == {"go.mod", "hashing/hash.go"}
