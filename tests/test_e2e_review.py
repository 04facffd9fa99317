"""End to end: signed webhook → webhook app → queue → worker → review handler → fake GitHub."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy
from bot.queue import Queue, open_queue
from bot.queue.worker import Worker
from bot.report.fingerprint import extract_fingerprints
from bot.service.review_job import CHECK_NAME, make_handlers
from bot.service.server import build_app
from bot.settings import Settings
from bot.testing.fakegithub import FakeGitHub, Pull, Repo
from bot.webhook.app import WEBHOOK_PATH, create_app
from bot.webhook.signature import sign

SECRET = "e2e-secret"
GO_MOD = "module example.com/widgets\n\ngo 1.23\n"
NEW_FILE = """package a

import _ "unsafe"

//go:linkname gcount runtime.gcount
func gcount() int32

//go:linkname mystery example.com/nowhere.mystery
func mystery() int
"""
# The same directives two lines lower: a re-push that only moves them.
MOVED = NEW_FILE.replace('import _ "unsafe"\n', '// Package a counts.\n\nimport _ "unsafe"\n')


# With a registry, a target it does not list is a warning (without one, a notice).
REGISTRY = "known:\n  - target: runtime.nanotime\n    go: '1.23-1.27'\n"


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    files = {"go.mod": GO_MOD, "a/a.go": "package a\n", ".github/linkname-bot.yml": REGISTRY}
    return gh.add_repo("acme/widgets", files=files)


@pytest.fixture
def github(gh: FakeGitHub) -> GitHubApp:
    retry = RetryPolicy(max_attempts=2, max_wait=1.0, base_delay=0.01, max_delay=0.02)
    options = ClientOptions(retry=retry, write_interval=0.0, timeout=10.0)
    return GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)


class Bot:
    """The App wired as in production, except that the worker is stepped by the test."""

    def __init__(self, gh: FakeGitHub, queue: Queue, github: GitHubApp) -> None:
        settings = Settings(app_id=gh.app_id, private_key=gh.private_key, webhook_secret=SECRET)
        self.app = create_app(settings, queue)
        # No standard-library facts: the link-level rules have their own tests, and this one
        # must not change when the generated facts do.
        handler, on_give_up = make_handlers(github, stdlib=None)
        self.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)

    async def deliver(self, event: str, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": sign(SECRET.encode(), body),
        }
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            return await http.post(WEBHOOK_PATH, content=body, headers=headers)


@pytest.fixture
def bot(gh: FakeGitHub, queue: Queue, github: GitHubApp) -> Bot:
    return Bot(gh, queue, github)


def _repository(repo: Repo) -> dict[str, Any]:
    return {
        "id": repo.id,
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": {"login": repo.owner, "type": "Organization"},
    }


def pull_request_event(repo: Repo, pull: Pull, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "number": pull.number,
        "pull_request": {
            "number": pull.number,
            "state": "open",
            "head": {"sha": pull.head_sha, "ref": pull.head_ref},
            "base": {"sha": pull.base_sha, "ref": pull.base_ref},
        },
        "repository": _repository(repo),
        "installation": {"id": repo.installation_id},
        "sender": {"login": pull.user, "type": "User"},
    }


def comment_event(repo: Repo, pull: Pull, comment_id: int, login: str) -> dict[str, Any]:
    return {
        "action": "created",
        "issue": {"number": pull.number, "state": "open", "pull_request": {"url": "x"}},
        "comment": {
            "id": comment_id,
            "body": "/linkname recheck",
            "user": {"login": login, "type": "User"},
            "author_association": "NONE",
        },
        "repository": _repository(repo),
        "installation": {"id": repo.installation_id},
        "sender": {"login": login, "type": "User"},
    }


def push(gh: FakeGitHub, repo: Repo, pull: Pull, files: dict[str, str]) -> None:
    """A new head commit on the PR branch; the PR's file list is recomputed against base."""
    head = repo.commit(dict(files), parent=pull.head_sha, branch=pull.head_ref)
    repo.refs[f"refs/pull/{pull.number}/head"] = head
    pull.head_sha = head
    base_tree = repo.files_at(pull.base_sha) or {}
    head_tree = repo.files_at(head) or {}
    changed = sorted(
        p for p in set(base_tree) | set(head_tree) if base_tree.get(p) != head_tree.get(p)
    )
    pull.files = [gh._pull_file(p, base_tree, head_tree, frozenset(), None) for p in changed]


def runs_for(repo: Repo, sha: str) -> list[dict[str, Any]]:
    return [r for r in repo.check_runs.values() if r["head_sha"] == sha]


def fingerprints_of(comments: list[dict[str, Any]]) -> list[set[str]]:
    return [extract_fingerprints(c["body"]) for c in comments]


