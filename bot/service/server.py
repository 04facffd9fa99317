"""The App's process: webhook front door and queue worker side by side, under uvicorn.

Without credentials (setup mode) the process still starts: ``/healthz`` answers, ``/`` says
how to configure the App, deliveries are refused with 503 and no worker runs.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.analyse.review import StdlibLoader
from bot.github import AppCredentials, GitHubApp
from bot.queue import Queue, open_queue
from bot.queue.worker import Worker
from bot.service.review_job import make_handlers
from bot.settings import Settings
from bot.setup import setup_routes
from bot.stdlib.loader import load_stdlib
from bot.webhook.app import WEBHOOK_PATH, create_app

logger = structlog.get_logger("bot.service")

SETUP_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>linkname-bot: setup</title></head>
<body>
<h1>linkname-bot is running in setup mode</h1>
<p>It has no GitHub App credentials yet. Set these environment variables (or put them in a
<code>.env</code> file next to where it runs) and restart it:</p>
<ul>
<li><code>APP_ID</code>: the App's numeric id</li>
<li><code>PRIVATE_KEY</code> (PEM text) or <code>PRIVATE_KEY_PATH</code> (a .pem file)</li>
<li><code>WEBHOOK_SECRET</code>: the App's webhook secret</li>
</ul>
<p>Point the App's webhook URL at <code>{webhook_path}</code> on this server.</p>
</body></html>
"""

READY_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>linkname-bot</title></head>
<body><h1>linkname-bot</h1><p>App {app_id} is configured; webhooks go to
<code>{webhook_path}</code>.</p></body></html>
"""


def github_app(settings: Settings) -> GitHubApp:
    """The GitHub client for configured ``settings``."""
    assert settings.app_id is not None and settings.private_key is not None
    return GitHubApp(AppCredentials(settings.app_id, settings.private_key, settings.github_api_url))


def build_app(
    settings: Settings,
    *,
    queue: Queue | None = None,
    github: GitHubApp | None = None,
    stdlib: StdlibLoader | None = load_stdlib,
    poll_interval: float = 1.0,
) -> Starlette:
    """The ASGI app; its lifespan starts the worker (when configured) and closes the queue."""
    queue = queue if queue is not None else open_queue(settings.queue_url)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        if not settings.configured:
            logger.warning("setup mode: no App credentials, the worker is not started")
            return
        app = github if github is not None else github_app(settings)
        handler, on_give_up = make_handlers(app, stdlib=stdlib)
        worker = Worker(queue, handler, on_give_up=on_give_up, poll_interval=poll_interval)
        stop.clear()
        tasks.append(asyncio.create_task(worker.run(stop), name="linkname-bot-worker"))
        logger.info("worker started", queue=settings.queue_url.split("://", 1)[0])

    async def shutdown() -> None:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()
        await queue.close()
        logger.info("stopped")

    async def index(request: Request) -> Response:
        if not settings.configured:
            return HTMLResponse(SETUP_PAGE.format(webhook_path=WEBHOOK_PATH))
        return HTMLResponse(READY_PAGE.format(app_id=settings.app_id, webhook_path=WEBHOOK_PATH))

    return create_app(
        settings,
        queue,
        on_startup=[start],
        on_shutdown=[shutdown],
        routes=[*setup_routes(settings), Route("/", index, methods=["GET"])],
    )


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the App under uvicorn until interrupted."""
    app = build_app(settings)
    logger.info("serving", host=host, port=port, configured=settings.configured)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
