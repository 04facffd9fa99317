"""No secret in any log line: the end-to-end flow's logs, captured whole, are grepped."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
import structlog

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy
from bot.queue import Queue
from bot.service.metrics import Metrics
from bot.testing.fakegithub import FakeGitHub, Repo
from bot.webhook.app import WEBHOOK_PATH
from bot.webhook.logs import REDACTED, configure_logging
from tests.test_e2e_review import (
    GO_MOD,
    NEW_FILE,
    SECRET,
    Bot,
    comment_event,
    pull_request_event,
)


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo("acme/widgets", files={"go.mod": GO_MOD, "a/a.go": "package a\n"})


@pytest.fixture
def logs(gh: FakeGitHub) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", stream, secrets=[gh.private_key, SECRET])
    yield stream
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "linkname-bot-json"]:
        root.removeHandler(handler)


def key_body(pem: str) -> list[str]:
    """The base64 lines of a PEM key (and 20-character pieces of them)."""
    lines = [line for line in pem.splitlines() if line and "-----" not in line]
    return lines + [line[i : i + 20] for line in lines for i in range(0, len(line) - 19, 20)]


def assert_no_secrets(text: str, gh: FakeGitHub) -> None:
    assert text, "nothing was logged"
    for piece in key_body(gh.private_key):
        assert piece not in text
    assert "PRIVATE KEY" not in text
    assert SECRET not in text
    assert re.search(r"ghs_", text) is None
    assert re.search(r"eyJ", text) is None
    for token in gh.tokens.minted:
        assert token.value not in text


async def test_end_to_end_flow_logs_no_secrets(
    gh: FakeGitHub, repo: Repo, queue: Queue, logs: io.StringIO
) -> None:
    retry = RetryPolicy(max_attempts=2, max_wait=1.0, base_delay=0.01, max_delay=0.02)
    metrics = Metrics(queue)
    options = metrics.client_options(retry=retry, write_interval=0.0, timeout=10.0)
    github = GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)
    bot = Bot(gh, queue, github)
    bot.worker.handler = metrics.instrument(bot.worker.handler)

    # A review, a refused slash command, and a failing review given up on (after a failed
    # token request).
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    assert (await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))).is_success
    assert await bot.worker.run_once()
    repo.issue_comments[5] = {"id": 5, "body": "/linkname recheck"}
    assert (await bot.deliver("issue_comment", comment_event(repo, pull, 5, "mallory"))).is_success
    assert await bot.worker.run_once()
    other = gh.add_pull(repo, 8, {"a/c.go": NEW_FILE})
    gh.faults.add("GET", r"/pulls/8/files$", 500, count=10)
    gh.faults.add("POST", r"/access_tokens$", 500, count=1)
    assert (await bot.deliver("pull_request", pull_request_event(repo, other, "opened"))).is_success
    assert await bot.worker.run_once()
    await github.aclose()

    text = logs.getvalue()
    assert gh.tokens.minted, "the flow never authenticated"
    events = [json.loads(line) for line in text.splitlines()]  # one JSON event per line
    assert {"review done", "command refused", "webhook queued"} <= {e["event"] for e in events}
    assert any(e.get("level") == "warning" for e in events)  # the failing job was logged
    assert_no_secrets(text, gh)


async def test_forged_and_malformed_deliveries_log_no_secrets(
    gh: FakeGitHub, repo: Repo, queue: Queue, logs: io.StringIO
) -> None:
    github = GitHubApp(
        AppCredentials(gh.app_id, gh.private_key, gh.url), ClientOptions(write_interval=0.0)
    )
    bot = Bot(gh, queue, github)
    transport = httpx.ASGITransport(app=bot.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        for signature in ("sha256=" + "0" * 64, "sha1=abc", "", "sha256=zz"):
            response = await http.post(
                WEBHOOK_PATH,
                content=b'{"secret": "' + SECRET.encode() + b'"}',
                headers={
                    "content-type": "application/json",
                    "x-github-event": "pull_request",
                    "x-github-delivery": "d",
                    "x-hub-signature-256": signature,
                },
            )
            assert response.status_code == 401
            assert SECRET not in response.text
    assert_no_secrets(logs.getvalue(), gh)


def test_redaction_catches_what_slips_through(gh: FakeGitHub, logs: io.StringIO) -> None:
    """Defence in depth: a secret passed to a logger by mistake is redacted, both paths."""
    token = "ghs_" + "A1b2" * 9
    jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJl"
    body_line = key_body(gh.private_key)[1]
    log = structlog.get_logger("test")
    log.info("oops", token=token, headers={"authorization": f"Bearer {jwt}"}, nested=[SECRET])
    log.warning(f"failed with key {gh.private_key}")
    log.error("fragment", detail=f"...{body_line}...")
    logging.getLogger("bot.queue.worker").warning("job failed: token %s secret %s", token, SECRET)
    try:
        raise RuntimeError(f"GitHub said no to {token} / {jwt}")
    except RuntimeError:
        log.exception("with traceback")
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")

    text = logs.getvalue()
    assert len(text.splitlines()) == 6
    assert text.count(REDACTED) >= 9
    assert_no_secrets(text, gh)
