"""The App's process: webhook front door and queue worker side by side, under uvicorn.

Without credentials (setup mode) the process still starts: ``/healthz`` answers, ``/`` says
how to configure the App, deliveries are refused with 503 and no worker runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import urlsplit

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.analyse.review import StdlibLoader
from bot.github import AppCredentials, GitHubApp
from bot.github.app_gateway import AppInfo
from bot.github.pacing import PacerFactory
from bot.queue import REDIS_SCHEMES, Queue, open_queue
from bot.queue.worker import Worker
from bot.service.admin import admin_routes
from bot.service.metrics import DeliveryMetrics, Metrics, job_context
from bot.service.recheck import InstallationPacer
from bot.service.recovery import Recovery
from bot.service.review_job import make_handlers
from bot.service.worker_process import WorkerProcess
from bot.settings import Settings
from bot.setup import setup_routes
from bot.setup.manifest import github_web_url
from bot.setup.pages import page
from bot.setup.status import RecentReviews, ReviewRecord, status_body
from bot.stdlib.facts import load_window
from bot.stdlib.loader import load_stdlib
from bot.webhook.app import WEBHOOK_PATH, create_app
from bot.webhook.logs import configure_logging
from bot.webhook.symbols import symbol_routes

logger = structlog.get_logger("bot.service")
Handler = Callable[[dict[str, object]], Awaitable[None]]

SETUP_BODY = """
<p>linkname-bot has no GitHub App credentials yet. Set these environment variables (or put them
in a <code>.env</code> file next to where it runs) and restart it:</p>
<ul>
<li><code>APP_ID</code>: the App's numeric id</li>
<li><code>PRIVATE_KEY</code> (PEM text) or <code>PRIVATE_KEY_PATH</code> (a .pem file)</li>
<li><code>WEBHOOK_SECRET</code>: the App's webhook secret</li>
</ul>
<p>Point the App's webhook URL at <code>{webhook_path}</code> on this server.</p>
"""
APP_INFO_TTL = 300.0  # seconds the App's name and links are cached for the status page


def github_app(settings: Settings, metrics: Metrics | None = None) -> GitHubApp:
    """The GitHub client for configured ``settings``, feeding ``metrics``."""
    assert settings.app_id is not None and settings.private_key is not None
    credentials = AppCredentials(settings.app_id, settings.private_key, settings.github_api_url)
    metrics = metrics or Metrics()
    options = metrics.client_options(
        write_interval=settings.github_write_interval, pacers=shared_write_pacers(settings)
    )
    return GitHubApp(credentials, options)


def shared_write_pacers(settings: Settings) -> PacerFactory | None:
    """On a Redis queue, replicas pace each installation's writes together; else ``None``
    (each process paces its own, and the embedded queue has one process)."""
    return _shared_pacers(settings, recheck=False)


def shared_recheck_pacers(settings: Settings) -> PacerFactory | None:
    """The same for the starts of one installation's re-checks (``RECHECK_INTERVAL``)."""
    return _shared_pacers(settings, recheck=True)


def _shared_pacers(settings: Settings, *, recheck: bool) -> PacerFactory | None:
    if urlsplit(settings.queue_url).scheme not in REDIS_SCHEMES:
        return None
    from bot.github.shared_pacing import KEY_PREFIX, RECHECK_PREFIX, shared_pacers

    return shared_pacers(settings.queue_url, prefix=RECHECK_PREFIX if recheck else KEY_PREFIX)


