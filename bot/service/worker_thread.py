"""The worker in its own thread and event loop, beside the webhook's.

Review work (fetching, parsing, analysing, publishing) must not sit in the event loop that
acknowledges webhooks: a review's CPU or a slow GitHub call would delay the 202s. The thread
opens its own queue object on the same store (SQLite file or Redis), so the webhook's
enqueues and the worker's leases never share a connection or an executor. The process's
GIL switch interval is lowered (``SWITCH_INTERVAL``) so the acknowledging thread gets the
interpreter back within a millisecond while a review computes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Awaitable, Callable

import structlog

from bot.queue import Queue, open_queue

logger = structlog.get_logger("bot.service")

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits (CPython's default is 0.005)."""

Run = Callable[[Queue, asyncio.Event], Awaitable[None]]


class WorkerThread:
    """Runs ``run(queue, stop)`` on a queue opened from ``queue_url`` in a daemon thread."""

    def __init__(self, queue_url: str, run: Run, *, on_open: Callable[[Queue], None]) -> None:
        self._queue_url = queue_url
        self._run = run
        self._on_open = on_open
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="linkname-bot-worker", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._thread.start()
        self._ready.wait(30)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by stop(); the webhook keeps answering
            self.error = error
            logger.exception("the worker thread stopped")
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        queue = open_queue(self._queue_url)
        self._on_open(queue)
        self._ready.set()
        try:
            await self._run(queue, self._stop)
        finally:
            await queue.close()

    async def stop(self) -> None:
        """Let the jobs in hand finish, close the thread's queue, join the thread."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(self._thread.join)
