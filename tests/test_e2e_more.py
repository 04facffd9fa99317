"""End to end, the harder paths: refused reviews, fork check suites, Re-run, 3 000 files,
GitHub faults, annotation batches. Same wiring as test_e2e_review (signed webhook → webhook app
→ memory queue → Worker.run_once → review handler → fake GitHub over HTTP)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy
from bot.github.gateway import ANNOTATIONS_PER_REQUEST
from bot.queue import Queue
from bot.queue.jobs import ReviewJob
from bot.service.review_job import handle_review, make_handlers
from bot.testing.fakegithub import FakeGitHub, Repo
from tests import test_e2e_review as _e2e
from tests.test_e2e_review import (
    NEW_FILE,
    Bot,
    _repository,
    pull_request_event,
    runs_for,
)

# The end-to-end fixtures (repository, client, bot; gh and queue come from conftest).
bot = _e2e.bot
github = _e2e.github
repo = _e2e.repo


LIST_FILES = "GET /repos/{owner}/{repo}/pulls/{number}/files"
GRAPHQL = "POST /graphql"
CREATE_RUN = "POST /repos/{owner}/{repo}/check-runs"
PATCH_RUN = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
CREATE_REVIEW = "POST /repos/{owner}/{repo}/pulls/{number}/reviews"


def check_suite_event(repo: Repo, head_sha: str, pulls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "action": "rerequested",
        "check_suite": {"id": 55, "head_sha": head_sha, "pull_requests": pulls, "app": {"id": 0}},
        "repository": _repository(repo),
        "installation": {"id": repo.installation_id},
        "sender": {"login": "dev", "type": "User"},
    }


def check_run_event(
    gh: FakeGitHub, repo: Repo, run: dict[str, Any], action: str, pulls: list[dict[str, Any]]
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": action,
        "check_run": {
            "id": run["id"],
            "head_sha": run["head_sha"],
            "name": run["name"],
            "app": {"id": gh.app_id},
            "pull_requests": pulls,
        },
        "repository": _repository(repo),
        "installation": {"id": repo.installation_id},
        "sender": {"login": "dev", "type": "User"},
    }
    return payload


def directives(n: int) -> str:
    body = "".join(
        f"//go:linkname f{i} example.com/far.f{i}\nfunc f{i}() int\n\n" for i in range(n)
    )
    return f'package a\n\nimport _ "unsafe"\n\n{body}'


async def test_review_refused_with_422_still_completes_the_check_run(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    gh.faults.add(
        "POST",
        r"/pulls/7/reviews$",
        422,
        body={
            "message": "Unprocessable Entity",
            "errors": ["pull_request_review_thread.line must be part of the diff"],
        },
    )
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    assert gh.calls(CREATE_REVIEW) == 1  # a 422 is not retried
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert run["conclusion"] == "neutral"
    summary = run["output"]["summary"]
    assert summary.startswith("> Inline comments could not be posted")
    assert "line must be part of the diff" in summary
    assert len(run["annotations"]) == 2  # the findings are still on the check run
    assert repo.reviews.get(7, []) == []


async def test_fork_pull_found_by_head_sha_from_check_suite(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 9, {"a/b.go": NEW_FILE}, fork="someone/widgets")
    assert "refs/heads/feature" not in repo.refs  # only refs/pull/9/head reaches the fork

    event = check_suite_event(repo, pull.head_sha, [])  # forks: pull_requests is empty
    event["check_suite"]["app"]["id"] = gh.app_id
    response = await bot.deliver("check_suite", event)
    assert response.status_code == 202
    assert await bot.worker.run_once()

    assert gh.calls("GET /repos/{owner}/{repo}/commits/{sha}/pulls") == 1
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert run["output"]["title"] == "2 warnings in 2 directives"
    (review,) = repo.reviews[9]
    assert review["commit_id"] == pull.head_sha
    assert len(repo.review_comments[9]) == 2


async def test_rerun_button_makes_a_new_check_run(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    patches = gh.calls(PATCH_RUN)

    ref = {"number": 7, "head": {"sha": pull.head_sha}, "base": {"sha": pull.base_sha}}
    event = check_run_event(gh, repo, run, "rerequested", [ref])
    assert (await bot.deliver("check_run", event)).status_code == 202
    assert await bot.worker.run_once()

    assert gh.calls(CREATE_RUN) == 2  # GitHub's advice: a Re-run creates a new run
    first, again = runs_for(repo, pull.head_sha)
    assert first["id"] == run["id"] and again["id"] != run["id"]
    assert again["status"] == "completed" and again["conclusion"] == "neutral"
    # The new run carries this pass's annotations only (GitHub appends on every PATCH).
    assert len(again["annotations"]) == len(first["annotations"]) == 2
    assert gh.calls(PATCH_RUN) == patches  # ready at once: created completed, never patched
    assert len(repo.reviews[7]) == 1  # fingerprints: no duplicate review


async def test_a_retried_job_whose_run_completed_publishes_nothing_twice(
    gh: FakeGitHub, repo: Repo, bot: Bot, github: GitHubApp
) -> None:
    """The worker died after completing the check run but before acknowledging the job."""
    pull = gh.add_pull(repo, 8, {"a/b.go": NEW_FILE})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    (done,) = runs_for(repo, pull.head_sha)
    payload = {
        "kind": "review",
        "repo": {"installation_id": repo.installation_id, "owner": "acme", "repo": "widgets"},
        "pull_number": 8,
        "head_sha": pull.head_sha,
        "reason": "opened",
        "delivery_id": done["external_id"],
    }
    creates, reviews = gh.calls(CREATE_RUN), len(repo.reviews[8])
    handler, _ = make_handlers(github, stdlib=None)
    await handler(payload)  # the same job again, as after a lost lease
    assert gh.calls(CREATE_RUN) == creates
    assert len(repo.reviews[8]) == reviews
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed" and len(run["annotations"]) == 2


async def test_3000_file_pull_request_reads_in_pages_and_batches(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    go_files = 120
    files: dict[str, str | bytes | None] = {}
    for i in range(3000):
        if i < go_files:
            files[f"p{i // 50}/f{i}.go"] = f"package p{i // 50}\n\nfunc F{i}() {{}}\n"
        else:
            files[f"docs/d{i}.md"] = f"doc {i}\n"
    pull = gh.add_pull(repo, 11, files)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    assert gh.calls(LIST_FILES) == 30  # ⌈3000/100⌉
    assert all("per_page=100" in r.query for r in gh.logged(LIST_FILES))
    # Content: 120 Go files + go.mod of p0, p1, p2 and the root + the policy = 125 paths.
    content_paths = go_files + 3 + 1 + 1
    threads_queries = 1
    assert gh.calls(GRAPHQL) - threads_queries == math.ceil(content_paths / 50)
    assert math.ceil(content_paths / 50) == math.ceil(go_files / 50) == 3
    assert gh.calls("GET /repos/{owner}/{repo}/contents/{path}") == 0
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert run["conclusion"] == "success"


async def test_github_faults_during_a_job_are_recovered_within_bounds(
    gh: FakeGitHub, repo: Repo, queue: Queue
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retry = RetryPolicy(max_attempts=3, max_wait=30.0, base_delay=0.01, max_delay=0.05)
    options = ClientOptions(retry=retry, write_interval=0.0, timeout=10.0, sleep=sleep)
    github = GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)
    bot = Bot(gh, queue, github)
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    gh.faults.add("GET", r"/pulls/7/files$", 502, count=2)
    gh.faults.add(
        "POST",
        r"/check-runs$",
        403,
        headers={"retry-after": "7"},
        body={"message": "You have exceeded a secondary rate limit."},
    )
    gh.faults.add("POST", r"/pulls/7/reviews$", 429, headers={"retry-after": "3"})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    assert len(gh.faults) == 0  # every fault was hit
    assert gh.calls(LIST_FILES) == 3  # two 502s, then the page
    assert gh.calls(CREATE_RUN) == 2
    assert gh.calls(CREATE_REVIEW) == 2
    assert 7.0 in waits and 3.0 in waits  # retry-after honoured
    backoffs = [w for w in waits if w not in (7.0, 3.0)]
    assert len(backoffs) == 2 and all(0 < w <= 0.05 for w in backoffs)  # capped back-off
    assert max(waits) <= retry.max_wait
    (run,) = runs_for(repo, pull.head_sha)  # the retried POST made exactly one run
    assert run["status"] == "completed" and run["conclusion"] == "neutral"
    assert len(repo.reviews[7]) == 1 and len(repo.review_comments[7]) == 2


async def test_faults_beyond_the_bound_fail_the_check_run(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    # retry-after beyond the policy's max_wait (1 s in the harness): give up at once.
    gh.faults.add("POST", r"/pulls/7/reviews$", 429, headers={"retry-after": "120"}, count=5)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    assert gh.calls(CREATE_REVIEW) == 1
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert run["conclusion"] == "failure"
    assert "429" in run["output"]["summary"]


async def test_more_than_50_annotations_are_patched_in_batches(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/many.go": directives(120)})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed" and run["conclusion"] == "neutral"
    assert len(run["annotations"]) == 120
    assert len({(a["path"], a["start_line"]) for a in run["annotations"]}) == 120
    # Created with the first 50 (the review was ready at once: no in-progress run), then
    # patched with the rest; the conclusion comes with the last batch.
    bodies = [r.json for r in gh.logged(CREATE_RUN)] + [r.json for r in gh.logged(PATCH_RUN)]
    sizes = [len(b.get("output", {}).get("annotations") or []) for b in bodies]
    assert sizes == [50, 50, 20]
    assert max(sizes) <= ANNOTATIONS_PER_REQUEST
    assert ["conclusion" in b for b in bodies] == [False, False, True]
    assert "completed" not in [b.get("status") for b in bodies[:-1]]
    assert len(repo.review_comments[7]) == 30  # inline comments are capped; the rest in body


async def test_a_review_job_parses_the_policy_once(
    gh: FakeGitHub, repo: Repo, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.policy import config

    parsed: list[str | None] = []
    real = config.parse_policy

    def counting(
        text: str | None, path: str = config.CONFIG_PATH, known: Any = None
    ) -> config.Policy:
        parsed.append(text)
        return real(text, path, known)

    monkeypatch.setattr(config, "parse_policy", counting)
    monkeypatch.setattr("bot.fetch.pull_request.parse_policy", counting)
    policy = "registry_files: [linkname/registry.yml]\n"
    registry = "known:\n  - target: runtime.nanotime\n"
    files = {"a/b.go": NEW_FILE, ".github/linkname-bot.yml": policy}
    pull = gh.add_pull(repo, 8, {**files, "linkname/registry.yml": registry})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    assert parsed == [policy]
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert "registry file" not in run["output"]["summary"]  # the registry file was read


def review_payload(repo: Repo, number: int, head_sha: str, delivery_id: str) -> dict[str, Any]:
    return {
        "kind": "review",
        "repo": {"installation_id": repo.installation_id, "owner": "acme", "repo": "widgets"},
        "pull_number": number,
        "head_sha": head_sha,
        "reason": "opened",
        "delivery_id": delivery_id,
    }


async def test_a_review_ready_at_once_writes_twice(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    """Each write costs a second of the installation's pacing: no in-progress run first."""
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    writes = [
        r
        for r in gh.requests
        if r.method in {"POST", "PATCH", "PUT", "DELETE"}
        and r.route.split()[1].startswith("/repos/")
    ]
    assert [r.route for r in writes] == [CREATE_REVIEW, CREATE_RUN]
    (run,) = runs_for(repo, pull.head_sha)
    assert writes[1].json["status"] == "completed" and run["conclusion"] == "neutral"


