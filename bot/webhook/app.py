"""The webhook front door: verify, route and queue GitHub's deliveries, then answer at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import structlog
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.github.keys import private_key_problem
from bot.queue.jobs import Job
from bot.settings import Settings
from bot.webhook import signature
from bot.webhook.routing import Ignored, PayloadError, route

WEBHOOK_PATH = "/api/github/webhooks"
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB

Hook = Callable[[], Awaitable[None]]
logger = structlog.get_logger("bot.webhook")


class QueueWriter(Protocol):
    """The part of ``bot.queue.base.Queue`` the webhook uses: every queue backend is one."""

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool: ...


def create_app(
    settings: Settings,
    queue: QueueWriter,
    *,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    routes: Sequence[BaseRoute] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    enqueue_timeout: float = 5.0,
    remembered_deliveries: int = 10_000,
    debug: bool = False,
) -> Starlette:
    """The ASGI app: ``POST /api/github/webhooks``, ``GET /healthz`` and any extra ``routes``.

    ``on_startup`` hooks run in order before the first request, ``on_shutdown`` hooks after
    the last. Without a webhook secret (setup mode) deliveries are refused with 503.
    """
    webhook = WebhookEndpoint(
        settings,
        queue,
        max_body_bytes=max_body_bytes,
        enqueue_timeout=enqueue_timeout,
        remembered_deliveries=remembered_deliveries,
    )

    key_problem = private_key_problem(settings.private_key)

    async def healthz(request: Request) -> Response:
        """200 when the process serves; 503 when it is configured with a private key that
        cannot sign (``private_key``: ``ok``, ``missing`` in setup mode, or ``unusable``)."""
        if settings.configured and key_problem is not None:
            body = {"status": "error", "configured": True, "private_key": key_problem}
            return JSONResponse(body, status_code=503)
        state = key_problem or "ok"
        return JSONResponse(
            {"status": "ok", "configured": settings.configured, "private_key": state}
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook()

    return Starlette(
        debug=debug,
        routes=[
            Route(WEBHOOK_PATH, webhook.handle, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *routes,
        ],
        lifespan=lifespan,
    )


class RecentDeliveries:
    """The last ``size`` delivery ids handled: redeliveries are answered without the queue."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, delivery_id: object) -> bool:
        return delivery_id in self._ids

    def add(self, delivery_id: str) -> None:
        self._ids[delivery_id] = None
        self._ids.move_to_end(delivery_id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)


class WebhookEndpoint:
    def __init__(
        self,
        settings: Settings,
        queue: QueueWriter,
        *,
        max_body_bytes: int,
        enqueue_timeout: float,
        remembered_deliveries: int,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.max_body_bytes = max_body_bytes
        self.enqueue_timeout = enqueue_timeout
        self.recent = RecentDeliveries(remembered_deliveries)
        self.max_pending = settings.webhook_max_pending
        self.pending = 0  # deliveries waiting for the queue right now

    async def handle(self, request: Request) -> Response:
        event = request.headers.get("x-github-event")
        delivery_id = request.headers.get("x-github-delivery")
        log = logger.bind(delivery_id=delivery_id, github_event=event)

        def refuse(status: int, error: str) -> Response:
            log.warning("webhook refused", status=status, error=error)
            return JSONResponse({"error": error}, status_code=status)

        secret = self.settings.webhook_secret
        if not secret:
            return refuse(503, "the App is not configured yet (no WEBHOOK_SECRET)")
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return refuse(415, "content type must be application/json")
        if not event or not delivery_id:
            return refuse(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
        declared = request.headers.get("content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                return refuse(400, "invalid Content-Length")
            if int(declared) > self.max_body_bytes:
                return refuse(413, f"payload larger than {self.max_body_bytes} bytes")
        body = await _read_body(request, self.max_body_bytes)
        if body is None:
            return refuse(413, f"payload larger than {self.max_body_bytes} bytes")
        if not signature.verify(secret.encode(), body, request.headers.get("x-hub-signature-256")):
            return refuse(401, "missing or invalid X-Hub-Signature-256")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return refuse(400, f"invalid JSON: {exc}")
        if not isinstance(payload, dict):
            return refuse(400, "invalid JSON: the payload must be an object")
        log = log.bind(**_context(payload))

        if event == "ping":
            log.info("webhook ping", status=200, hook_id=payload.get("hook_id"))
            return JSONResponse({"message": "pong"})
        if delivery_id in self.recent:
            log.info("webhook duplicate", status=200, queued=0)
            return JSONResponse({"queued": 0, "duplicate": True})
        try:
            result = route(event, payload, delivery_id=delivery_id, app_id=self.settings.app_id)
        except PayloadError as exc:
            return refuse(400, str(exc))
        if isinstance(result, Ignored):
            self.recent.add(delivery_id)
            log.info("webhook ignored", status=204, reason=result.reason, **result.details)
            return Response(status_code=204)
        if self.pending >= self.max_pending:  # shed at once rather than queue up and time out
            log.warning("webhook shed", status=503, pending=self.pending)
            return JSONResponse(
                {"error": "too many deliveries at once; retry later"},
                status_code=503,
                headers={"retry-after": "5"},
            )
        self.pending += 1
        try:
            async with asyncio.timeout(self.enqueue_timeout):
                queued = await self._enqueue(delivery_id, result)
        except Exception:
            log.exception("webhook enqueue failed", status=503)
            return JSONResponse({"error": "the queue is unavailable"}, status_code=503)
        finally:
            self.pending -= 1
        self.recent.add(delivery_id)
        if queued == 0:
            log.info("webhook duplicate", status=200, queued=0)
            return JSONResponse({"queued": 0, "duplicate": True})
        # Logged once the 202 is sent: the line costs more than the signature check, the JSON
        # parse and the routing together, and GitHub need not wait for it.
        logged = BackgroundTask(
            log.info, "webhook queued", status=202, queued=queued, jobs=[job.kind for job in result]
        )
        return JSONResponse({"queued": queued}, status_code=202, background=logged)

    async def _enqueue(self, delivery_id: str, jobs: list[Job]) -> int:
        """Store every job; the count of new ones (the queue drops ids it has seen)."""
        queued = 0
        for index, job in enumerate(jobs):
            dedup_id = delivery_id if index == 0 else f"{delivery_id}:{index}"
            if await self.queue.enqueue(
                job.model_dump(mode="json"),
                dedup_id=dedup_id,
                coalesce_key=job.coalesce_key,
                fair_key=job.fair_key,
            ):
                queued += 1
        return queued


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as more than ``limit`` bytes arrive (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _context(payload: dict[str, Any]) -> dict[str, object]:
    """Action, repository and PR number of a payload, for the log."""
    context: dict[str, object] = {"action": payload.get("action")}
    repository = payload.get("repository")
    if isinstance(repository, dict):
        context["repository"] = repository.get("full_name")
    numbers: list[object] = []
    if isinstance(pull := payload.get("pull_request"), dict):
        numbers.append(pull.get("number"))
    if isinstance(issue := payload.get("issue"), dict) and issue.get("pull_request"):
        numbers.append(issue.get("number"))
    for key in ("check_run", "check_suite"):
        if isinstance(item := payload.get(key), dict):
            refs = item.get("pull_requests")
            numbers += [r.get("number") for r in refs or [] if isinstance(r, dict)]
    if numbers:
        context["pull_number"] = numbers[0]
    return context
