"""Chaos beyond kill -9: a full disk, a Redis restart, GitHub's secondary rate limit.

* Full disk (SQLite): simulated with SQLite's own limit, ``PRAGMA max_page_count`` set just
  above the file's size, so inserts fail with SQLITE_FULL ("database or disk is full") exactly
  as on a full filesystem, without root or a tmpfs. Deliveries get 503, and every 202 stands
  for a stored job.
* Redis restart (``appendfsync always``): redis-server is SIGKILLed and restarted on the same
  port and directory while deliveries arrive. The App keeps its connection object and
  reconnects; deliveries during the outage get 503; every 202 is in the queue afterwards.
* Secondary rate limit: the fake GitHub answers every request 403 with ``retry-after`` and
  GitHub's secondary-rate-limit message for a while; the served App's reviews wait and then
  complete, once each. The default run uses 3 s; ``make hardening`` the issue's minute.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.queue.base import Queue
from bot.queue.sqlite import SQLiteQueue
from bot.settings import Settings
from bot.testing.fakegithub import serve
from bot.testing.redis_server import redis_process
from bot.webhook.app import WEBHOOK_PATH, create_app
from bot.webhook.signature import sign
from tests.test_e2e_review import GO_MOD, NEW_FILE, pull_request_event
from tests.test_hardening import BotProcess, completed_runs, post

SECRET = "chaos-secret"


def _delivery(number: int) -> tuple[bytes, dict[str, str], str]:
    guid = str(uuid.uuid4())
    body = json.dumps(
        {
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "state": "open",
                "head": {"sha": uuid.uuid4().hex + "abcdefgh", "ref": "f"},
                "base": {"sha": "b" * 40, "ref": "main"},
                "body": "x" * 2000,  # fills pages quickly
            },
            "repository": {
                "id": 1,
                "name": "w",
                "full_name": "acme/w",
                "owner": {"login": "acme", "type": "Organization"},
            },
            "installation": {"id": 1},
        }
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": guid,
        "x-hub-signature-256": sign(SECRET.encode(), body),
    }
    return body, headers, guid


async def _send_all(
    queue: Any, count: int, *, during: Any = None, first: int = 0
) -> dict[str, int]:
    """POST ``count`` deliveries for PRs ``first``… (distinct PRs: none coalesces with
    another), 10 at a time; ``during`` (a coroutine function) runs after the first third.
    Returns guid → status."""
    app = create_app(Settings(app_id=1, private_key="x", webhook_secret=SECRET), queue)
    statuses: dict[str, int] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:

        async def one(number: int) -> None:
            body, headers, guid = _delivery(number)
            response = await http.post(WEBHOOK_PATH, content=body, headers=headers)
            statuses[guid] = response.status_code

        for start in range(0, count, 10):
            if during is not None and start == (count // 3) // 10 * 10:
                await during()
            numbers = range(first + start, first + min(count, start + 10))
            await asyncio.gather(*(one(n) for n in numbers))
    return statuses


async def test_full_disk_answers_503_and_never_202_for_a_job_not_stored(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "q.db")
    try:
        assert await queue.enqueue({"warm": True}, dedup_id="warm")
        pages = await queue._run(lambda db: db.execute("PRAGMA page_count").fetchone()[0])
        await queue._run(lambda db: db.execute(f"PRAGMA max_page_count = {pages + 8}"))
        statuses = await _send_all(queue, 120)
    finally:
        await queue.close()
    accepted = {guid for guid, status in statuses.items() if status == 202}
    assert set(statuses.values()) <= {202, 503}
    assert 503 in statuses.values(), "the limit was never reached"
    assert accepted, "nothing fitted before the limit"
    with sqlite3.connect(tmp_path / "q.db") as db:
        stored = {
            json.loads(payload)["delivery_id"]
            for (payload,) in db.execute("SELECT payload FROM jobs")
            if "delivery_id" in json.loads(payload)
        }
    assert accepted == stored


@pytest.mark.redis
async def test_redis_restart_reconnects_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    from bot.queue.redis import RedisQueue

    try:
        server_cm = redis_process(tmp_path, appendfsync="always")
        server = server_cm.__enter__()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    name = f"chaos-{uuid.uuid4().hex[:8]}"
    queue: Queue = RedisQueue(server.url, name=name)
    try:

        async def restart() -> None:
            server.kill()
            await asyncio.sleep(0.2)  # deliveries meet a dead server first
            await asyncio.to_thread(server.start)

        down_first = await _send_all(queue, 30, during=lambda: asyncio.to_thread(server.kill))
        await asyncio.to_thread(server.start)
        statuses = down_first | await _send_all(queue, 60, during=restart, first=1000)
        accepted = {guid for guid, status in statuses.items() if status == 202}
        assert 503 in statuses.values(), "no delivery met the outage"
        assert set(statuses.values()) <= {202, 503}
        # The App reconnected: the last deliveries (after the restart) were accepted.
        assert len(accepted) > 30
        await asyncio.to_thread(server.restart)  # and the accepted ones survive another crash
        leased: set[str] = set()
        while (job := await queue.lease(lease_seconds=60)) is not None:
            leased.add(str(job.payload["delivery_id"]))
            await queue.complete(job)
        assert accepted <= leased
    finally:
        await queue.close()
        server_cm.__exit__(None, None, None)


SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you"
    " try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


def rate_limited_window(seconds: float, tmp_path: Path) -> None:
    with serve() as gh:
        bot = BotProcess(gh, f"sqlite:///{tmp_path}/q.db", tmp_path)
        repo = gh.add_repo("acme/limited", files={"go.mod": GO_MOD})
        pulls = [gh.add_pull(repo, n, {f"p{n}/x.go": NEW_FILE}) for n in range(1, 4)]
        bot.start()
        try:
            retry_after = str(max(1, int(seconds)))
            gh.faults.add(
                "*",
                r"^/(repos|graphql)",
                403,
                headers={"retry-after": retry_after},
                body=SECONDARY,
                seconds=seconds,
            )
            started = time.monotonic()
            for pull in pulls:
                body = json.dumps(pull_request_event(repo, pull, "opened")).encode()
                assert post(bot.url, "pull_request", body, str(uuid.uuid4())).status_code == 202
            deadline = started + seconds + 120
            while time.monotonic() < deadline:
                if all(completed_runs(repo, p) for p in pulls):
                    break
                time.sleep(0.2)
            for pull in pulls:
                runs = completed_runs(repo, pull)
                assert len(runs) == 1, f"PR {pull.number}: {len(runs)} completed runs"
                assert runs[0]["conclusion"] != "failure" or "gave up" not in json.dumps(runs[0])
            assert time.monotonic() - started >= seconds  # they did wait
            limited = [r for r in gh.requests if r.status == 403]
            assert limited, "the fault never fired"
        finally:
            bot.stop()


def test_secondary_rate_limit_reviews_wait_then_complete(tmp_path: Path) -> None:
    rate_limited_window(3.0, tmp_path)


@pytest.mark.slow
def test_secondary_rate_limit_for_a_minute(tmp_path: Path) -> None:
    rate_limited_window(float(os.environ.get("RATE_LIMIT_SECONDS", "60")), tmp_path)