async def test_new_file_gets_check_run_and_one_review(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})

    response = await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert response.status_code == 202
    assert await bot.worker.run_once() is True
    assert await bot.worker.run_once() is False  # nothing else queued

    (run,) = runs_for(repo, pull.head_sha)
    assert run["name"] == CHECK_NAME == "linkname"
    assert run["status"] == "completed"
    assert run["conclusion"] == "neutral"  # unknown targets are warnings with a registry
    assert run["output"]["title"] == "2 warnings in 2 directives"
    annotations = run["annotations"]
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in annotations] == [
        ("a/b.go", 5, "warning"),
        ("a/b.go", 8, "warning"),
    ]
    assert "runtime.gcount" in annotations[0]["message"]
    assert "example.com/nowhere.mystery" in annotations[1]["message"]
    assert [a["title"] for a in annotations] == ["unknown-target (Go 1.23–1.27)"] * 2
    assert not any("`" in a["message"] or "**" in a["message"] for a in annotations)
    assert [a["identifier"] for a in run["actions"]] == ["add-registry"]

    (review,) = repo.reviews[7]
    assert review["state"] == "COMMENTED"
    assert review["commit_id"] == pull.head_sha
    comments = repo.review_comments[7]
    assert [(c["path"], c["line"], c["side"]) for c in comments] == [
        ("a/b.go", 5, "RIGHT"),
        ("a/b.go", 8, "RIGHT"),
    ]
    assert "runtime.gcount" in comments[0]["body"]
    assert "example.com/nowhere.mystery" in comments[1]["body"]
    for c in comments:  # a one-line headline, then the rest collapsed
        first, rest = c["body"].split("\n", 1)
        assert first.startswith("**⚠️ unknown-target — ") and first.endswith("Go 1.23–1.27**")
        assert "<details>" in rest and "```yaml" not in c["body"]
        assert len(c["body"]) < 1200
    fps = fingerprints_of(comments)
    assert all(len(fp) == 1 for fp in fps)
    assert len(fps[0] | fps[1]) == 2  # one fingerprint each, distinct


async def test_repush_with_same_findings_posts_no_duplicates(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    first = fingerprints_of(repo.review_comments[7])

    push(gh, repo, pull, {"a/b.go": MOVED})
    response = await bot.deliver("pull_request", pull_request_event(repo, pull, "synchronize"))
    assert response.status_code == 202
    assert await bot.worker.run_once()

    (run,) = runs_for(repo, pull.head_sha)  # a new run for the new head
    assert run["conclusion"] == "neutral"
    assert [a["start_line"] for a in run["annotations"]] == [7, 10]
    assert len(repo.reviews[7]) == 1  # no second review
    assert fingerprints_of(repo.review_comments[7]) == first
    assert not any(t["isResolved"] for t in repo.threads.values())


async def test_finding_gone_resolves_its_thread(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    without_mystery = NEW_FILE.split("//go:linkname mystery")[0]
    push(gh, repo, pull, {"a/b.go": without_mystery})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "synchronize"))
    assert await bot.worker.run_once()

    resolved = {t["comments"][0]["line"]: t["isResolved"] for t in repo.threads.values()}
    assert resolved == {5: False, 8: True}
    assert len(repo.reviews[7]) == 1


async def test_slash_command_from_non_collaborator_is_refused(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    comment_id = 99_001
    repo.issue_comments[comment_id] = {"id": comment_id, "body": "/linkname recheck"}

    response = await bot.deliver("issue_comment", comment_event(repo, pull, comment_id, "mallory"))
    assert response.status_code == 202
    assert await bot.worker.run_once()

    replies = [c for c in repo.issue_comments.values() if c["id"] != comment_id]
    (reply,) = replies
    assert reply["issue_number"] == 7
    assert reply["body"].startswith("> /linkname recheck")
    assert "@mallory" in reply["body"]
    assert "write access" in reply["body"]
    assert runs_for(repo, pull.head_sha) == []
    assert repo.reviews.get(7, []) == []
    assert repo.reactions.get(comment_id, []) == []


async def test_slash_command_from_writer_reviews_with_eyes(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    repo.collaborators["dev"] = "write"
    comment_id = 99_002
    repo.issue_comments[comment_id] = {"id": comment_id, "body": "/linkname recheck"}

    await bot.deliver("issue_comment", comment_event(repo, pull, comment_id, "dev"))
    assert await bot.worker.run_once()

    assert [r["content"] for r in repo.reactions[comment_id]] == ["eyes"]
    (run,) = runs_for(repo, pull.head_sha)
    assert run["conclusion"] == "neutral"
    assert len(repo.review_comments[7]) == 2


async def test_nothing_to_review(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 8, {"README.md": "docs\n"})
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    (run,) = runs_for(repo, pull.head_sha)
    assert run["conclusion"] == "success"
    assert run["output"]["title"] == "Nothing to review"
    assert "\n" not in run["output"]["summary"]
    assert repo.reviews.get(8, []) == []


async def test_give_up_fails_the_check_run(
    gh: FakeGitHub, repo: Repo, queue: Queue, github: GitHubApp
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    bot = Bot(gh, queue, github)
    gh.faults.add("GET", r"/pulls/7/files$", 500, count=10)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()

    (run,) = runs_for(repo, pull.head_sha)
    assert run["status"] == "completed"
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "linkname-bot could not finish the review"
    assert "500" in run["output"]["summary"]


async def test_setup_mode_serves_healthz_and_setup_page() -> None:
    app = build_app(Settings(), queue=open_queue("memory://"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        health = await http.get("/healthz")
        page = await http.get("/")
        hook = await http.post(WEBHOOK_PATH, content=b"{}")
    assert health.json() == {"status": "ok", "configured": False, "private_key": "missing"}
    assert "APP_ID" in page.text and "WEBHOOK_SECRET" in page.text
    assert hook.status_code == 503
