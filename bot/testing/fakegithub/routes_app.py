"""App-level endpoints (JWT): installation tokens, installations, webhook deliveries."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import iso
from .http import ApiError, Call, endpoint, unprocessable
from .schemas import validation_errors
from .state import FakeGitHub


async def access_token(call: Call) -> Response:
    installation_id = int(call.param("installation_id"))
    if installation_id not in call.gh.installations:
        raise ApiError(404, "Not Found")
    if call.body is not None and (
        errors := validation_errors(
            "POST /app/installations/{installation_id}/access_tokens", call.body
        )
    ):
        raise unprocessable(*errors, message="Invalid request.")
    token = call.gh.tokens.mint(installation_id)
    return JSONResponse(
        {
            "token": token.value,
            "expires_at": iso(token.expires_at),
            "permissions": {"checks": "write", "pull_requests": "write", "contents": "read"},
            "repository_selection": "all",
        },
        status_code=201,
    )


async def repo_installation(call: Call) -> Response:
    repo = call.repo()
    return JSONResponse(
        {
            "id": repo.installation_id,
            "app_id": call.gh.app_id,
            "app_slug": call.gh.app_slug,
            "account": {"login": repo.owner, "type": "Organization"},
            "target_type": "Organization",
            "repository_selection": "all",
        }
    )


async def list_deliveries(call: Call) -> Response:
    per_page = max(1, min(call.query_int("per_page", 30), 100))
    newest_first = sorted(call.gh.deliveries, key=lambda d: d.id, reverse=True)
    cursor = call.request.query_params.get("cursor")
    if cursor:
        newest_first = [d for d in newest_first if d.id < int(cursor.removeprefix("v1_"))]
    page = newest_first[:per_page]
    headers = {}
    if len(newest_first) > per_page:
        url = call.request.url.include_query_params(
            per_page=str(per_page), cursor=f"v1_{page[-1].id}"
        )
        headers["link"] = f'<{url}>; rel="next"'
    return JSONResponse(
        [
            {
                "id": d.id,
                "guid": d.guid,
                "delivered_at": d.delivered_at,
                "redelivery": d.redelivery,
                "duration": 0.05,
                "status": d.status,
                "status_code": d.status_code,
                "event": d.event,
                "action": d.action,
                "installation_id": d.installation_id,
                "repository_id": d.repository_id,
            }
            for d in page
        ],
        headers=headers,
    )


async def redeliver(call: Call) -> Response:
    delivery_id = int(call.param("delivery_id"))
    original = next((d for d in call.gh.deliveries if d.id == delivery_id), None)
    if original is None:
        raise ApiError(404, "Not Found")
    call.gh.add_delivery(
        original.guid,
        original.event,
        original.action,
        call.gh.redelivery_status,
        iso(datetime.now(UTC)),
    ).redelivery = True
    return JSONResponse({}, status_code=202)


async def the_app(call: Call) -> Response:
    """``GET /app``: the authenticated App (a subset of GitHub's fields)."""
    gh = call.gh
    web = gh.url.removesuffix("/api/v3") if gh.url else "https://github.example"
    return JSONResponse(
        {
            "id": gh.app_id,
            "slug": gh.app_slug,
            "name": gh.app_slug,
            "owner": {"login": "acme", "type": "Organization"},
            "html_url": f"{web}/apps/{gh.app_slug}",
        }
    )


def routes(gh: FakeGitHub) -> list[Route]:
    return [
        endpoint(gh, "GET", "/app", the_app, auth="app"),
        endpoint(
            gh,
            "POST",
            "/app/installations/{installation_id:int}/access_tokens",
            access_token,
            auth="app",
        ),
        endpoint(gh, "GET", "/repos/{owner}/{repo}/installation", repo_installation, auth="app"),
        endpoint(gh, "GET", "/app/hook/deliveries", list_deliveries, auth="app"),
        endpoint(
            gh, "POST", "/app/hook/deliveries/{delivery_id:int}/attempts", redeliver, auth="app"
        ),
    ]
