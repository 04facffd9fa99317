"""Delivery recovery against the fake GitHub: group by guid, skip OK and seen, bounded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy
from bot.queue import Queue, open_queue
from bot.service.recovery import Recovery
from bot.testing.fakegithub import FakeGitHub
from bot.testing.redis_server import redis_server

ATTEMPTS = "/attempts"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def github(gh: FakeGitHub) -> AsyncIterator[GitHubApp]:
    retry = RetryPolicy(max_attempts=1, max_wait=0.1, base_delay=0.01, max_delay=0.01)
    app = GitHubApp(
        AppCredentials(gh.app_id, gh.private_key, gh.url),
        ClientOptions(retry=retry, write_interval=0.0, timeout=5.0),
    )
    yield app
    await app.aclose()


def redelivered(gh: FakeGitHub) -> list[str]:
    """Guids of the deliveries the App asked GitHub to redeliver, in order."""
    by_id = {d.id: d.guid for d in gh.deliveries}
    return [
        by_id[int(r.path.split("/")[-2])]
        for r in gh.requests
        if r.method == "POST" and r.path.endswith(ATTEMPTS)
    ]


async def test_redelivers_failed_guids_not_seen_by_the_queue(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    now = datetime.now(UTC)
    at = iso(now - timedelta(minutes=5))
    gh.add_delivery("failed", "pull_request", "opened", 502, at)
    gh.add_delivery("failed", "pull_request", "opened", 500, at)  # two attempts, one guid
    gh.add_delivery("recovered", "pull_request", "opened", 500, at)
    gh.add_delivery("recovered", "pull_request", "synchronize", 202, at)
    gh.add_delivery("ok", "check_run", "rerequested", 202, at)
    gh.add_delivery("ignored", "pull_request", "closed", 204, at)
    gh.add_delivery("stored", "pull_request", "opened", 503, at)  # the answer got lost
    gh.add_delivery("old", "pull_request", "opened", 500, iso(now - timedelta(days=2)))
    await queue.enqueue({"kind": "review"}, dedup_id="stored")

    recovery = Recovery(github.gateway(), queue, lookback=timedelta(hours=1))
    result = await recovery.run_once()

    assert redelivered(gh) == ["failed"]  # once, although it failed twice
    assert result.redelivered == ["failed"]
    assert result.skipped_seen == ["stored"]
    assert result.failed_guids == 2
    assert result.listed == 7  # "old" is outside the window

    # The redelivery succeeded (the fake answers it with 200): the next run leaves it alone.
    second = await recovery.run_once()
    assert second.redelivered == []
    assert redelivered(gh) == ["failed"]


async def test_bounded_per_run_and_the_rest_next_time(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=30)
    guids = [f"g{i}" for i in range(7)]
    for i, guid in enumerate(guids):  # oldest first
        gh.add_delivery(guid, "pull_request", "opened", 500, iso(start + timedelta(minutes=i)))

    recovery = Recovery(github.gateway(), queue, lookback=timedelta(hours=1), max_per_run=3)
    first = await recovery.run_once()
    assert first.redelivered == guids[:3]  # oldest failures first
    assert first.left_over == 4
    second = await recovery.run_once()
    third = await recovery.run_once()
    assert second.redelivered == guids[3:6]
    assert third.redelivered == guids[6:]
    assert sorted(redelivered(gh)) == guids  # each exactly once


async def test_a_guid_that_keeps_failing_is_given_up(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    gh.redelivery_status = 503  # every redelivery fails too
    gh.add_delivery("doomed", "pull_request", "opened", 500, iso(datetime.now(UTC)))
    recovery = Recovery(github.gateway(), queue, max_attempts=2)
    for _ in range(4):
        await recovery.run_once()
    assert redelivered(gh).count("doomed") == 2


async def test_window_moves_to_the_last_check(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    clock = [datetime.now(UTC) + timedelta(minutes=10)]
    recovery = Recovery(github.gateway(), queue, overlap=timedelta(minutes=1), now=lambda: clock[0])
    gh.add_delivery("before", "pull_request", "opened", 200, iso(datetime.now(UTC)))
    await recovery.run_once()
    assert recovery.since == clock[0] - timedelta(minutes=1)
    gh.add_delivery("early", "pull_request", "opened", 500, iso(datetime.now(UTC)))
    result = await recovery.run_once()
    assert result.listed == 0  # delivered before the last check's window


async def test_runs_at_start_and_on_a_timer(
    gh: FakeGitHub, github: GitHubApp, queue: Queue
) -> None:
    recovery = Recovery(github.gateway(), queue, interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(recovery.run(stop))
    for _ in range(200):
        if gh.calls("GET /app/hook/deliveries") >= 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert gh.calls("GET /app/hook/deliveries") >= 3


async def test_github_down_keeps_running(gh: FakeGitHub, github: GitHubApp, queue: Queue) -> None:
    gh.faults.add("GET", r"/app/hook/deliveries", 502, count=1)
    gh.add_delivery("x", "pull_request", "opened", 500, iso(datetime.now(UTC)))
    recovery = Recovery(github.gateway(), queue, interval=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(recovery.run(stop))
    for _ in range(200):
        if redelivered(gh):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert redelivered(gh) == ["x"]


@pytest.mark.parametrize("backend", ["memory", "sqlite", "redis"])
async def test_queue_seen_every_backend(backend: str, tmp_path: Path) -> None:
    if backend == "redis":
        try:
            ctx = redis_server(tmp_path)
            url = ctx.__enter__()
        except FileNotFoundError:
            pytest.skip("redis-server is not installed")
    else:
        ctx = None
        url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path}/q.db"
    queue = open_queue(url)
    try:
        guid = str(uuid.uuid4())
        assert not await queue.seen(guid)
        assert await queue.enqueue({"kind": "review"}, dedup_id=guid)
        assert await queue.seen(guid)
        job = await queue.lease(lease_seconds=30)
        assert job is not None and await queue.complete(job)
        assert await queue.seen(guid)  # remembered after the job is gone
    finally:
        await queue.close()
        if ctx is not None:
            ctx.__exit__(None, None, None)
