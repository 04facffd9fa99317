"""Recover deliveries GitHub could not hand us: GitHub does not redeliver by itself.

At start and then every ``interval`` seconds: list the App's deliveries since the last check
(``GET /app/hook/deliveries``), group them by ``guid`` and ask GitHub to redeliver
(``POST /app/hook/deliveries/{id}/attempts``) each guid that

* has no delivery with status OK (2xx) — GitHub's own guide's rule, and
* the queue has not seen (its dedup ids): a delivery we stored but whose answer got lost
  on the way back is not worth another round trip,

at most ``max_per_run`` per run, and at most ``max_attempts`` times per guid in this process.
The window of the next run starts where the last successful run started (minus ``overlap``);
when the per-run bound left candidates over, the window does not move, so they come next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from bot.github import AppGateway, Delivery
from bot.queue.base import Queue

logger = structlog.get_logger("bot.recovery")

DEFAULT_INTERVAL = 600.0
"""Seconds between two runs (10 minutes)."""

DEFAULT_LOOKBACK = timedelta(hours=24)
"""How far back the first run (at start) looks."""


class Deliveries(Protocol):
    """The part of ``bot.github.AppGateway`` recovery uses."""

    async def list_deliveries(self, since: datetime) -> list[Delivery]: ...

    async def redeliver(self, delivery_id: int) -> None: ...


@dataclass
class RunResult:
    listed: int = 0
    failed_guids: int = 0
    redelivered: list[str] = field(default_factory=list)
    skipped_seen: list[str] = field(default_factory=list)
    left_over: int = 0


class Recovery:
    def __init__(
        self,
        gateway: Deliveries | AppGateway,
        queue: Queue,
        *,
        interval: float = DEFAULT_INTERVAL,
        lookback: timedelta = DEFAULT_LOOKBACK,
        overlap: timedelta = timedelta(minutes=1),
        max_per_run: int = 20,
        max_attempts: int = 3,
        on_redeliver: Callable[[], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.gateway = gateway
        self.queue = queue
        self.interval = interval
        self.overlap = overlap
        self.max_per_run = max_per_run
        self.max_attempts = max_attempts
        self.on_redeliver = on_redeliver
        self.now = now
        self.since = now() - lookback
        self.attempts: OrderedDict[str, int] = OrderedDict()

    async def run_once(self) -> RunResult:
        """One check; raises when GitHub cannot be reached (the window is kept)."""
        started = self.now()
        deliveries = await self.gateway.list_deliveries(self.since)
        result = RunResult(listed=len(deliveries))
        by_guid: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_guid.setdefault(delivery.guid, []).append(delivery)
        candidates: list[Delivery] = []
        for guid, attempts in by_guid.items():
            if any(d.ok for d in attempts):
                continue
            result.failed_guids += 1
            if self.attempts.get(guid, 0) >= self.max_attempts:
                continue
            if await self.queue.seen(guid):
                result.skipped_seen.append(guid)
                continue
            candidates.append(max(attempts, key=lambda d: d.delivered_at))  # newest attempt
        candidates.sort(key=lambda d: d.delivered_at)  # oldest failures first
        for delivery in candidates[: self.max_per_run]:
            try:
                await self.gateway.redeliver(delivery.id)
            except Exception as error:
                logger.warning(
                    "redelivery failed", delivery_id=delivery.guid, error=str(error)[:200]
                )
                continue
            finally:
                self.attempts[delivery.guid] = self.attempts.get(delivery.guid, 0) + 1
                self.attempts.move_to_end(delivery.guid)
                while len(self.attempts) > 10_000:
                    self.attempts.popitem(last=False)
            result.redelivered.append(delivery.guid)
            if self.on_redeliver is not None:
                self.on_redeliver()
        result.left_over = max(0, len(candidates) - self.max_per_run)
        if result.left_over == 0:
            self.since = started - self.overlap
        logger.info(
            "recovery checked deliveries",
            listed=result.listed,
            failed_guids=result.failed_guids,
            redelivered=len(result.redelivered),
            skipped_seen=len(result.skipped_seen),
            left_over=result.left_over,
        )
        return result

    async def run(self, stop: asyncio.Event) -> None:
        """Check at once, then every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:
                logger.warning("recovery could not list deliveries", error=str(error)[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


__all__ = ["DEFAULT_INTERVAL", "Recovery", "RunResult"]
