"""Pace writes: at most one every `interval` seconds per installation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Pacer(Protocol):
    """Something that spaces out writes: `wait()` returns when the next one may go out."""

    async def wait(self) -> None: ...


#: Builds the pacer of one installation's writes from (installation id, interval).
PacerFactory = Callable[[int, float], Pacer]


class WritePacer:
    """Spaces out the calls to `wait()` by `interval` seconds (0 disables pacing)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next write may go out."""
        if self.interval <= 0:
            return
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            if start > now:
                await self._sleep(start - now)
            self._next = start + self.interval
