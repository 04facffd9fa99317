"""One suite for every queue backend: memory, SQLite (a real file), Redis (a real server)."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.queue import Queue, open_queue
from bot.queue.base import LEASE_EXPIRED, WORKER_DIED
from bot.queue.memory import MemoryQueue
from bot.queue.sqlite import SQLiteQueue
from bot.queue.worker import TransientError, Worker, superseded
from bot.testing.redis_server import redis_server

Opener = Callable[[], Queue]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with redis_server(tmp_path_factory.mktemp("redis")) as url:
            yield url
    except FileNotFoundError as error:
        pytest.skip(str(error))


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    yield request.param


@pytest.fixture
async def opener(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Opener]:
    """Opens queue instances on one store (a new connection each call; memory: the same one)."""
    opened: list[Queue] = []
    memory = MemoryQueue()
    name = f"test-{uuid.uuid4().hex[:8]}"
    url = request.getfixturevalue("redis_url") if backend == "redis" else ""

    def open_one() -> Queue:
        queue: Queue
        if backend == "memory":
            return memory
        if backend == "sqlite":
            queue = SQLiteQueue(tmp_path / "queue.db")
        else:
            from bot.queue.redis import RedisQueue

            queue = RedisQueue(url, name=name)
        opened.append(queue)
        return queue

    yield open_one
    for queue in opened:
        await queue.close()


@pytest.fixture
async def queue(opener: Opener) -> Queue:
    return opener()


async def eventually(
    probe: Callable[[], Awaitable[object]], timeout: float = 5.0, step: float = 0.05
) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(step)


async def test_enqueue_lease_complete(queue: Queue) -> None:
    assert await queue.oldest_age() is None
    assert await queue.enqueue({"n": 1}, dedup_id="d1")
    assert await queue.depth() == 1
    age = await queue.oldest_age()
    assert age is not None and 0 <= age < 5
    job = await queue.lease(lease_seconds=30)
    assert job is not None
    assert (job.payload, job.attempts, job.last_error) == ({"n": 1}, 1, None)
    assert await queue.depth() == 0
    assert await queue.lease(lease_seconds=30) is None
    assert await queue.complete(job)
    assert await queue.lease(lease_seconds=30) is None
    assert await queue.depth() == 0


async def test_oldest_due_first(queue: Queue) -> None:
    for n in range(3):
        await queue.enqueue({"n": n}, dedup_id=f"d{n}")
    for n in range(3):
        job = await queue.lease(lease_seconds=30)
        assert job is not None and job.payload == {"n": n}


async def test_dedup_across_instances(opener: Opener) -> None:
    first = opener()
    assert await first.enqueue({"n": 1}, dedup_id="delivery-1")
    assert not await first.enqueue({"n": 2}, dedup_id="delivery-1")
    job = await first.lease(lease_seconds=30)
    assert job is not None and await first.complete(job)
    await first.close() if not isinstance(first, MemoryQueue) else None
    again = opener()  # re-opens the SQLite file, a second client of the Redis server
    assert not await again.enqueue({"n": 3}, dedup_id="delivery-1")
    assert await again.lease(lease_seconds=30) is None
    assert await again.enqueue({"n": 4}, dedup_id="delivery-2")


async def test_coalesce_replaces_waiting(queue: Queue) -> None:
    assert await queue.enqueue({"sha": "a"}, dedup_id="d1", coalesce_key="pr1")
    assert await queue.enqueue({"other": 1}, dedup_id="d2", coalesce_key="pr2")
    assert await queue.enqueue({"sha": "b"}, dedup_id="d3", coalesce_key="pr1")
    assert await queue.depth() == 2
    first = await queue.lease(lease_seconds=30)
    second = await queue.lease(lease_seconds=30)
    assert first is not None and second is not None
    assert first.payload == {"sha": "b"}  # the newer payload, in the older one's place
    assert second.payload == {"other": 1}
    assert not await queue.is_superseded(first)
    assert await queue.lease(lease_seconds=30) is None


async def test_newer_waits_while_older_runs(queue: Queue) -> None:
    await queue.enqueue({"sha": "a"}, dedup_id="d1", coalesce_key="pr1")
    old = await queue.lease(lease_seconds=30)
    assert old is not None and not await queue.is_superseded(old)
    await queue.enqueue({"sha": "b"}, dedup_id="d2", coalesce_key="pr1")
    await queue.enqueue({"sha": "c"}, dedup_id="d3", coalesce_key="pr1")  # replaces b
    await queue.enqueue({"n": 1}, dedup_id="d4")
    assert await queue.is_superseded(old)
    other = await queue.lease(lease_seconds=30)  # pr1 waits, the unrelated job does not
    assert other is not None and other.payload == {"n": 1}
    assert await queue.lease(lease_seconds=30) is None
    assert await queue.complete(old)
    new = await eventually(lambda: queue.lease(lease_seconds=30))
    assert new is not None and new.payload == {"sha": "c"}  # type: ignore[attr-defined]
    assert not await queue.is_superseded(new)  # type: ignore[arg-type]
    assert await queue.lease(lease_seconds=30) is None


async def test_expired_superseded_job_is_dropped(queue: Queue) -> None:
    await queue.enqueue({"sha": "a"}, dedup_id="d1", coalesce_key="pr1")
    old = await queue.lease(lease_seconds=0.3)
    assert old is not None
    await queue.enqueue({"sha": "b"}, dedup_id="d2", coalesce_key="pr1")
    await asyncio.sleep(0.4)  # the old worker died
    new = await eventually(lambda: queue.lease(lease_seconds=30))
    assert new is not None and new.payload == {"sha": "b"}  # type: ignore[attr-defined]
    deadline = time.monotonic() + 1.2  # long enough for the Redis reaper to look at it
    while time.monotonic() < deadline:
        assert await queue.lease(lease_seconds=30) is None  # the old one is never run again
        await asyncio.sleep(0.1)
    assert not await queue.complete(old)
    assert await queue.complete(new)  # type: ignore[arg-type]


async def test_lease_expiry_leases_again(opener: Opener) -> None:
    a, b = opener(), opener()
    await a.enqueue({"n": 1}, dedup_id="d1")
    first = await a.lease(lease_seconds=0.3)
    assert first is not None
    assert await b.lease(lease_seconds=0.3) is None
    await asyncio.sleep(0.4)
    second = await eventually(lambda: b.lease(lease_seconds=30))
    assert second is not None
    assert second.id == first.id  # type: ignore[attr-defined]
    assert second.attempts == 2  # type: ignore[attr-defined]
    assert second.last_error == LEASE_EXPIRED  # type: ignore[attr-defined]
    # The first holder is fenced off: it can neither renew nor finish the job.
    assert not await a.renew(first, lease_seconds=30)
    assert not await a.complete(first)
    assert not await a.fail(first, "late", retry_in=0)
    assert await b.complete(second)  # type: ignore[arg-type]


async def test_renew_keeps_the_lease(opener: Opener) -> None:
    a, b = opener(), opener()
    await a.enqueue({"n": 1}, dedup_id="d1")
    job = await a.lease(lease_seconds=0.4)
    assert job is not None
    for _ in range(4):
        await asyncio.sleep(0.2)
        assert await a.renew(job, lease_seconds=0.4)
        assert await b.lease(lease_seconds=0.4) is None
    assert await a.complete(job)


async def test_fail_retries_after_the_delay(queue: Queue) -> None:
    await queue.enqueue({"n": 1}, dedup_id="d1")
    job = await queue.lease(lease_seconds=30)
    assert job is not None
    failed_at = time.monotonic()
    assert await queue.fail(job, "boom", retry_in=0.8)
    assert await queue.depth() == 1
    assert await queue.lease(lease_seconds=30) is None
    again = await eventually(lambda: queue.lease(lease_seconds=30))
    assert time.monotonic() - failed_at >= 0.8
    assert again is not None
    assert (again.attempts, again.last_error) == (2, "boom")  # type: ignore[attr-defined]


async def test_fail_without_retry_dead_letters(queue: Queue) -> None:
    await queue.enqueue({"n": 1}, dedup_id="d1")
    job = await queue.lease(lease_seconds=30)
    assert job is not None
    assert await queue.fail(job, "no such repository", retry_in=None)
    assert await queue.lease(lease_seconds=30) is None
    assert await queue.depth() == 0
    [dead] = await queue.dead_letters()
    assert (dead.payload, dead.attempts, dead.error) == ({"n": 1}, 1, "no such repository")


async def test_lease_prefers_the_least_busy_fair_key(queue: Queue) -> None:
    for n, key in enumerate(["a", "a", "a", "b", "b", None]):
        await queue.enqueue({"n": n}, dedup_id=f"d{n}", fair_key=key)

    async def lease(**busy: int) -> tuple[object, str | None]:
        job = await queue.lease(lease_seconds=30, busy=busy)
        assert job is not None
        return job.payload["n"], job.fair_key

    assert await lease() == (0, "a")
    assert await lease(a=1) == (3, "b")
    assert await lease(a=1, b=1) == (5, None)  # no key: as idle as can be
    assert await lease(a=2, b=1) == (4, "b")
    assert await lease(a=2, b=2) == (1, "a")  # all equally busy: the oldest


async def test_lease_finds_an_idle_key_behind_a_long_burst(queue: Queue) -> None:
    for n in range(250):  # more than one chunk of the Redis backend's scan
        await queue.enqueue({"n": n}, dedup_id=f"a{n}", fair_key="a")
    await queue.enqueue({"n": "b"}, dedup_id="b", fair_key="b")
    job = await queue.lease(lease_seconds=30, busy={"a": 1}, limit=3)
    assert job is not None and job.payload == {"n": "b"}


async def test_lease_hands_out_no_job_of_a_key_at_its_limit(queue: Queue) -> None:
    for n, key in enumerate(["a", "a", "b"]):
        await queue.enqueue({"n": n}, dedup_id=f"d{n}", fair_key=key)
    assert await queue.lease(lease_seconds=30, busy={"a": 2, "b": 2}, limit=2) is None
    job = await queue.lease(lease_seconds=30, busy={"a": 2, "b": 1}, limit=2)
    assert job is not None and job.fair_key == "b"
    assert await queue.lease(lease_seconds=30, busy={"a": 2, "b": 2}, limit=2) is None
    job = await queue.lease(lease_seconds=30, busy={"a": 1, "b": 2}, limit=2)
    assert job is not None and job.payload == {"n": 0}


async def test_one_keys_burst_leaves_slots_for_the_others(queue: Queue) -> None:
    """All of installation 0's jobs were queued first; with per_key=1 a second slot waits for
    installation 1's job instead of taking another of installation 0's."""
    for n in range(3):
        await queue.enqueue({"key": "installation:0"}, dedup_id=f"a{n}", fair_key="installation:0")
    started: list[object] = []
    stop = asyncio.Event()
    gate = asyncio.Event()

    async def handle(payload: dict[str, object]) -> None:
        started.append(payload["key"])
        if len(started) == 1:
            await queue.enqueue({"key": "installation:1"}, dedup_id="b", fair_key="installation:1")
            await asyncio.wait_for(gate.wait(), 5)
        elif len(started) == 2:
            gate.set()
        if len(started) == 4:
            stop.set()

    async def give_up(payload: dict[str, object], error: str) -> None:
        raise AssertionError(error)

    worker = Worker(
        queue,
        handle,
        lease_seconds=30,
        on_give_up=give_up,
        poll_interval=0.01,
        concurrency=3,
        per_key=1,
    )
    await asyncio.wait_for(worker.run(stop), 30)
    assert started[:2] == ["installation:0", "installation:1"]


async def test_worker_slots_spread_over_fair_keys(queue: Queue) -> None:
    """Jobs queued installation by installation: the slots start one of each first."""
    for n in range(6):
        key = f"installation:{n // 3}"
        await queue.enqueue({"n": n, "key": key}, dedup_id=f"d{n}", fair_key=key)
    started: list[object] = []
    both = asyncio.Event()
    stop = asyncio.Event()

    async def handle(payload: dict[str, object]) -> None:
        started.append(payload["key"])
        if len(started) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)
        if len(started) == 6:
            stop.set()

    async def give_up(payload: dict[str, object], error: str) -> None:
        raise AssertionError(error)

    worker = Worker(
        queue, handle, lease_seconds=30, on_give_up=give_up, poll_interval=0.01, concurrency=2
    )
    await asyncio.wait_for(worker.run(stop), 30)
    assert sorted(started[:2]) == ["installation:0", "installation:1"]
    assert sorted(started) == ["installation:0"] * 3 + ["installation:1"] * 3


async def test_concurrent_workers_process_each_job_once(opener: Opener) -> None:
    total = 200
    producer = opener()
    for n in range(total):
        assert await producer.enqueue({"n": n}, dedup_id=f"d{n}")
    seen: collections.Counter[int] = collections.Counter()
    running: set[int] = set()
    stop = asyncio.Event()

    async def handle(payload: dict[str, object]) -> None:
        n = payload["n"]
        assert isinstance(n, int) and n not in running
        running.add(n)
        await asyncio.sleep(0.001)
        running.discard(n)
        seen[n] += 1
        if sum(seen.values()) >= total:
            stop.set()

    async def give_up(payload: dict[str, object], error: str) -> None:
        raise AssertionError(error)

    workers = [
        Worker(opener(), handle, lease_seconds=30, on_give_up=give_up, poll_interval=0.01)
        for _ in range(4)
    ]
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(w.run(stop) for w in workers)), 30)
    print(f"{total} jobs, 4 workers: {time.monotonic() - started:.2f}s")
    assert seen == collections.Counter(range(total))
    assert await producer.depth() == 0


async def test_worker_gives_up_after_max_attempts(queue: Queue) -> None:
    calls: list[object] = []
    given_up: list[tuple[dict[str, object], str]] = []

    async def handle(payload: dict[str, object]) -> None:
        calls.append(payload)
        raise TransientError(f"GitHub said 502 ({len(calls)})")

    async def give_up(payload: dict[str, object], error: str) -> None:
        given_up.append((payload, error))

    worker = Worker(queue, handle, max_attempts=3, backoff=lambda _: 0.0, on_give_up=give_up)
    await queue.enqueue({"n": 1}, dedup_id="d1")
    for _ in range(3):
        assert await eventually(worker.run_once)
    assert not await worker.run_once()
    assert len(calls) == 3
    assert given_up == [({"n": 1}, "TransientError: GitHub said 502 (3)")]
    [dead] = await queue.dead_letters()
    assert (dead.attempts, dead.error) == (3, "TransientError: GitHub said 502 (3)")


async def test_worker_gives_up_on_a_job_whose_workers_keep_dying(queue: Queue) -> None:
    given_up: list[str] = []

    async def give_up(payload: dict[str, object], error: str) -> None:
        given_up.append(error)

    async def handle(payload: dict[str, object]) -> None:
        raise AssertionError("must not run")

    await queue.enqueue({"n": 1}, dedup_id="d1")
    for _ in range(2):
        assert await queue.lease(lease_seconds=0.2) is not None or await eventually(
            lambda: queue.lease(lease_seconds=0.2)
        )
        await asyncio.sleep(0.3)
    worker = Worker(queue, handle, max_attempts=2, lease_seconds=5, on_give_up=give_up)
    assert await eventually(worker.run_once)
    assert given_up == [LEASE_EXPIRED]


async def test_worker_heartbeat_keeps_a_long_job(opener: Opener) -> None:
    queue, other = opener(), opener()
    await queue.enqueue({"n": 1}, dedup_id="d1")
    stolen: list[object] = []

    async def handle(payload: dict[str, object]) -> None:
        for _ in range(5):  # 1 s, more than three leases
            await asyncio.sleep(0.2)
            stolen.append(await other.lease(lease_seconds=0.3))

    async def give_up(payload: dict[str, object], error: str) -> None:
        raise AssertionError(error)

    worker = Worker(queue, handle, lease_seconds=0.3, on_give_up=give_up)
    assert await worker.run_once()
    assert stolen == [None] * 5
    assert await queue.depth() == 0 and await other.lease(lease_seconds=1) is None


async def test_worker_tells_a_handler_it_was_superseded(queue: Queue) -> None:
    verdicts: list[bool] = []

    async def handle(payload: dict[str, object]) -> None:
        verdicts.append(await superseded())
        if payload["sha"] == "a":
            await queue.enqueue({"sha": "b"}, dedup_id="d2", coalesce_key="pr1")
            verdicts.append(await superseded())

    async def give_up(payload: dict[str, object], error: str) -> None:
        raise AssertionError(error)

    worker = Worker(queue, handle, on_give_up=give_up)
    await queue.enqueue({"sha": "a"}, dedup_id="d1", coalesce_key="pr1")
    assert await worker.run_once()
    assert await eventually(worker.run_once)
    assert verdicts == [False, True, False]


CHILD = """
import asyncio, sys, time
from bot.queue.sqlite import SQLiteQueue

