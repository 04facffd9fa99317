"""The HTTP front door: status codes, what reaches the queue, and the logs."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from bot.queue.jobs import CommandReplyJob, RepoRef, ReviewJob, parse_job
from bot.settings import Settings
from bot.webhook.app import MAX_BODY_BYTES, WEBHOOK_PATH, RecentDeliveries, create_app
from bot.webhook.logs import configure_logging
from bot.webhook.signature import sign

DATA = Path(__file__).parent / "data" / "webhooks"
SECRET = "s3cret-for-tests"
SETTINGS = Settings(app_id=1, private_key="unused", webhook_secret=SECRET)
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
HELLO = RepoRef(installation_id=1, owner="Codertocat", repo="Hello-World")


class FakeQueue:
    """The queue's ``enqueue``: stores what it is given, drops dedup ids it has seen."""

    def __init__(self, *, error: Exception | None = None, delay: float = 0.0) -> None:
        self.stored: list[tuple[dict[str, object], str, str | None]] = []
        self.calls = 0
        self.error = error
        self.delay = delay

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        if any(seen == dedup_id for _, seen, _ in self.stored):
            return False
        self.stored.append((payload, dedup_id, coalesce_key))
        return True


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def headers(
    event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
        "x-hub-signature-256": sign(secret.encode(), body),
    }


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
async def client(queue: FakeQueue) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, queue, max_body_bytes=64 * 1024)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        yield http


async def post(
    client: httpx.AsyncClient, event: str, payload: object, **kwargs: Any
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await client.post(WEBHOOK_PATH, content=body, headers=headers(event, body, **kwargs))


async def test_signed_pull_request_is_queued(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    response = await post(client, "pull_request", load("pull_request.opened.2"), delivery="d-1")
    assert response.status_code == 202
    assert response.json() == {"queued": 1}
    expected = ReviewJob(
        repo=HELLO, pull_number=2, head_sha=HEAD, reason="opened", delivery_id="d-1"
    )
    assert queue.stored == [
        (expected.model_dump(mode="json"), "d-1", "review:Codertocat/Hello-World#2")
    ]
    assert parse_job(queue.stored[0][0]) == expected


async def test_the_exact_signed_bytes_are_verified(
    client: httpx.AsyncClient, queue: FakeQueue
) -> None:
    # Unusual but valid JSON formatting: re-serialising it would break the signature.
    body = b'{ "zen" :"x",\n\t"hook_id": 1 }'
    response = await client.post(WEBHOOK_PATH, content=body, headers=headers("ping", body))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "forged",
        "missing",
        "sha1",
        "truncated",
        "empty",
    ],
)
async def test_bad_signature_is_401_and_queues_nothing(
    client: httpx.AsyncClient, queue: FakeQueue, bad: str
) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body)
    good = sent["x-hub-signature-256"]
    if bad == "forged":
        sent = headers("pull_request", body, secret="guessed")
    elif bad == "missing":
        del sent["x-hub-signature-256"]
    elif bad == "sha1":
        sent["x-hub-signature-256"] = "sha1=" + good.removeprefix("sha256=")[:40]
    elif bad == "truncated":
        sent["x-hub-signature-256"] = good[:-8]
    else:
        sent["x-hub-signature-256"] = ""
    response = await client.post(WEBHOOK_PATH, content=body, headers=sent)
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert queue.stored == []


async def test_tampered_body_is_401(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body)
    response = await client.post(WEBHOOK_PATH, content=body + b" ", headers=sent)
    assert response.status_code == 401
    assert queue.stored == []


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/jsonx", None],
)
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, queue: FakeQueue, content_type: str | None
) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body)
    if content_type is None:
        del sent["content-type"]
    else:
        sent["content-type"] = content_type
    response = await client.post(WEBHOOK_PATH, content=body, headers=sent)
    assert response.status_code == 415
    assert queue.stored == []


async def test_json_with_charset_is_accepted(client: httpx.AsyncClient) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body) | {"content-type": "Application/JSON; charset=utf-8"}
    response = await client.post(WEBHOOK_PATH, content=body, headers=sent)
    assert response.status_code == 202