async def test_a_slow_review_shows_a_running_check_run_first(
    gh: FakeGitHub, repo: Repo, github: GitHubApp
) -> None:
    pull = gh.add_pull(repo, 9, {"a/b.go": NEW_FILE})
    job = ReviewJob.model_validate(review_payload(repo, 9, pull.head_sha, "slow-delivery"))
    outcome = await handle_review(job, github, stdlib=None, progress_after=0.0)

    assert outcome.status == "published"
    (created,) = [r.json for r in gh.logged(CREATE_RUN)]
    assert created["status"] == "in_progress" and created["external_id"] == "slow-delivery"
    (run,) = runs_for(repo, pull.head_sha)
    assert run["id"] == outcome.check_run_id and run["status"] == "completed"
    assert gh.calls(PATCH_RUN) == 1


async def test_a_crash_between_the_review_and_the_check_run_is_repaired_once(
    gh: FakeGitHub, repo: Repo, github: GitHubApp
) -> None:
    """The review was posted, then creating the completed run failed: the retry posts no
    comment twice and completes one run."""
    pull = gh.add_pull(repo, 10, {"a/b.go": NEW_FILE})
    payload = review_payload(repo, 10, pull.head_sha, "crash-delivery")
    handler, _ = make_handlers(github, stdlib=None)
    gh.faults.add("POST", r"/check-runs$", 502, count=2)  # both of the client's attempts
    with pytest.raises(Exception, match="502"):
        await handler(payload)
    assert len(repo.reviews[10]) == 1 and runs_for(repo, pull.head_sha) == []
    comments = len(repo.review_comments[10])

    await handler(payload)  # the worker's retry
    assert len(repo.reviews[10]) == 1 and len(repo.review_comments[10]) == comments
    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed" and run["external_id"] == "crash-delivery"
