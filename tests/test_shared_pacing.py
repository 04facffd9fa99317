"""Pacing shared through Redis: two processes' writes to one installation stay spaced, and so
do the starts of its re-checks.

Each "replica" here has its own Redis client (its own connections), as two processes would.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.github import GitHubApp
from bot.github.pacing import Pacer, WritePacer
from bot.github.shared_pacing import RECHECK_PREFIX, SharedWritePacer, shared_pacers
from bot.queue.memory import MemoryQueue
from bot.service import server
from bot.service.metrics import Metrics
from bot.service.recheck import InstallationPacer
from bot.service.server import github_app, shared_write_pacers
from bot.settings import Settings
from bot.setup.status import RecentReviews
from bot.testing.redis_server import free_port, redis_server

pytestmark = pytest.mark.redis
INTERVAL = 0.2


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with redis_server(tmp_path_factory.mktemp("redis")) as url:
            yield url
    except FileNotFoundError as error:
        pytest.skip(str(error))


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    replicas = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    await replicas[0].flushdb()
    yield replicas
    for client in replicas:
        await client.aclose()


async def write_times(pacers: list[Pacer], writes_each: int) -> list[float]:
    """Every pacer writes `writes_each` times, all at once; the sorted moments they went out."""
    times: list[float] = []

    async def writer(pacer: Pacer) -> None:
        for _ in range(writes_each):
            await pacer.wait()
            times.append(time.monotonic())

    await asyncio.gather(*(writer(p) for p in pacers))
    return sorted(times)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_two_replicas_space_one_installations_writes(clients: list[Redis]) -> None:
    pacers: list[Pacer] = [SharedWritePacer(c, 7, INTERVAL) for c in clients]
    times = await write_times(pacers, 3)
    assert len(times) == 6
    assert min(gaps(times)) >= INTERVAL - 0.02, gaps(times)
    # and no slower than the rule asks: six writes take five intervals, not more
    assert times[-1] - times[0] < 5 * INTERVAL + 0.25


async def test_per_process_pacers_do_not_space_across_replicas() -> None:
    """What shared pacing fixes: each process's own pacer lets both write at once."""
    pacers: list[Pacer] = [WritePacer(INTERVAL), WritePacer(INTERVAL)]
    times = await write_times(pacers, 3)
    assert min(gaps(times)) < INTERVAL / 2


async def test_installations_are_paced_apart(clients: list[Redis]) -> None:
    one, other = SharedWritePacer(clients[0], 1, INTERVAL), SharedWritePacer(clients[1], 2, 5.0)
    await other.wait()  # installation 2's next slot is 5 s away
    start = time.monotonic()
    await one.wait()
    await one.wait()
    assert INTERVAL - 0.02 <= time.monotonic() - start < 1.0


async def test_the_slot_expires_with_its_key(clients: list[Redis]) -> None:
    pacer = SharedWritePacer(clients[0], 3, INTERVAL)
    await pacer.wait()
    ttl = await clients[0].pttl(pacer.key)
    assert 0 < ttl <= 1000 + INTERVAL * 1000


async def test_unreachable_redis_falls_back_to_pacing_in_process() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    try:
        pacer = SharedWritePacer(client, 4, INTERVAL)
        times = await write_times([pacer], 3)
    finally:
        await client.aclose()
    assert min(gaps(times)) >= INTERVAL - 0.02


def settings(queue_url: str) -> Settings:
    return Settings(app_id=1, private_key="k", webhook_secret="s", queue_url=queue_url)


async def test_the_app_on_redis_paces_through_redis(redis_url: str, tmp_path: Path) -> None:
    shared: GitHubApp = github_app(settings(redis_url))
    assert isinstance(shared.installation(9).pacer, SharedWritePacer)
    assert not isinstance(shared.app().pacer, SharedWritePacer)  # App-level calls only read
    local = github_app(settings(f"sqlite:///{tmp_path}/q.db"))
    assert isinstance(local.installation(9).pacer, WritePacer)
    assert shared_write_pacers(settings("memory://")) is None


async def test_factory_shares_one_connection_pool(redis_url: str) -> None:
    factory = shared_pacers(redis_url)
    a, b = factory(1, INTERVAL), factory(2, INTERVAL)
    assert isinstance(a, SharedWritePacer) and isinstance(b, SharedWritePacer)
    assert a.redis is b.redis
    await a.wait()
    await a.redis.aclose()


# -- re-check starts (RECHECK_INTERVAL) -------------------------------------------------------


async def test_two_replicas_space_one_installations_rechecks(redis_url: str) -> None:
    factories = [shared_pacers(redis_url, prefix=RECHECK_PREFIX) for _ in range(2)]
    replicas = [InstallationPacer(INTERVAL, pacers=f) for f in factories]
    try:
        cleaner = Redis.from_url(redis_url)
        await cleaner.delete(f"{RECHECK_PREFIX}11")
        await cleaner.aclose()
        times: list[float] = []

        async def starts(pacer: InstallationPacer) -> None:
            for _ in range(3):
                await pacer.wait(11)
                times.append(time.monotonic())

        await asyncio.gather(*(starts(p) for p in replicas))
    finally:
        for factory in factories:
            pacer = factory(0, INTERVAL)
            assert isinstance(pacer, SharedWritePacer)
            await pacer.redis.aclose()
    assert min(gaps(sorted(times))) >= INTERVAL - 0.02, gaps(sorted(times))


async def test_recheck_slots_are_apart_from_write_slots(redis_url: str) -> None:
    factory = shared_pacers(redis_url, prefix=RECHECK_PREFIX)
    recheck = factory(12, INTERVAL)
    assert isinstance(recheck, SharedWritePacer)
    try:
        writes = SharedWritePacer(recheck.redis, 12, 5.0)
        await writes.wait()
        await writes.wait()  # … and the installation's next write slot is 5 s away
        start = time.monotonic()
        await recheck.wait()
        assert time.monotonic() - start < 1.0
        assert recheck.key != writes.key
    finally:
        await recheck.redis.aclose()


async def test_the_worker_on_redis_spaces_rechecks_through_redis(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[InstallationPacer] = []

    class Recording(InstallationPacer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(server, "InstallationPacer", Recording)
    for url in (redis_url, f"sqlite:///{tmp_path}/q.db"):
        config = settings(url)
        server.build_worker(
            config,
            server.github_app(config),
            MemoryQueue(),
            metrics=Metrics(),
            recent=RecentReviews(),
            stdlib=None,
        )
    on_redis, on_sqlite = made
    assert on_redis._factory is not None and on_sqlite._factory is None
    pacer = on_redis._factory(13, INTERVAL)
    assert isinstance(pacer, SharedWritePacer) and pacer.key == f"{RECHECK_PREFIX}13"
    await pacer.redis.aclose()
