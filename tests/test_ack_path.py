"""The acknowledgement path: group commit in SQLite, its write lock, shedding with 503 under
back-pressure."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from bot.queue.sqlite import SQLiteQueue
from bot.settings import Settings
from bot.webhook.app import WEBHOOK_PATH, create_app
from bot.webhook.signature import sign

SECRET = "ack-secret"


async def test_concurrent_enqueues_share_transactions(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "q.db")
    try:
        assert await queue.enqueue({"n": -1}, dedup_id="warm")
        groups = queue.groups
        results = await asyncio.gather(
            *(queue.enqueue({"n": n}, dedup_id=f"d{n}") for n in range(50))
        )
        assert results == [True] * 50
        assert queue.groups - groups < 50  # grouped: fewer commits than jobs
        assert await queue.depth() == 51
    finally:
        await queue.close()


async def test_duplicates_within_one_group_store_once(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "q.db")
    try:
        results = await asyncio.gather(
            *(queue.enqueue({"n": n}, dedup_id="same") for n in range(5))
        )
        assert sorted(results) == [False, False, False, False, True]
        assert await queue.depth() == 1
    finally:
        await queue.close()


class BlockedQueue:
    """A queue whose enqueues wait until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.stored: list[str] = []

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        await self.release.wait()
        self.stored.append(dedup_id)
        return True


def _delivery(number: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "state": "open",
                "head": {"sha": "a" * 40, "ref": "f"},
                "base": {"sha": "b" * 40, "ref": "main"},
            },
            "repository": {
                "id": 1,
                "name": "x",
                "full_name": "acme/x",
                "owner": {"login": "acme", "type": "Organization"},
            },
            "installation": {"id": 1},
        }
    ).encode()
    return body, {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": sign(SECRET.encode(), body),
    }


async def test_back_pressure_sheds_with_503_at_once() -> None:
    queue = BlockedQueue()
    settings = Settings(app_id=1, private_key="x", webhook_secret=SECRET, webhook_max_pending=2)
    app = create_app(settings, queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:

        async def post(number: int) -> httpx.Response:
            body, headers = _delivery(number)
            return await http.post(WEBHOOK_PATH, content=body, headers=headers)

        waiting = [asyncio.create_task(post(n)) for n in (1, 2)]
        await asyncio.sleep(0.1)  # both are waiting for the queue now
        shed = await asyncio.wait_for(post(3), 2)  # answered without waiting
        assert shed.status_code == 503
        assert shed.headers["retry-after"]
        queue.release.set()
        assert [r.status_code for r in await asyncio.gather(*waiting)] == [202, 202]
        assert len(queue.stored) == 2
        assert (await post(4)).status_code == 202  # the pressure is gone


# -- the SQLite write lock and a closed queue -----------------------------------------------


async def test_enqueue_waits_for_another_writer_then_stores(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "q.db")
    try:
        assert await queue.enqueue({"n": 0}, dedup_id="warm")
        other = sqlite3.connect(tmp_path / "q.db", isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process's transaction holds the write lock
        stored = asyncio.create_task(queue.enqueue({"n": 1}, dedup_id="d1"))
        await asyncio.sleep(0.2)
        assert not stored.done()  # waiting for the lock, not failing
        other.execute("COMMIT")
        assert await asyncio.wait_for(stored, 5)
        assert await queue.depth() == 2
        other.close()
    finally:
        await queue.close()


async def test_enqueue_on_a_closed_queue_raises(tmp_path: Path) -> None:
    queue = SQLiteQueue(tmp_path / "q.db")
    assert await queue.enqueue({"n": 0}, dedup_id="d0")
    await queue.close()
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(queue.enqueue({"n": 1}, dedup_id="d1"), 5)
