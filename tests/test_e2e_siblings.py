"""End to end: a package with directives is read whole, even where the pull request changes
one file of it. Same wiring as test_e2e_review (signed webhook → webhook app → memory queue →
Worker.run_once → review handler → fake GitHub over HTTP), here with the standard-library facts
so that the link-level rules run.

The unchanged siblings of a changed file with ``go:linkname`` are listed and read at head:
a local declared in a sibling is found (the directive is a pull, checked by the link rules),
a local declared nowhere is ``unknown-local``, and an unchanged ``.s`` file lets a func have
no body. The snapshot-level tests count the GraphQL requests and the round trips.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.fetch.pull_request import fetch_snapshot
from bot.github import GitHubApp, RepoGateway
from bot.queue import Queue
from bot.queue.worker import Worker
from bot.service.review_job import make_handlers
from bot.stdlib.loader import load_stdlib
from bot.testing.fakegithub import FakeGitHub, Pull, Repo
from tests import test_e2e_review as _e2e
from tests.test_e2e_review import GO_MOD, Bot, pull_request_event, runs_for

github = _e2e.github  # gh and queue come from conftest

GRAPHQL = "POST /graphql"
HEADER = 'package a\n\nimport _ "unsafe"\n\n'
PULL_HELPER = HEADER + "//go:linkname helper runtime.nanotime\n"  # the directive on line 5
DECL = "package a\n\n// helper is implemented by the runtime.\nfunc helper() int64\n"


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo(
        "acme/siblings",
        files={
            "go.mod": GO_MOD,
            "a/decl.go": DECL,
            "a/decl_test.go": "package a\n\nfunc testOnly() {}\n",
            "b/b.go": "package b\n\nfunc B() {}\n",
        },
    )


@pytest.fixture
def bot(gh: FakeGitHub, queue: Queue, github: GitHubApp) -> Bot:
    """The App with the standard-library facts (test_e2e_review's bot runs without them)."""
    bot = Bot(gh, queue, github)
    handler, on_give_up = make_handlers(github, stdlib=load_stdlib)
    bot.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)
    return bot


async def review(gh: FakeGitHub, repo: Repo, bot: Bot, pull: Pull) -> dict[str, Any]:
    gh.counters.clear()
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    return run


def rules(run: dict[str, Any]) -> list[str]:
    """The rule of each annotation (titles read ``rule (Go …)``)."""
    return sorted(str(a["title"]).split()[0] for a in run["annotations"])


def graphql_queries(gh: FakeGitHub) -> list[str]:
    return [str(r.json["query"]) for r in gh.logged(GRAPHQL)]


def tree_queries(gh: FakeGitHub) -> list[str]:
    return [q for q in graphql_queries(gh) if "... on Tree" in q]


def blob_queries(gh: FakeGitHub) -> list[str]:
    return [q for q in graphql_queries(gh) if "... on Blob" in q]


async def test_local_declared_in_an_unchanged_sibling_is_a_pull(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 1, {"a/x.go": PULL_HELPER})
    run = await review(gh, repo, bot, pull)

    assert "1 directive (1 pull)" in run["output"]["summary"]
    assert "unknown-local" not in json.dumps(run)
    # The registry rule saw the local's type, which only a/decl.go declares.
    assert rules(run) == ["unknown-target"]
    assert "local: func() int64" in run["output"]["summary"]  # the one suggestion block
    assert run["conclusion"] == "success"

    # GraphQL: review threads, the changed contents, the listing of a/, a/'s siblings.
    assert gh.calls(GRAPHQL) == 4
    (trees,) = tree_queries(gh)
    assert trees.count("object(expression:") == 1
    assert f'"{pull.head_sha}:a"' in trees
    siblings = [q for q in blob_queries(gh) if "a/decl.go" in q]
    assert len(siblings) == 1
    assert "a/decl_test.go" in siblings[0]  # test files are read too (package scope)
    assert "a/x.go" not in siblings[0]  # the changed file is not read twice
    assert "b/b.go" not in json.dumps(graphql_queries(gh))  # other packages are not read