async def main() -> None:
    kind, where, name, then = sys.argv[1:]
    if kind == "sqlite":
        queue = SQLiteQueue(where)
    else:
        from bot.queue.redis import RedisQueue
        queue = RedisQueue(where, name=name)
    assert await queue.enqueue({"survives": True}, dedup_id="delivery-kill")
    if then == "lease":
        assert await queue.lease(lease_seconds=0.5)
    if then in ("lease-long", "alive"):  # a lease that outlives the test
        assert await queue.lease(lease_seconds=600)
    print("ready", flush=True)
    time.sleep(60)  # hang, holding everything open

asyncio.run(main())
"""


@pytest.mark.parametrize("then", ["enqueue", "lease"])
async def test_job_survives_sigkill(
    backend: str, then: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A child process enqueues (and leases) a job, then is killed with SIGKILL."""
    if backend == "memory":
        pytest.skip("the memory queue is not durable")
    name = f"kill-{uuid.uuid4().hex[:8]}"
    sqlite = backend == "sqlite"
    where = str(tmp_path / "queue.db") if sqlite else request.getfixturevalue("redis_url")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, backend, where, name, then],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 20)
        assert line == b"ready\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    queue: Queue
    if sqlite:
        queue = SQLiteQueue(where)
    else:
        from bot.queue.redis import RedisQueue

        queue = RedisQueue(where, name=name)
    try:
        job = await eventually(lambda: queue.lease(lease_seconds=30))
        assert job is not None and job.payload == {"survives": True}  # type: ignore[attr-defined]
        assert job.attempts == (1 if then == "enqueue" else 2)  # type: ignore[attr-defined]
        assert not await queue.enqueue({}, dedup_id="delivery-kill")
    finally:
        await queue.close()


