"""The GitHub gateway end to end against the fake GitHub on loopback."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.github import (
    Annotation,
    AppCredentials,
    CheckAction,
    CheckOutput,
    ClientOptions,
    Conflict,
    Forbidden,
    GitHubApp,
    NetworkError,
    NewReviewComment,
    NotFound,
    RateLimited,
    RepoGateway,
    RetryPolicy,
    ServerError,
    Unauthorized,
    ValidationFailed,
    WritePacer,
    graphql_url,
)
from bot.testing.fakegithub import FakeGitHub, Repo, serve

GO_BASE = "package a\n\nfunc A() {}\n\nfunc B() {}\n"
GO_HEAD = (
    'package a\n\nimport _ "unsafe"\n\n//go:linkname x runtime.x\nfunc A() {}\n\nfunc B() {}\n'
)


class Sleeps:
    """A sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo("acme/widgets", files={"a.go": GO_BASE})


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


RETRY = RetryPolicy(
    max_attempts=4, max_wait=5.0, base_delay=0.01, max_delay=0.05, rate_limit_floor=0.02
)


def make_app(gh: FakeGitHub, sleeps: Sleeps | None = None, **options: Any) -> GitHubApp:
    opts = ClientOptions(retry=RETRY, write_interval=0.0, timeout=5.0)
    if sleeps is not None:
        opts = replace(opts, sleep=sleeps)
    opts = replace(opts, **options)
    return GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), opts)


def gateway(gh: FakeGitHub, sleeps: Sleeps | None = None, **options: Any) -> RepoGateway:
    return make_app(gh, sleeps, **options).repo(1, "acme", "widgets")


# -- tokens -------------------------------------------------------------------------------