def build_app(
    settings: Settings,
    *,
    queue: Queue | None = None,
    github: GitHubApp | None = None,
    stdlib: StdlibLoader | None = load_stdlib,
    poll_interval: float = 1.0,
    metrics: Metrics | None = None,
    recovery_interval: float | None = None,
    worker: WorkerMode | None = None,
) -> Starlette:
    """The ASGI app; its lifespan starts the worker and the delivery recovery (when
    configured) and closes the queue. ``GET /metrics`` serves Prometheus metrics.

    ``worker`` says where the worker runs (default: ``worker_mode``):

    * ``process``: its own process (``bot.service.worker_process``), the default when the
      queue is opened here from a durable URL and the facts are the packaged ones;
    * ``task``: a task in the webhook's loop, for a queue handed in, an in-memory one, or a
      ``stdlib`` loader of the caller's (a function cannot cross to another process)."""
    mode = worker or worker_mode(settings, queue=queue, stdlib=stdlib)
    if settings.registry_dir is not None:  # the process's facts: read by bot.stdlib.facts
        os.environ["REGISTRY_DIR"] = str(settings.registry_dir)
    queue = queue if queue is not None else open_queue(settings.queue_url)
    facts = functools.cache(load_window)  # the server's store of standard-library facts
    metrics = metrics if metrics is not None else Metrics(queue)
    metrics.queue = queue
    if recovery_interval is None:
        recovery_interval = settings.recovery_interval
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    recent = RecentReviews()
    clients: dict[str, GitHubApp] = {}
    app_info: list[tuple[float, AppInfo]] = []

    processes: list[WorkerProcess] = []

    def make_worker(app: GitHubApp, worker_queue: Queue) -> Worker:
        return build_worker(
            settings,
            app,
            worker_queue,
            metrics=metrics,
            recent=recent,
            stdlib=stdlib,
            poll_interval=poll_interval,
        )

    async def start() -> None:
        if not settings.configured:
            logger.warning("setup mode: no App credentials, the worker is not started")
            return
        app = github if github is not None else github_app(settings, metrics)
        clients["app"] = app
        stop.clear()
        if mode == "process":
            process = WorkerProcess(
                settings, metrics=metrics, recent=recent, poll_interval=poll_interval
            )
            await process.start()
            processes.append(process)
        else:
            worker = make_worker(app, queue)
            tasks.append(asyncio.create_task(worker.run(stop), name="linkname-bot-worker"))
        if recovery_interval > 0:
            recovery = Recovery(
                app.gateway(),
                queue,
                interval=recovery_interval,
                on_redeliver=metrics.redeliveries.inc,
            )
            tasks.append(asyncio.create_task(recovery.run(stop), name="linkname-bot-recovery"))
        logger.info(
            "worker started",
            queue=settings.queue_url.split("://", 1)[0],
            concurrency=settings.worker_concurrency,
            mode=mode,
        )

    async def shutdown() -> None:
        stop.set()
        for process in processes:
            await process.stop()
        processes.clear()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()
        await queue.close()
        logger.info("stopped")

    async def current_app_info() -> AppInfo | None:
        now = time.monotonic()
        if app_info and now - app_info[0][0] < APP_INFO_TTL:
            return app_info[0][1]
        client = clients.get("app")
        if client is None:
            return None
        try:
            info = await asyncio.wait_for(client.gateway().app_info(), timeout=5.0)
        except Exception as exc:  # the page still renders, without the name
            logger.warning("status page: cannot read the App", error=str(exc))
            return None
        app_info[:] = [(now, info)]
        return info

    async def index(request: Request) -> Response:
        if not settings.configured:
            return page("Setup mode", SETUP_BODY.format(webhook_path=WEBHOOK_PATH))
        try:
            depth: int | None = await queue.depth()
            oldest = await queue.oldest_age()
        except Exception:
            depth, oldest = None, None
        body = status_body(
            app=await current_app_info(),
            app_id=settings.app_id,
            web_url=github_web_url(settings.github_api_url, None),
            webhook_path=WEBHOOK_PATH,
            depth=depth,
            oldest_age=oldest,
            recent=recent.items(),
        )
        return page("Status", body)

    starlette = create_app(
        settings,
        queue,
        on_startup=[start],
        on_shutdown=[shutdown],
        routes=[
            *setup_routes(settings),
            Route("/", index, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            *symbol_routes(facts),
            *admin_routes(settings, queue, lambda: clients.get("app")),
        ],
    )
    starlette.add_middleware(DeliveryMetrics, metrics=metrics)
    return starlette


WorkerMode = Literal["process", "task"]


def worker_mode(
    settings: Settings, *, queue: Queue | None, stdlib: StdlibLoader | None
) -> WorkerMode:
    """Where ``build_app`` runs the worker when not told (see its docstring)."""
    if queue is not None or settings.queue_url.startswith("memory:"):
        return "task"  # an in-memory queue cannot be shared with another process
    return "process" if stdlib is load_stdlib else "task"


def build_worker(
    settings: Settings,
    app: GitHubApp,
    queue: Queue,
    *,
    metrics: Metrics,
    recent: RecentReviews,
    stdlib: StdlibLoader | None = load_stdlib,
    poll_interval: float = 1.0,
) -> Worker:
    """The queue worker of ``settings``: the job handlers on ``app``, observed by ``metrics``
    and remembered in ``recent``."""
    handler, on_give_up = make_handlers(
        app,
        stdlib=stdlib,
        on_findings=metrics.observe_findings,
        docs=settings.docs_url,
        release_issues=settings.release_issues,
        recheck_pacer=InstallationPacer(
            settings.recheck_interval, pacers=shared_recheck_pacers(settings)
        ),
    )
    return Worker(
        queue,
        recorded(metrics.instrument(handler), recent),
        on_give_up=on_give_up,
        poll_interval=poll_interval,
        lease_seconds=settings.worker_lease_seconds,
        concurrency=settings.worker_concurrency,
        per_key=settings.worker_per_installation,
    )


def recorded(handler: Handler, recent: RecentReviews) -> Handler:
    """``handler``, remembering each finished job for the status page."""

    async def run(payload: dict[str, object]) -> None:
        outcome = "error"
        try:
            await handler(payload)
            outcome = "ok"
        finally:
            context = job_context(payload)
            pull = context.get("pull_number")
            recent.add(
                ReviewRecord(
                    time.time(),
                    str(payload.get("kind", "job")),
                    str(context.get("repository", "")),
                    pull if isinstance(pull, int) else None,
                    outcome,
                )
            )

    return run


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the App under uvicorn until interrupted (its logs: JSON lines, secrets redacted)."""
    configure_logging(
        settings.log_level,
        secrets=[settings.private_key, settings.webhook_secret, settings.admin_token],
    )
    app = build_app(settings)
    logger.info("serving", host=host, port=port, configured=settings.configured)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's records go through configure_logging's JSON handler
        access_log=False,
    )