def _spawn(backend: str, where: str, name: str, then: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, backend, where, name, then],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _reopen(backend: str, where: str, name: str) -> Queue:
    if backend == "sqlite":
        return SQLiteQueue(where)
    from bot.queue.redis import RedisQueue

    return RedisQueue(where, name=name)


async def test_lease_of_a_killed_process_is_released_at_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """SIGKILL with a 600 s lease in hand: the job is handed out again in seconds (SQLite: at
    open, the holder's pid no longer runs; Redis: the worker's registration expires), not
    when the lease ends. The recovery is counted."""
    if backend == "memory":
        pytest.skip("the memory queue is not durable")
    name = f"dead-{uuid.uuid4().hex[:8]}"
    where = (
        str(tmp_path / "queue.db") if backend == "sqlite" else request.getfixturevalue("redis_url")
    )
    proc = _spawn(backend, where, name, "lease-long")
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 20)
        assert line == b"ready\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    queue = _reopen(backend, where, name)
    started = time.monotonic()
    try:
        job = await eventually(lambda: queue.lease(lease_seconds=30), timeout=15)
        assert job is not None and job.payload == {"survives": True}  # type: ignore[attr-defined]
        assert job.attempts == 2  # type: ignore[attr-defined]
        assert job.last_error == WORKER_DIED  # type: ignore[attr-defined]
        assert time.monotonic() - started < 10
        assert queue.recovered == 1  # type: ignore[attr-defined]
    finally:
        await queue.close()


