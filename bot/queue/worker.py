"""The worker loop: lease a job, run it under a heartbeat, then complete, retry or give up.

A handler that is about to publish asks ``await superseded()`` first: True means a newer job
for the same pull request was enqueued while this one ran, and its result would be stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from bot.queue.base import LEASE_EXPIRED, Leased, Queue

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, object]], Awaitable[None]]
GiveUp = Callable[[dict[str, object], str], Awaitable[None]]


class TransientError(Exception):
    """Worth another try later (GitHub 5xx, rate limit, network). Other exceptions are too."""


class PermanentError(Exception):
    """Another try cannot help: give up at once."""


def exponential_backoff(attempt: int, *, base: float = 5.0, cap: float = 300.0) -> float:
    """``base``·2^(attempt-1) seconds, capped, minus up to half of it at random (jitter)."""
    delay = min(cap, base * 2.0 ** (attempt - 1))
    return delay * (0.5 + random.random() / 2)


_current: ContextVar[tuple[Queue, Leased]] = ContextVar("current_job")


def current_job() -> Leased | None:
    """The job the calling handler runs, or None outside a handler."""
    current = _current.get(None)
    return None if current is None else current[1]


async def superseded() -> bool:
    """True when a newer job with the running job's coalesce key was enqueued."""
    current = _current.get(None)
    return current is not None and await current[0].is_superseded(current[1])


class Worker:
    def __init__(
        self,
        queue: Queue,
        handler: Handler,
        *,
        lease_seconds: float = 120.0,
        max_attempts: int = 5,
        backoff: Callable[[int], float] = exponential_backoff,
        on_give_up: GiveUp,
        poll_interval: float = 1.0,
        concurrency: int = 1,
        per_key: int | None = None,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.on_give_up = on_give_up
        self.poll_interval = poll_interval
        self.concurrency = max(1, concurrency)
        self.per_key = per_key
        """At most this many jobs of one fair key (installation) in hand at once (None: any)."""
        self._in_hand: Counter[str] = Counter()
        """Jobs this worker runs now by fair key (installation): leases prefer the least busy."""
        self._leasing = asyncio.Lock()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, up to ``concurrency`` jobs at a time; the jobs in hand
        are finished first. Jobs of one pull request never run at once: the queue does not
        hand out a job while another with its coalesce key holds a lease. A free slot
        prefers a job of the fair key (installation) the fewest other slots work on: GitHub
        paces writes per installation, so slots spread over installations finish sooner, and
        with ``per_key`` a burst of one installation leaves slots free for the others."""
        async with asyncio.TaskGroup() as group:
            for slot in range(self.concurrency):
                group.create_task(self._loop(stop), name=f"worker-slot-{slot}")

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                worked = await self.run_once()
            except Exception:
                logger.exception("queue unavailable")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_interval)

    async def run_once(self) -> bool:
        """Lease and process one job; False when none was due."""
        async with self._leasing:  # a slot's lease sees the keys the others just took
            busy = dict(self._in_hand)
            job = await self.queue.lease(
                lease_seconds=self.lease_seconds, busy=busy, limit=self.per_key
            )
            if job is None:
                return False
            key = job.fair_key
            if key is not None:
                self._in_hand[key] += 1
        try:
            return await self._process(job)
        finally:
            if key is not None:
                self._in_hand[key] -= 1
                if not self._in_hand[key]:
                    del self._in_hand[key]

    async def _process(self, job: Leased) -> bool:
        if job.attempts > self.max_attempts:  # its workers kept dying
            await self._give_up(job, job.last_error or LEASE_EXPIRED)
            return True
        token = _current.set((self.queue, job))
        try:
            task = asyncio.create_task(self._call(job.payload))
        finally:
            _current.reset(token)
        try:
            if not await self._heartbeat(task, job):
                logger.warning("lost the lease of job %s; another worker runs it", job.id)
                return True
        except asyncio.CancelledError:
            task.cancel()  # the lease expires and the job runs again
            raise
        error = task.exception()
        if error is None:
            await self.queue.complete(job)
            return True
        message = f"{type(error).__name__}: {error}"
        logger.warning("job %s attempt %d failed: %s", job.id, job.attempts, message)
        if isinstance(error, PermanentError) or job.attempts >= self.max_attempts:
            await self._give_up(job, message)
        else:
            await self.queue.fail(job, message, retry_in=self.backoff(job.attempts))
        return True

    async def _call(self, payload: dict[str, object]) -> None:
        await self.handler(payload)

    async def _heartbeat(self, task: asyncio.Task[None], job: Leased) -> bool:
        """Await ``task`` renewing the lease; if the lease is lost, cancel it and return False."""
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.lease_seconds / 3)
            if done:
                return True
            try:
                kept = await self.queue.renew(job, lease_seconds=self.lease_seconds)
            except Exception:
                logger.exception("could not renew the lease of job %s", job.id)
                continue
            if not kept:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                return False

    async def _give_up(self, job: Leased, error: str) -> None:
        if not await self.queue.renew(job, lease_seconds=self.lease_seconds):
            return  # someone else holds it now and decides
        logger.error("giving up on job %s after %d attempts: %s", job.id, job.attempts, error)
        try:
            await self.on_give_up(job.payload, error)
        except Exception:
            logger.exception("on_give_up failed for job %s", job.id)
        await self.queue.fail(job, error, retry_in=None)
