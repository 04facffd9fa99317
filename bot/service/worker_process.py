"""The worker in its own process: review work never shares the interpreter with the 202s.

A worker thread beside the webhook's event loop shares the GIL: while a review parses or a
job fails and logs, the acknowledging thread waits for the interpreter in steps of the
switch interval, and the p99 of a 202 grows from 3 ms to 17 ms at 200 deliveries/s
(``bench/bench_webhook.py``). A process is scheduled by the kernel instead.

The parent (``linkname-bot serve``) starts the child with the ``spawn`` method, hands it the
settings, and supervises it: a child that exits unexpectedly is started again. The child
opens its own queue object on the same store (SQLite file or Redis), so leases carry its pid
(SQLite) or its worker id (Redis) and the recovery of a dead worker works as for any
process. It dies with the parent (``PR_SET_PDEATHSIG``): a ``kill -9`` of the App ends the
worker too, and the restarted App recovers its jobs.

What the worker observes for ``/metrics`` and the status page (GitHub requests, rate
limits, job durations, findings, recovered jobs, recent reviews) is relayed to the parent
over a pipe as small tuples; the parent applies them to its ``Metrics`` and
``RecentReviews``. A relay message lost with a dying child costs a metric, never a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from bot.findings import Finding
from bot.service.metrics import Metrics
from bot.settings import Settings
from bot.setup.status import RecentReviews, ReviewRecord

logger = structlog.get_logger("bot.service")

RESTART_DELAY = 1.0
"""Seconds before a worker process that died unexpectedly is started again."""

STOP_TIMEOUT = 150.0
"""Seconds a stopping worker may take to finish its jobs (more than a lease) before it is
killed; its leases then run out or are recovered."""

RECOVERED_EVERY = 1.0
"""Seconds between the child's reports of jobs it recovered from dead workers."""

PR_SET_PDEATHSIG = 1


# -- the relay (child side) ----------------------------------------------------------------


class Relay:
    """Sends observations to the parent; a closed pipe (parent gone) drops them."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, *message: object) -> None:
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._conn.send(message)


class RelayedMetrics(Metrics):
    """The child's ``Metrics``: every observation the worker makes goes to the parent."""

    def __init__(self, relay: Relay) -> None:
        super().__init__()
        self.relay = relay

    def observe_github_request(self, endpoint: str, status: int) -> None:
        self.relay.send("github_request", endpoint, status)

    def observe_rate_limit(self, resource: str, remaining: int) -> None:
        self.relay.send("rate_limit", resource, remaining)

    def observe_findings(self, findings: Sequence[Finding]) -> None:
        self.relay.send("findings", [f.rule for f in findings])

    def observe_job(self, kind: str, outcome: str, seconds: float) -> None:
        self.relay.send("job", kind, outcome, seconds)


class RelayedRecent(RecentReviews):
    """The child's list of recent jobs: each one goes to the parent's status page."""

    def __init__(self, relay: Relay) -> None:
        super().__init__(size=1)
        self.relay = relay

    def add(self, record: ReviewRecord) -> None:
        self.relay.send("recent", record)


def apply(message: tuple[Any, ...], metrics: Metrics, recent: RecentReviews) -> None:
    """Apply one relayed observation in the parent."""
    kind, *args = message
    if kind == "github_request":
        metrics.observe_github_request(*args)
    elif kind == "rate_limit":
        metrics.observe_rate_limit(*args)
    elif kind == "findings":
        for rule in args[0]:
            metrics.findings.labels(rule).inc()
    elif kind == "job":
        metrics.observe_job(*args)
    elif kind == "recovered":
        metrics.recovered.inc(args[0])
    elif kind == "recent":
        recent.add(args[0])
    else:
        logger.warning("unknown message from the worker process", kind=kind)


# -- the child -------------------------------------------------------------------------------


