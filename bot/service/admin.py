"""Operator endpoints, behind ``ADMIN_TOKEN`` (without it they do not exist: 404).

``POST /admin/recheck`` (``Authorization: Bearer <ADMIN_TOKEN>``, optional ``?go=1.28`` or JSON
``{"go": "1.28"}``): queue a re-check of every installed repository for that Go version (the
newest the facts cover by default). Answers 202 with the counts once every job is stored.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.github import GitHubApp, GitHubError
from bot.service.recheck import UnknownVersion, enqueue_rechecks, release_version
from bot.settings import Settings
from bot.versions import SpecError, label, parse_version
from bot.webhook.app import QueueWriter

logger = structlog.get_logger("bot.service")

RECHECK_PATH = "/admin/recheck"


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


async def _requested_version(request: Request) -> str | None:
    go = request.query_params.get("go")
    body = await request.body()
    if go is None and body:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        go = data.get("go")
    return None if go is None else str(go)


def admin_routes(
    settings: Settings, queue: QueueWriter, github: Callable[[], GitHubApp | None]
) -> list[Route]:
    """The operator routes; none without ``ADMIN_TOKEN``. ``github``: the worker's client."""
    token = settings.admin_token
    if not token:
        return []

    async def recheck(request: Request) -> Response:
        if not _authorized(request, token):
            logger.warning("admin request refused", path=RECHECK_PATH)
            return JSONResponse(
                {"error": "missing or wrong bearer token"},
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        app = github()
        if app is None:
            return JSONResponse({"error": "the App is not configured"}, status_code=503)
        try:
            requested = await _requested_version(request)
            go = release_version(parse_version(requested) if requested else None)
        except (ValueError, SpecError, UnknownVersion) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        request_id = f"recheck-{uuid.uuid4()}"
        try:
            done = await enqueue_rechecks(app, queue, go, request_id)
        except GitHubError as error:
            logger.warning("re-check listing failed", error=str(error))
            return JSONResponse({"error": f"GitHub: {error}"}, status_code=502)
        return JSONResponse(
            {
                "go": label(go),
                "request_id": request_id,
                "installations": done.installations,
                "repositories": done.repositories,
                "queued": done.queued,
                "skipped": done.skipped,
            },
            status_code=202,
        )

    return [Route(RECHECK_PATH, recheck, methods=["POST"])]