async def test_link_rules_check_the_local_declared_in_a_sibling(gh: FakeGitHub, bot: Bot) -> None:
    # The declaration's type is wrong, and only the unchanged a/decl.go shows it.
    repo = gh.add_repo(
        "acme/mismatch", files={"go.mod": GO_MOD, "a/decl.go": DECL.replace("int64", "int32")}
    )
    pull = gh.add_pull(repo, 2, {"a/x.go": PULL_HELPER})
    run = await review(gh, repo, bot, pull)

    assert "1 directive (1 pull)" in run["output"]["summary"]
    assert "signature-mismatch" in rules(run), rules(run)
    (mismatch,) = [a for a in run["annotations"] if a["title"].startswith("signature-mismatch")]
    assert (mismatch["path"], mismatch["start_line"]) == ("a/x.go", 5)
    assert "unknown-local" not in rules(run)


async def test_local_declared_nowhere_is_one_unknown_local(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    text = HEADER + "//go:linkname ghost runtime.nanotime\n"
    pull = gh.add_pull(repo, 4, {"a/x.go": text})
    run = await review(gh, repo, bot, pull)

    unknown = [a for a in run["annotations"] if a["title"].startswith("unknown-local")]
    assert len(unknown) == 1
    assert (unknown[0]["path"], unknown[0]["start_line"]) == ("a/x.go", 5)
    assert unknown[0]["annotation_level"] == "failure"
    assert run["conclusion"] == "failure"
    assert gh.calls(GRAPHQL) == 4


NEAR_MISS = HEADER + "// go:linkname add example.com/far.add\nfunc add(a, b int) int\n"


@pytest.mark.parametrize("assembly", [True, False])
async def test_unchanged_assembly_file_lets_a_func_have_no_body(
    gh: FakeGitHub, bot: Bot, assembly: bool
) -> None:
    files = {"go.mod": GO_MOD, "a/decl.go": DECL}
    if assembly:
        files["a/add_amd64.s"] = "TEXT ·add(SB),4,$0-24\n\tRET\n"
    repo = gh.add_repo("acme/asm", files=files)
    pull = gh.add_pull(repo, 5, {"a/x.go": NEAR_MISS})
    run = await review(gh, repo, bot, pull)

    (ignored,) = [a for a in run["annotations"] if a["title"].startswith("ignored-directive")]
    if assembly:  # the body may be in the .s file: the comment is only ignored
        assert ignored["annotation_level"] == "warning"
        assert "missing function body" not in ignored["message"]
    else:  # the control: without the .s file the build fails
        assert ignored["annotation_level"] == "failure"
        assert "missing function body" in ignored["message"]


async def test_packages_without_directives_are_not_listed(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 6, {"b/b.go": "package b\n\nfunc B() int { return 1 }\n"})
    await review(gh, repo, bot, pull)

    assert tree_queries(gh) == []
    # Review threads, the head contents, the base contents (b/b.go existed): as before.
    assert gh.calls(GRAPHQL) == 3


# -- the snapshot alone: requests and round trips ---------------------------------------


Tracked = list[tuple[str, int, int]]  # (endpoint, started, finished) on one event clock


def track(gw: RepoGateway, monkeypatch: pytest.MonkeyPatch) -> Tracked:
    """Record when each request of ``gw`` starts and ends (retries are inside one request)."""
    clock = itertools.count()
    log: Tracked = []
    send: Callable[..., Awaitable[Any]] = gw.requester.request

    async def request(method: str, endpoint: str, url: str, **kwargs: Any) -> Any:
        started = next(clock)
        try:
            return await send(method, endpoint, url, **kwargs)
        finally:
            log.append((endpoint, started, next(clock)))

    monkeypatch.setattr(gw.requester, "request", request)
    return log


def round_trips(log: Tracked) -> int:
    """The longest chain of requests each started after the one before it finished."""
    depth: dict[int, int] = {}
    for i, (_, started, _) in sorted(enumerate(log), key=lambda x: x[1][1]):
        before = [depth[j] for j, (_, _, end) in enumerate(log) if end < started and j in depth]
        depth[i] = 1 + max(before, default=0)
    return max(depth.values(), default=0)


async def snapshot(
    gh: FakeGitHub, github: GitHubApp, repo: Repo, pull: Pull, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Tracked]:
    gw = github.repo(repo.installation_id, repo.owner, repo.name)
    await gw.check_runs_for("main")  # the installation token, outside the count
    log = track(gw, monkeypatch)
    request, _ = await fetch_snapshot(gw, pull.number, pull.head_sha, base_sha=pull.base_sha)
    return request, log


async def test_snapshot_adds_one_round_trip_for_siblings(
    gh: FakeGitHub, repo: Repo, github: GitHubApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = gh.add_pull(repo, 7, {"b/b.go": "package b\n\nfunc B() int { return 1 }\n"})
    _, log = await snapshot(gh, github, repo, plain, monkeypatch)
    assert round_trips(log) == 2  # the file list, then the contents
    assert [e for e, _, _ in log].count(GRAPHQL) == 2  # head and base contents

    linked = gh.add_pull(repo, 8, {"a/x.go": PULL_HELPER, "a/asm.s": "RET\n"})
    monkeypatch.undo()
    request, log = await snapshot(gh, github, repo, linked, monkeypatch)
    assert round_trips(log) == 3  # … with the listing of a/ alongside, then the siblings
    # Head contents (both files are new: no base batch), the listing of a/, the siblings.
    assert [e for e, _, _ in log].count(GRAPHQL) == 3
    ws = request.workspace
    assert ws.complete_dirs == frozenset({"a"})
    assert ws.assembly_dirs == frozenset({"a"})
    assert set(ws.files) >= {"a/x.go", "a/decl.go", "a/decl_test.go"}
    assert "b/b.go" not in ws.files


async def test_siblings_cost_no_round_trip_when_the_file_list_has_pages(
    gh: FakeGitHub, repo: Repo, github: GitHubApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 150 files: two pages. a/ is on the first, so it is listed while page 2 loads and its
    # siblings are read with the contents.
    docs: dict[str, str | bytes | None] = {f"docs/d{i}.md": "doc\n" for i in range(149)}
    plain = gh.add_pull(repo, 10, {"b/b.go": "package b\n\nfunc B() int { return 1 }\n"} | docs)
    _, log = await snapshot(gh, github, repo, plain, monkeypatch)
    assert round_trips(log) == 3  # page 1, page 2, the contents

    monkeypatch.undo()
    linked = gh.add_pull(repo, 11, {"a/x.go": PULL_HELPER} | docs)
    request, log = await snapshot(gh, github, repo, linked, monkeypatch)
    assert round_trips(log) == 3
    assert request.workspace.complete_dirs == frozenset({"a"})
    assert [e for e, _, _ in log].count(GRAPHQL) == 3  # contents, listing, siblings


async def test_directive_outside_the_patch_is_listed_one_round_later(
    gh: FakeGitHub, repo: Repo, github: GitHubApp, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build constraint changes (every line of x.go is in scope); the directive, ten lines
    # below, is not in the patch, so the listing of a/ waits for x.go's text.
    body = HEADER + "// Comments.\n" * 6 + "//go:linkname helper runtime.nanotime\n"
    head = gh.add_repo("acme/late", files={"go.mod": GO_MOD, "a/decl.go": DECL, "a/x.go": body})
    pull = gh.add_pull(head, 9, {"a/x.go": "//go:build linux\n\n" + body})
    (patched,) = pull.files
    assert patched.patch is not None and "go:linkname" not in patched.patch

    request, log = await snapshot(gh, github, head, pull, monkeypatch)
    assert request.workspace.complete_dirs == frozenset({"a"})
    assert round_trips(log) == 4  # list, contents, listing of a/, siblings

    run = await review(gh, head, bot, pull)
    assert "1 directive (1 pull)" in run["output"]["summary"]
    assert "unknown-local" not in rules(run)