class Chunks:
    """A request body sent in chunks, counting how many the server pulled."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.count, self.pulled = chunk, count, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield self.chunk


async def test_declared_oversize_is_413_without_reading() -> None:
    queue = FakeQueue()
    app = create_app(SETTINGS, queue)
    body = Chunks(b"x" * 1024 * 1024, 26)
    sent = headers("pull_request", b"") | {"content-length": str(26 * 1024 * 1024)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        response = await c.post(WEBHOOK_PATH, content=body.__aiter__(), headers=sent)
    assert response.status_code == 413
    assert body.pulled == 0
    assert queue.stored == []


async def test_streamed_oversize_is_413_and_reading_stops_at_the_cap() -> None:
    queue = FakeQueue()
    app = create_app(SETTINGS, queue)
    mib = 1024 * 1024
    body = Chunks(b"x" * mib, 40)  # chunked: no content-length
    sent = headers("pull_request", b"")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        response = await c.post(WEBHOOK_PATH, content=body.__aiter__(), headers=sent)
    assert response.status_code == 413
    assert body.pulled == MAX_BODY_BYTES // mib + 1  # the first chunk past 25 MB, no more
    assert queue.stored == []


@pytest.mark.parametrize("declared", [b"-1", b"12a", "\u00b2".encode("latin-1"), b""])
async def test_invalid_content_length_is_400(
    client: httpx.AsyncClient, queue: FakeQueue, declared: bytes
) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = [(k.encode(), v.encode()) for k, v in headers("pull_request", body).items()]
    sent.append((b"content-length", declared))
    response = await client.post(WEBHOOK_PATH, content=Chunks(body, 1).__aiter__(), headers=sent)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid Content-Length"}
    assert queue.stored == []


async def test_body_at_the_cap_is_read(queue: FakeQueue) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    app = create_app(SETTINGS, queue, max_body_bytes=len(body))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        ok = await c.post(WEBHOOK_PATH, content=body, headers=headers("pull_request", body))
        big = body + b" "
        too_big = await c.post(WEBHOOK_PATH, content=big, headers=headers("pull_request", big))
    assert (ok.status_code, too_big.status_code) == (202, 413)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe{}", b"", b"[1, 2]", b'"text"'])
async def test_invalid_json_is_400(
    client: httpx.AsyncClient, queue: FakeQueue, body: bytes
) -> None:
    response = await client.post(WEBHOOK_PATH, content=body, headers=headers("pull_request", body))
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid JSON")
    assert queue.stored == []


@pytest.mark.parametrize("missing", ["x-github-event", "x-github-delivery"])
async def test_missing_github_headers_is_400(
    client: httpx.AsyncClient, queue: FakeQueue, missing: str
) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body)
    del sent[missing]
    response = await client.post(WEBHOOK_PATH, content=body, headers=sent)
    assert response.status_code == 400
    assert response.json() == {"error": "missing X-GitHub-Event or X-GitHub-Delivery header"}
    assert queue.stored == []


async def test_payload_missing_required_fields_is_400(
    client: httpx.AsyncClient, queue: FakeQueue
) -> None:
    payload = load("pull_request.opened.2")
    del payload["pull_request"]["head"]
    response = await post(client, "pull_request", payload)
    assert response.status_code == 400
    assert "pull_request payload" in response.json()["error"]
    assert queue.stored == []


async def test_redelivery_is_handled_once(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    payload = load("pull_request.synchronize.1")
    first = await post(client, "pull_request", payload, delivery="same")
    again = await post(client, "pull_request", payload, delivery="same")
    assert (first.status_code, first.json()) == (202, {"queued": 1})
    assert (again.status_code, again.json()) == (200, {"queued": 0, "duplicate": True})
    assert len(queue.stored) == 1
    assert queue.calls == 1  # the app remembered the delivery: the queue was not asked again


def test_recent_deliveries_forget_the_oldest() -> None:
    recent = RecentDeliveries(2)
    for delivery in ("a", "b", "a", "c"):  # "a" seen again: "b" is now the oldest
        recent.add(delivery)
    assert ("a" in recent, "b" in recent, "c" in recent) == (True, False, True)


async def test_redelivery_after_a_restart_is_caught_by_the_queue(queue: FakeQueue) -> None:
    payload = load("pull_request.synchronize.1")
    answers = []
    for _ in range(2):  # a new app each time: its in-memory memory of deliveries is empty
        app = create_app(SETTINGS, queue)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as c:
            answers.append(await post(c, "pull_request", payload, delivery="same"))
    assert [(a.status_code, a.json()) for a in answers] == [
        (202, {"queued": 1}),
        (200, {"queued": 0, "duplicate": True}),
    ]
    assert len(queue.stored) == 1
    assert queue.calls == 2


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("star", {"action": "created"}),
        ("pull_request", load("pull_request.closed.1")),
        ("check_suite", load("check_suite.completed.1")),
        ("installation", load("installation.created.1")),
        ("issue_comment", load("issue_comment.created.4")),  # on an issue
    ],
)
async def test_unknown_or_ignored_is_204(
    client: httpx.AsyncClient, queue: FakeQueue, event: str, payload: dict[str, Any]
) -> None:
    response = await post(client, event, payload)
    assert response.status_code == 204
    assert response.content == b""
    assert queue.stored == []


async def test_ping_is_200(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    response = await post(client, "ping", load("ping.1"))
    assert response.status_code == 200
    assert queue.stored == []


async def test_healthz_reports_an_unusable_private_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")  # SETTINGS' key is not a key
    assert response.status_code == 503
    assert response.json() == {"status": "error", "configured": True, "private_key": "unusable"}


async def test_healthz_with_a_usable_private_key() -> None:
    from bot.testing.fakegithub import FakeGitHub

    settings = Settings(app_id=1, private_key=FakeGitHub().private_key, webhook_secret=SECRET)
    app = create_app(settings, FakeQueue())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        response = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "configured": True, "private_key": "ok"}


async def test_setup_mode_starts_and_refuses_deliveries() -> None:
    queue = FakeQueue()
    app = create_app(Settings(), queue)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        health = await c.get("/healthz")
        response = await post(c, "pull_request", load("pull_request.opened.2"))
    assert health.json() == {"status": "ok", "configured": False, "private_key": "missing"}
    assert response.status_code == 503
    assert "WEBHOOK_SECRET" in response.json()["error"]
    assert queue.stored == []


def pr_comment(body: str, **comment: Any) -> dict[str, Any]:
    payload = copy.deepcopy(load("issue_comment.created.4"))
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    payload["comment"].update(body=body, **comment)
    return payload


async def test_recheck_command_is_queued(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    payload = pr_comment("/linkname recheck", author_association="MEMBER")
    response = await post(client, "issue_comment", payload, delivery="c-1")
    assert (response.status_code, response.json()) == (202, {"queued": 1})
    [(stored, dedup_id, coalesce_key)] = queue.stored
    assert parse_job(stored) == ReviewJob(
        repo=HELLO,
        pull_number=1,
        head_sha=None,
        reason="recheck",
        delivery_id="c-1",
        comment_id=payload["comment"]["id"],
        requested_by="Codertocat",
        author_association="MEMBER",
    )
    assert (dedup_id, coalesce_key) == ("c-1", "review:Codertocat/Hello-World#1")


async def test_help_command_is_queued(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    response = await post(client, "issue_comment", pr_comment("/linkname help"))
    assert response.status_code == 202
    [(stored, _, coalesce_key)] = queue.stored
    assert isinstance(parse_job(stored), CommandReplyJob)
    assert coalesce_key is None


@pytest.mark.parametrize(
    "payload",
    [
        pr_comment("/linkname recheck", user={"login": "ci[bot]", "type": "Bot"}),
        pr_comment("```\n/linkname recheck\n```"),
        pr_comment("> /linkname recheck"),
    ],
)
async def test_commands_that_run_nothing_are_204(
    client: httpx.AsyncClient, queue: FakeQueue, payload: dict[str, Any]
) -> None:
    response = await post(client, "issue_comment", payload)
    assert response.status_code == 204
    assert queue.stored == []


async def test_edited_command_is_204(client: httpx.AsyncClient, queue: FakeQueue) -> None:
    payload = pr_comment("/linkname recheck") | {"action": "edited"}
    response = await post(client, "issue_comment", payload)
    assert response.status_code == 204
    assert queue.stored == []


async def test_fork_check_suite_queues_review_without_pull_number(
    client: httpx.AsyncClient, queue: FakeQueue
) -> None:
    payload = load("check_suite.rerequested.1")
    payload["check_suite"]["pull_requests"] = []
    payload["check_suite"]["app"]["id"] = SETTINGS.app_id
    response = await post(client, "check_suite", payload)
    assert response.status_code == 202
    [(stored, _, coalesce_key)] = queue.stored
    job = parse_job(stored)
    assert isinstance(job, ReviewJob)
    assert (job.pull_number, job.head_sha) == (None, HEAD)
    assert coalesce_key == f"review:Codertocat/Hello-World#{HEAD}"


async def test_every_job_of_a_delivery_gets_its_own_dedup_id(
    client: httpx.AsyncClient, queue: FakeQueue
) -> None:
    payload = load("check_suite.rerequested.1")
    payload["check_suite"]["app"]["id"] = SETTINGS.app_id
    second = copy.deepcopy(payload["check_suite"]["pull_requests"][0]) | {"number": 7}
    payload["check_suite"]["pull_requests"].append(second)
    response = await post(client, "check_suite", payload, delivery="two")
    assert response.json() == {"queued": 2}
    assert [dedup for _, dedup, _ in queue.stored] == ["two", "two:1"]


@pytest.mark.parametrize(
    "queue", [FakeQueue(error=ConnectionError("down")), FakeQueue(delay=5)], ids=["error", "slow"]
)
async def test_queue_failure_is_503_and_a_redelivery_is_not_lost(queue: FakeQueue) -> None:
    app = create_app(SETTINGS, queue, enqueue_timeout=0.05)
    payload = load("pull_request.opened.2")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        failed = await post(c, "pull_request", payload, delivery="retry-me")
        queue.error, queue.delay = None, 0
        retried = await post(c, "pull_request", payload, delivery="retry-me")
    assert failed.status_code == 503
    assert failed.json() == {"error": "the queue is unavailable"}
    assert (retried.status_code, retried.json()) == (202, {"queued": 1})


async def test_check_suite_of_another_app_is_204(
    client: httpx.AsyncClient, queue: FakeQueue
) -> None:
    payload = load("check_suite.rerequested.1")
    assert payload["check_suite"]["app"]["id"] != SETTINGS.app_id
    response = await post(client, "check_suite", payload)
    assert response.status_code == 204
    assert queue.stored == []


async def test_startup_and_shutdown_hooks_run_in_order() -> None:
    calls: list[str] = []

    async def hook(name: str) -> None:
        calls.append(name)

    app = create_app(
        SETTINGS,
        FakeQueue(),
        on_startup=[lambda: hook("a"), lambda: hook("b")],
        on_shutdown=[lambda: hook("z")],
    )
    async with app.router.lifespan_context(app):
        assert calls == ["a", "b"]
    assert calls == ["a", "b", "z"]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    yield stream
    structlog.reset_defaults()


async def test_logs_are_json_lines_with_context_and_no_secrets(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    body = json.dumps(load("pull_request.opened.2")).encode()
    sent = headers("pull_request", body, delivery="log-1")
    await client.post(WEBHOOK_PATH, content=body, headers=sent)
    forged = headers("pull_request", body, delivery="log-2", secret="guess")
    await client.post(WEBHOOK_PATH, content=body, headers=forged)
    await post(client, "star", {"action": "created"}, delivery="log-3")

    text = json_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["delivery_id"] for line in lines] == ["log-1", "log-2", "log-3"]
    queued, refused, ignored = lines
    assert (
        queued
        | {
            "event": "webhook queued",
            "github_event": "pull_request",
            "action": "opened",
            "repository": "Codertocat/Hello-World",
            "pull_number": 2,
            "status": 202,
            "level": "info",
        }
        == queued
    )
    assert (refused["status"], refused["level"]) == (401, "warning")
    assert refused["github_event"] == "pull_request"
    assert (ignored["status"], ignored["reason"]) == (204, "event 'star' not handled")
    assert ignored["github_event"] == "star"
    for secret in (SECRET, sent["x-hub-signature-256"], forged["x-hub-signature-256"]):
        assert secret not in text
