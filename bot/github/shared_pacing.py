"""Write pacing shared by every replica through Redis.

Each process's `WritePacer` spaces only its own writes, so two replicas reviewing one
installation would write twice as often as GitHub's secondary rate limits allow. Here the
installation's next free slot lives in Redis: one script, on Redis's own clock, reserves the
slot and returns how long to wait for it. If Redis cannot be reached the process falls back to
its own pacer, so writes stay paced (per process) and reviews go on.
"""

from __future__ import annotations

import asyncio

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from .pacing import Pacer, PacerFactory, Sleep, WritePacer

logger = structlog.get_logger("bot.github")

KEY_PREFIX = "linkname-bot:write-slot:"
RECHECK_PREFIX = "linkname-bot:recheck-slot:"
"""The slots of re-check starts (``RECHECK_INTERVAL``), apart from the writes' slots."""

#: KEYS[1]: the installation's next free slot (µs, Redis clock). ARGV[1]: interval (µs).
#: Returns the µs to wait before the reserved slot. Numbers are formatted with %.0f because
#: Lua's default conversion keeps 14 digits and µs since 1970 have 16.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, free)
local interval = tonumber(ARGV[1])
local ttl = math.floor((start + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', start + interval), 'PX', ttl)
return string.format('%.0f', start - now)
"""


class SharedWritePacer:
    """Spaces one installation's writes by `interval` seconds across every process on `redis`."""

    def __init__(
        self,
        redis: Redis,
        installation_id: int,
        interval: float,
        *,
        sleep: Sleep = asyncio.sleep,
        fallback: Pacer | None = None,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.redis = redis
        self.key = f"{prefix}{installation_id}"
        self.interval = interval
        self._sleep = sleep
        self._fallback = fallback or WritePacer(interval, sleep=sleep)
        self._script = redis.register_script(RESERVE)

    async def reserve(self) -> float:
        """Reserve the next slot; the seconds until it starts."""
        micros = await self._script(keys=[self.key], args=[round(self.interval * 1e6)])
        return int(micros) / 1e6

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        try:
            delay = await self.reserve()
        except (RedisError, OSError) as error:
            logger.warning("write pacing falls back to this process", error=str(error))
            await self._fallback.wait()
            return
        if delay > 0:
            await self._sleep(delay)


def shared_pacers(
    url: str, *, prefix: str = KEY_PREFIX, sleep: Sleep = asyncio.sleep
) -> PacerFactory:
    """Pacers for each installation, shared through the Redis at `url` (one connection pool);
    `prefix` names what they pace (writes, or re-check starts)."""
    redis = Redis.from_url(url)

    def pacer(installation_id: int, interval: float) -> Pacer:
        return SharedWritePacer(redis, installation_id, interval, sleep=sleep, prefix=prefix)

    return pacer