async def test_lease_of_a_live_process_is_left_alone(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Another process on the same store holds a lease and still runs: nobody takes it."""
    if backend == "memory":
        pytest.skip("the memory queue is not durable")
    name = f"live-{uuid.uuid4().hex[:8]}"
    where = (
        str(tmp_path / "queue.db") if backend == "sqlite" else request.getfixturevalue("redis_url")
    )
    proc = _spawn(backend, where, name, "alive")
    queue: Queue | None = None
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 20)
        assert line == b"ready\n"
        queue = _reopen(backend, where, name)
        deadline = time.monotonic() + 8  # longer than the Redis registration's TTL
        while time.monotonic() < deadline:
            assert await queue.lease(lease_seconds=30) is None
            await asyncio.sleep(0.2)
        assert queue.recovered == 0  # type: ignore[attr-defined]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if queue is not None:
            await queue.close()


@pytest.mark.redis
async def test_redis_job_dequeued_by_a_dead_leaser_is_handed_out_again(redis_url: str) -> None:
    """A leaser killed between saq's BLMOVE and our activation leaves the job in ``active``."""
    from bot.queue.redis import RedisQueue

    queue = RedisQueue(redis_url, name=f"orphan-{uuid.uuid4().hex[:8]}", orphan_grace=0.5)
    try:
        await queue.enqueue({"n": 1}, dedup_id="d1")
        assert await queue.saq.dequeue(timeout=0.01) is not None  # ...and then it died
        assert await queue.lease(lease_seconds=30) is None  # within the grace: a live leaser
        job = await eventually(lambda: queue.lease(lease_seconds=30), timeout=5)
        assert job is not None and job.payload == {"n": 1}  # type: ignore[attr-defined]
        assert job.attempts == 1  # type: ignore[attr-defined]
    finally:
        await queue.close()


@pytest.mark.parametrize(
    ("url", "kind"),
    [("memory://", "MemoryQueue"), ("sqlite:///{tmp}/q.db", "SQLiteQueue")],
)
async def test_open_queue(url: str, kind: str, tmp_path: Path) -> None:
    queue = open_queue(url.format(tmp=tmp_path))
    assert type(queue).__name__ == kind
    await queue.close()


@pytest.mark.redis
async def test_open_queue_redis(redis_url: str) -> None:
    queue = open_queue(redis_url)
    assert type(queue).__name__ == "RedisQueue"
    await queue.close()


@pytest.mark.parametrize("url", ["postgres://db/x", "sqlite://", "queue.db", ""])
def test_open_queue_refuses_unknown_urls(url: str) -> None:
    with pytest.raises(ValueError, match="queue URL"):
        open_queue(url)


DYING = """
import asyncio, os, signal, sys
from redis.asyncio.client import Pipeline, Redis
from bot.queue.redis import RedisQueue

url, name, die_after = sys.argv[1:]
armed = die_after == "lock"


def hit(commands: list[tuple[object, ...]]) -> bool:
    for args in commands:
        command = str(args[0]).upper()
        key = args[1] if len(args) > 1 else b""
        key = key.decode() if isinstance(key, bytes) else str(key)
        if die_after == "lock" and command == "SET" and ":running:" in key:
            return True  # the pull request's lock was taken
        if die_after != "lock" and command == "LREM" and key.endswith(":active"):
            return True  # the job left the active list
    return False


def die_if_hit(commands: list[tuple[object, ...]]) -> None:
    if armed and hit(commands):
        os.kill(os.getpid(), signal.SIGKILL)


plain = Redis.execute_command
async def execute_command(self, *args, **options):
    result = await plain(self, *args, **options)
    die_if_hit([args])
    return result
Redis.execute_command = execute_command

transaction = Pipeline.execute
async def execute(self, raise_on_error=True):
    stack = [args for args, _ in self.command_stack]
    result = await transaction(self, raise_on_error)
    die_if_hit(stack)
    return result
Pipeline.execute = execute


async def main() -> None:
    global armed
    queue = RedisQueue(url, name=name, worker_ttl=1)
    job = await queue.lease(lease_seconds=600)
    assert job is not None
    armed = True
    if die_after == "complete":
        await queue.complete(job)
    else:
        await queue.fail(job, "boom", retry_in=0)
    print("survived", flush=True)  # the step never wrote what it should have


asyncio.run(main())
"""


@pytest.mark.redis
@pytest.mark.parametrize("die_after", ["lock", "complete", "retry"])
async def test_redis_kill_between_steps_never_strands_the_pull_requests_lock(
    die_after: str, redis_url: str, tmp_path: Path
) -> None:
    """A process SIGKILLed right after the Redis write that takes a pull request's
    ``running:`` lock (activation), or right after the one that takes the job out of
    ``active`` (complete, retry): the lock and the active job must agree, so the job (or
    the pull request's next job) is handed out again in seconds, not when the 600 s lease
    would have ended."""
    from bot.queue.redis import RedisQueue

    name = f"steps-{uuid.uuid4().hex[:8]}"
    queue = RedisQueue(redis_url, name=name, orphan_grace=0.5)
    key = "acme/x#1"
    try:
        assert await queue.enqueue({"n": 1}, dedup_id="a", coalesce_key=key)
        proc = subprocess.Popen(
            [sys.executable, "-c", DYING, redis_url, name, die_after],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        out, _ = await asyncio.wait_for(asyncio.to_thread(proc.communicate), 30)
        assert proc.returncode == -signal.SIGKILL, out
        expected: dict[str, object] = {"n": 1}
        if die_after == "complete":  # the review was done; the pull request gets a new push
            assert await queue.enqueue({"n": 2}, dedup_id="b", coalesce_key=key)
            expected = {"n": 2}
        job = await eventually(lambda: queue.lease(lease_seconds=30), timeout=10)
        assert job is not None, "the pull request's lock was stranded"
        assert job.payload == expected  # type: ignore[attr-defined]
        assert await queue.complete(job)  # type: ignore[arg-type]
        assert await queue.lease(lease_seconds=30) is None
        assert await queue.depth() == 0
        assert not await queue.redis.exists(queue.saq.namespace(f"running:{key}"))
    finally:
        await queue.close()


@pytest.mark.redis
async def test_redis_orphaned_lock_is_taken_over(redis_url: str) -> None:
    """A ``running:`` lock no ACTIVE job holds (an earlier version wrote lock and activation
    apart, and died in between) does not hold the pull request's jobs until it expires."""
    from bot.queue.redis import RedisQueue

    queue = RedisQueue(redis_url, name=f"orphan-lock-{uuid.uuid4().hex[:8]}")
    running = queue.saq.namespace("running:acme/x#1")
    try:
        await queue.redis.set(running, "token-of-a-dead-lease", px=600_000)
        assert await queue.enqueue({"n": 1}, dedup_id="a", coalesce_key="acme/x#1")
        job = await queue.lease(lease_seconds=30)
        assert job is not None and job.payload == {"n": 1}
        assert await queue.redis.get(running) == job.token.encode()
        assert await queue.enqueue({"n": 2}, dedup_id="b", coalesce_key="acme/x#1")
        assert await queue.lease(lease_seconds=30) is None  # a live holder keeps it
        assert await queue.complete(job)
        assert not await queue.redis.exists(running)
    finally:
        await queue.close()