def _die_with(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when the parent ends (Linux); if the parent is
    already gone, exit now."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(0)


def child_main(settings: Settings, conn: Connection, parent_pid: int, poll_interval: float) -> None:
    """The worker process: run the queue worker until SIGTERM, then finish the jobs in hand."""
    _die_with(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us gracefully
    from bot.webhook.logs import configure_logging

    configure_logging(
        settings.log_level,
        secrets=[settings.private_key, settings.webhook_secret, settings.admin_token],
    )
    if settings.registry_dir is not None:
        os.environ["REGISTRY_DIR"] = str(settings.registry_dir)
    try:
        asyncio.run(_work(settings, Relay(conn), poll_interval))
    finally:
        conn.close()


async def _work(settings: Settings, relay: Relay, poll_interval: float) -> None:
    from bot.queue import open_queue
    from bot.service.server import build_worker, github_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    metrics = RelayedMetrics(relay)
    queue = open_queue(settings.queue_url)
    reporter = asyncio.create_task(_report_recovered(queue, relay, stop))
    try:
        worker = build_worker(
            settings,
            github_app(settings, metrics),
            queue,
            metrics=metrics,
            recent=RelayedRecent(relay),
            poll_interval=poll_interval,
        )
        logger.info("worker process started", pid=os.getpid())
        await worker.run(stop)
    finally:
        stop.set()
        await reporter
        await queue.close()


async def _report_recovered(queue: object, relay: Relay, stop: asyncio.Event) -> None:
    seen = 0
    while True:
        count = getattr(queue, "recovered", 0)
        if isinstance(count, int) and count > seen:
            relay.send("recovered", count - seen)
            seen = count
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RECOVERED_EVERY)


# -- the parent ------------------------------------------------------------------------------


class WorkerProcess:
    """Runs the worker in a child process and keeps it running until ``stop``."""

    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics,
        recent: RecentReviews,
        poll_interval: float = 1.0,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.recent = recent
        self.poll_interval = poll_interval
        self.process: BaseProcess | None = None
        self.starts = 0
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    def _spawn(self) -> BaseProcess:
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=child_main,
            args=(self.settings, sender, os.getpid(), self.poll_interval),
            name="linkname-bot-worker",
            daemon=False,
        )
        process.start()
        sender.close()  # the child holds the only writer: its end closes the pipe
        self.starts += 1
        threading.Thread(
            target=self._receive, args=(receiver,), name="linkname-bot-relay", daemon=True
        ).start()
        return process

    def _receive(self, receiver: Connection) -> None:
        with receiver:
            while True:
                try:
                    message = receiver.recv()
                except (EOFError, OSError):
                    return
                try:
                    apply(message, self.metrics, self.recent)
                except Exception:
                    logger.exception("could not apply a worker observation")

    async def start(self) -> None:
        """Start the child (from the event loop's thread: the parent-death signal is tied to
        the thread that forks) and supervise it."""
        self.process = self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="linkname-bot-supervisor")

    async def _supervise(self) -> None:
        while not self._stopping:
            process = self.process
            assert process is not None
            await asyncio.to_thread(process.join)
            if self._stopping:
                return
            logger.error(
                "the worker process exited; starting it again",
                exitcode=process.exitcode,
                delay=RESTART_DELAY,
            )
            await asyncio.sleep(RESTART_DELAY)
            if not self._stopping:
                self.process = self._spawn()

    async def stop(self) -> None:
        """SIGTERM the child, let it finish the jobs in hand, and wait for it."""
        self._stopping = True
        process = self.process
        if process is not None and process.is_alive():
            assert process.pid is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            await asyncio.to_thread(process.join, STOP_TIMEOUT)
            if process.is_alive():
                logger.error("the worker process did not stop; killing it")
                process.kill()
                await asyncio.to_thread(process.join)
        if self._supervisor is not None:
            await self._supervisor


__all__ = ["RelayedMetrics", "RelayedRecent", "WorkerProcess", "apply", "child_main"]