async def test_token_is_minted_once_and_reused(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    api = gateway(gh)
    await api.pull(1)
    await api.pull(1)
    assert len(gh.tokens.minted) == 1
    assert gh.calls("POST /app/installations/{installation_id}/access_tokens") == 1
    sent = {
        r.headers["authorization"] for r in gh.logged("GET /repos/{owner}/{repo}/pulls/{number}")
    }
    assert sent == {f"token {gh.tokens.minted[0].value}"}


async def test_token_close_to_expiry_is_not_reused(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.tokens.lifetime = timedelta(seconds=30)  # less than the one-minute safety margin
    api = gateway(gh)
    await api.pull(1)
    await api.pull(1)
    assert len(gh.tokens.minted) == 2


async def test_two_apps_do_not_share_tokens() -> None:
    # Same App id and installation id on two hosts: a process-global cache would send
    # host A's token to host B, which answers 401.
    with serve(FakeGitHub(app_id=7)) as one, serve(FakeGitHub(app_id=7)) as two:
        for fake in (one, two):
            fake.add_pull(
                fake.add_repo("acme/widgets", files={"a.go": GO_BASE}), 1, {"a.go": GO_HEAD}
            )
        assert (await gateway(one).pull(1)).number == 1
        assert (await gateway(two).pull(1)).number == 1
        assert len(one.tokens.minted) == 1
        assert len(two.tokens.minted) == 1


async def test_app_jwt_is_checked(gh: FakeGitHub, repo: Repo) -> None:
    other = FakeGitHub(key_index=1)  # a different key pair
    app = GitHubApp(
        AppCredentials(gh.app_id, other.private_key, gh.url), ClientOptions(write_interval=0)
    )
    with pytest.raises(Unauthorized) as failure:
        await app.repo(1, "acme", "widgets").pull(1, retry_not_found=False)
    assert failure.value.endpoint == "POST /app/installations/{installation_id}/access_tokens"
    assert gh.tokens.minted == []
    assert gh.calls("POST /app/installations/{installation_id}/access_tokens") == 1


# -- pull requests and files -----------------------------------------------------------------


async def test_pull_request_fields(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 5, {"a.go": GO_HEAD}, fork="someone/widgets", head_ref="patch-1")
    got = await gateway(gh).pull(5)
    assert got.head_sha == pull.head_sha
    assert got.base_sha == pull.base_sha
    assert got.is_fork and got.head_repo == "someone/widgets"
    assert got.head_ref == "patch-1"
    found = await gateway(gh).pulls_for_commit(pull.head_sha)
    assert [p.number for p in found] == [5]


async def test_3000_files_in_30_pages_of_100(gh: FakeGitHub, repo: Repo) -> None:
    files = {f"pkg/f{i:04}.go": f"package pkg\n// {i}\n" for i in range(3005)}
    gh.add_pull(repo, 9, files)  # type: ignore[arg-type]
    listed = await gateway(gh).list_pull_files(9)
    assert len(listed) == 3000
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}/files") == 30
    assert all(
        "per_page=100" in r.query
        for r in gh.logged("GET /repos/{owner}/{repo}/pulls/{number}/files")
    )
    assert listed[0].filename == "pkg/f0000.go" and listed[0].status == "added"
    assert listed[0].patch is not None and "+// 0" in listed[0].patch


async def test_files_limit_and_missing_patch(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(
        repo,
        3,
        {"a.go": GO_HEAD, "big.go": "package a\n", "logo.png": b"\x89PNG\0\1"},
        huge=frozenset({"big.go"}),
    )
    listed = await gateway(gh).list_pull_files(3)
    patches = {f.filename: f.patch for f in listed}
    assert patches["big.go"] is None and patches["logo.png"] is None
    assert patches["a.go"] is not None
    assert len(await gateway(gh).list_pull_files(3, limit=2)) == 2


# -- blobs ---------------------------------------------------------------------------------


async def test_blobs_batched_50_per_graphql_query(gh: FakeGitHub, repo: Repo) -> None:
    files = {f"p/{i}.go": f"package p // {i}\n" for i in range(120)}
    pull = gh.add_pull(repo, 2, files)  # type: ignore[arg-type]
    texts = await gateway(gh).blobs(pull.head_sha, list(files))
    assert texts == files
    assert gh.calls("POST /graphql") == 3
    assert gh.calls("GET /repos/{owner}/{repo}/contents/{path}") == 0


async def test_blob_batch_size_is_configurable(gh: FakeGitHub, repo: Repo) -> None:
    files = {f"p/{i}.go": "package p\n" for i in range(10)}
    pull = gh.add_pull(repo, 2, files)  # type: ignore[arg-type]
    api = make_app(gh).repo(1, "acme", "widgets", blob_batch=4)
    await api.blobs(pull.head_sha, list(files))
    assert gh.calls("POST /graphql") == 3


async def test_truncated_blob_falls_back_to_rest(gh: FakeGitHub, repo: Repo) -> None:
    big = "package a\n" + "// filler\n" * 50
    pull = gh.add_pull(repo, 2, {"big.go": big, "bin.dat": b"\0\1\2", "a.go": GO_HEAD})
    gh.graphql_blob_limit = 100
    texts = await gateway(gh).blobs(pull.head_sha, ["big.go", "bin.dat", "a.go", "gone.go"])
    assert texts == {"big.go": big, "bin.dat": None, "a.go": GO_HEAD, "gone.go": None}
    assert gh.calls("GET /repos/{owner}/{repo}/contents/{path}") == 1
    assert gh.logged("GET /repos/{owner}/{repo}/contents/{path}")[0].query == f"ref={pull.head_sha}"


async def test_path_with_quotes_survives_graphql(gh: FakeGitHub, repo: Repo) -> None:
    name = 'odd "dir"/x\\y.go'
    pull = gh.add_pull(repo, 2, {name: "package odd\n"})
    assert await gateway(gh).blobs(pull.head_sha, [name]) == {name: "package odd\n"}


# -- check runs ----------------------------------------------------------------------------


def _annotations(n: int) -> list[Annotation]:
    return [Annotation("a.go", i + 1, i + 1, "warning", f"finding {i}") for i in range(n)]


async def test_annotations_go_out_50_per_request(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    api = gateway(gh)
    output = CheckOutput("linkname", "120 findings", annotations=_annotations(120))
    run = await api.create_check_run(
        pull.head_sha, "linkname", status="completed", output=output, conclusion="neutral"
    )
    assert gh.calls("POST /repos/{owner}/{repo}/check-runs") == 1
    assert gh.calls("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}") == 2
    stored = repo.check_runs[run.id]
    assert len(stored["annotations"]) == 120
    assert stored["conclusion"] == "neutral" and run.conclusion == "neutral"
    patches = gh.logged("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")
    assert [("conclusion" in p.json) for p in patches] == [False, True]

    await api.update_check_run(run.id, status="completed", output=output, conclusion="failure")
    assert repo.check_runs[run.id]["conclusion"] == "failure"
    assert gh.calls("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}") == 5
    assert len(repo.check_runs[run.id]["annotations"]) == 240
    sizes = [
        len(p.json["output"]["annotations"])
        for p in gh.logged("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")
    ]
    assert sizes == [50, 20, 50, 50, 20]


async def test_check_run_with_actions_and_listing(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    api = gateway(gh)
    action = CheckAction("Add to registry", "Commit registry entries", "add-registry")
    run = await api.create_check_run(
        pull.head_sha,
        "linkname",
        status="completed",
        conclusion="action_required",
        output=CheckOutput("t", "s"),
        actions=[action],
    )
    assert repo.check_runs[run.id]["actions"] == [action.to_json()]
    runs = await api.check_runs_for(pull.head_sha)
    assert [r.id for r in runs] == [run.id]


async def test_too_long_summary_is_422_and_not_retried(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    with pytest.raises(ValidationFailed) as failure:
        await gateway(gh).create_check_run(pull.head_sha, "x", output=CheckOutput("t", "s" * 65536))
    assert failure.value.status == 422 and not failure.value.is_transient
    assert gh.calls("POST /repos/{owner}/{repo}/check-runs") == 1


# -- reviews -------------------------------------------------------------------------------


async def test_review_comment_outside_diff_fails_whole_review(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 4, {"a.go": GO_HEAD})
    good = NewReviewComment("a.go", "linkname here", line=5)
    bad = NewReviewComment("a.go", "far away", line=400)
    with pytest.raises(ValidationFailed) as failure:
        await gateway(gh).create_review(4, pull.head_sha, "review", [good, bad])
    assert "pull_request_review_thread.line must be part of the diff" in failure.value.errors
    assert repo.reviews == {} and repo.review_comments == {}
    assert gh.calls("POST /repos/{owner}/{repo}/pulls/{number}/reviews") == 1


async def test_review_threads_and_resolution(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 4, {"a.go": GO_HEAD})
    api = gateway(gh)
    review = await api.create_review(
        4,
        pull.head_sha,
        "2 findings",
        [
            NewReviewComment("a.go", "one <!-- fp:1 -->", line=5),
            NewReviewComment("a.go", "two <!-- fp:2 -->", line=6, start_line=5),
        ],
    )
    assert review.state == "COMMENTED"
    assert [r.id for r in await api.list_reviews(4)] == [review.id]
    comments = await api.list_review_comments(4)
    assert [c.body for c in comments] == ["one <!-- fp:1 -->", "two <!-- fp:2 -->"]
    threads = await api.review_threads(4)
    assert [(t.body, t.is_resolved) for t in threads] == [
        ("one <!-- fp:1 -->", False),
        ("two <!-- fp:2 -->", False),
    ]
    assert threads[0].comment_id == comments[0].id
    await api.resolve_thread(threads[0].id)
    assert [t.is_resolved for t in await api.review_threads(4)] == [True, False]


async def test_review_comments_paginate(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 4, {"a.go": GO_HEAD})
    api = gateway(gh)
    for _ in range(3):
        await api.create_review(
            4, pull.head_sha, "x", [NewReviewComment("a.go", f"c{i}", line=5) for i in range(40)]
        )
    assert len(await api.list_review_comments(4)) == 120
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}/comments") == 2


# -- comments, reactions, permissions, commits ------------------------------------------------


async def test_issue_comment_reaction_and_permission(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(repo, 4, {"a.go": GO_HEAD})
    repo.collaborators["alice"] = "write"
    api = gateway(gh)
    comment = await api.create_issue_comment(4, "> /linkname recheck\n\nOn it.")
    await api.add_reaction(comment.id, "eyes")
    assert [r["content"] for r in repo.reactions[comment.id]] == ["eyes"]
    assert await api.collaborator_permission("alice") == "write"
    assert await api.collaborator_permission("mallory") == "none"


async def test_commit_file_fast_forwards_branch(gh: FakeGitHub, repo: Repo) -> None:
    head = repo.refs["refs/heads/main"]
    api = gateway(gh)
    new = await api.commit_file("main", "registry/x.yaml", "entries: []\n", "Add registry", head)
    assert repo.refs["refs/heads/main"] == new
    assert repo.files_at(new) == {"a.go": GO_BASE.encode(), "registry/x.yaml": b"entries: []\n"}
    with pytest.raises(Conflict):
        await api.commit_file("main", "registry/x.yaml", "again\n", "Again", head)
    assert repo.refs["refs/heads/main"] == new


# -- retries -------------------------------------------------------------------------------


async def test_502_then_success(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 502, count=2)
    assert (await gateway(gh, sleeps).pull(1)).number == 1
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 3
    assert len(sleeps.calls) == 2 and all(0 < s <= 0.05 for s in sleeps.calls)


async def test_403_retry_after_is_honoured(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add(
        "GET",
        r"/pulls/1$",
        403,
        headers={"retry-after": "3"},
        body={"message": "You have exceeded a secondary rate limit."},
    )
    assert (await gateway(gh, sleeps).pull(1)).number == 1
    assert sleeps.calls == [3.0]


async def test_403_retry_after_really_waits(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 403, headers={"retry-after": "1"})
    started = time.monotonic()
    await gateway(gh).pull(1)
    assert time.monotonic() - started >= 1.0


async def test_primary_limit_waits_until_reset(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    reset = str(int(time.time()) + 4)
    gh.faults.add(
        "GET",
        r"/pulls/1$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
        body={"message": "API rate limit exceeded"},
    )
    await gateway(gh, sleeps).pull(1)
    assert len(sleeps.calls) == 1 and 2.0 <= sleeps.calls[0] <= 4.0


async def test_429_is_retried(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 429)
    await gateway(gh, sleeps).pull(1)
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 2
    assert len(sleeps.calls) == 1


async def test_gives_up_when_wait_exceeds_bound(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 403, headers={"retry-after": "3600"})
    with pytest.raises(RateLimited) as failure:
        await gateway(gh, sleeps).pull(1)
    assert failure.value.retry_after == 3600 and failure.value.is_transient
    assert sleeps.calls == []
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 1


async def test_hintless_secondary_limit_waits_at_least_the_floor(
    gh: FakeGitHub, repo: Repo, sleeps: Sleeps
) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    message = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}
    gh.faults.add("GET", r"/pulls/1$", 403, body=message)
    await gateway(gh, sleeps).pull(1)
    assert sleeps.calls == [0.02]
    gh.faults.add("GET", r"/pulls/1$", 403, body=message)
    with pytest.raises(RateLimited):  # GitHub's one-minute floor is beyond a 5 s bound
        await gateway(gh, sleeps, retry=replace(RETRY, rate_limit_floor=60.0)).pull(1)


async def test_gives_up_after_max_attempts(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 502, count=100)
    with pytest.raises(ServerError) as failure:
        await gateway(gh, sleeps).pull(1)
    assert failure.value.status == 502 and failure.value.endpoint.startswith("GET /repos/")
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 4
    assert len(sleeps.calls) == 3


async def test_plain_403_is_not_retried(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add(
        "GET", r"/pulls/1$", 403, body={"message": "Resource not accessible by integration"}
    )
    with pytest.raises(Forbidden) as failure:
        await gateway(gh, sleeps).pull(1)
    assert failure.value.status == 403 and not failure.value.is_transient
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 1


async def test_404_is_retried_once_for_a_new_pull(
    gh: FakeGitHub, repo: Repo, sleeps: Sleeps
) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 404)
    assert (await gateway(gh, sleeps).pull(1)).number == 1
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 2

    gh.faults.add("GET", r"/pulls/1$", 404, count=2)
    with pytest.raises(NotFound):
        await gateway(gh, sleeps).pull(1)
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 4


async def test_404_elsewhere_is_not_retried(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    with pytest.raises(NotFound):
        await gateway(gh, sleeps).list_pull_files(99)
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}/files") == 1


async def test_timeout_is_retried(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", None, delay=0.6)
    api = gateway(gh, sleeps, timeout=0.3)
    assert (await api.pull(1)).number == 1
    assert gh.calls("GET /repos/{owner}/{repo}/pulls/{number}") == 2


async def test_connection_refused_is_transient(sleeps: Sleeps) -> None:
    fake = FakeGitHub()
    fake.url = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(NetworkError) as failure:
        await gateway(fake, sleeps).pull(1)
    assert failure.value.is_transient and failure.value.status == 0
    assert len(sleeps.calls) == 3


async def test_token_mint_502_is_retried(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("POST", r"/access_tokens$", 502)
    await gateway(gh, sleeps).pull(1)
    assert len(gh.tokens.minted) == 1 and len(sleeps.calls) == 1


async def test_metric_hook_sees_every_attempt(gh: FakeGitHub, repo: Repo, sleeps: Sleeps) -> None:
    gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    gh.faults.add("GET", r"/pulls/1$", 502)
    seen: list[tuple[str, int]] = []
    api = gateway(gh, sleeps, on_request=lambda endpoint, status: seen.append((endpoint, status)))
    await api.pull(1)
    assert seen == [
        ("GET /repos/{owner}/{repo}/pulls/{number}", 502),
        ("GET /repos/{owner}/{repo}/pulls/{number}", 200),
    ]


# -- pacing --------------------------------------------------------------------------------


async def test_pacer_spaces_writes_on_a_fake_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = WritePacer(1.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await pacer.wait()
    assert slept == [1.0, 1.0]
    now[0] += 5
    await pacer.wait()
    assert slept == [1.0, 1.0]


async def test_writes_are_paced_per_installation(gh: FakeGitHub, repo: Repo) -> None:
    gh.add_pull(repo, 4, {"a.go": GO_HEAD})
    api = gateway(gh, write_interval=0.15)
    started = time.monotonic()
    for i in range(3):
        await api.create_issue_comment(4, f"comment {i}")
    await api.pull(4)  # reads are not paced
    assert time.monotonic() - started >= 0.3
    stamps = [r for r in gh.requests if r.method == "POST" and "comments" in r.path]
    assert len(stamps) == 3


# -- GitHub Enterprise Server ----------------------------------------------------------------


def test_graphql_url_derivation() -> None:
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://api.github.com/") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/graphql"
    assert graphql_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/graphql"


async def test_ghes_layout_end_to_end(gh: FakeGitHub, repo: Repo) -> None:
    pull = gh.add_pull(repo, 1, {"a.go": GO_HEAD})
    app = GitHubApp(
        AppCredentials(gh.app_id, gh.private_key, gh.url + "/api/v3"),
        ClientOptions(write_interval=0),
    )
    api = app.repo(1, "acme", "widgets")
    assert (await api.pull(1)).head_sha == pull.head_sha
    assert await api.blobs(pull.head_sha, ["a.go"]) == {"a.go": GO_HEAD}
    assert gh.calls("POST /api/graphql") == 1 and gh.calls("POST /graphql") == 0
    assert all(r.path.startswith("/api/") for r in gh.requests)


# -- App-level -------------------------------------------------------------------------------


async def test_deliveries_since_and_redelivery(gh: FakeGitHub, repo: Repo) -> None:
    now = datetime.now(UTC)
    for i in range(150):
        stamp = (now - timedelta(minutes=150 - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        gh.add_delivery(f"guid-{i}", "pull_request", "opened", 200 if i % 2 else 502, stamp)
    app = make_app(gh).gateway()
    recent = await app.list_deliveries(now - timedelta(minutes=120, seconds=30))
    assert len(recent) == 120
    assert gh.calls("GET /app/hook/deliveries") == 2
    failed = [d for d in recent if not d.ok]
    await app.redeliver(failed[0].id)
    again = await app.list_deliveries(now - timedelta(minutes=1))
    assert [d.guid for d in again if d.redelivery] == [failed[0].guid]
    assert await app.repo_installation("acme", "widgets") == 1
