"""Per-request plumbing of the fake: auth, request log, faults, rate-limit headers, paging."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import check_jwt
from .state import FakeGitHub, LoggedRequest, Repo

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answer in GitHub's shape."""

    def __init__(self, status: int, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return JSONResponse(body, status_code=self.status)


def unprocessable(*errors: Any, message: str = "Unprocessable Entity") -> ApiError:
    return ApiError(422, message, list(errors))


@dataclass
class Call:
    """What a handler sees: the state, the request, its JSON body and the caller."""

    gh: FakeGitHub
    request: Request
    body: Any
    installation_id: int | None

    def param(self, name: str) -> Any:
        return self.request.path_params[name]

    @property
    def installation_repos(self) -> set[str]:
        return {n for n, r in self.gh.repos.items() if r.installation_id == self.installation_id}

    def repo(self) -> Repo:
        full = f"{self.param('owner')}/{self.param('repo')}"
        repo = self.gh.repos.get(full)
        if repo is None or (
            self.installation_id is not None and repo.installation_id != self.installation_id
        ):
            raise ApiError(404, "Not Found")
        return repo

    def query_int(self, name: str, default: int) -> int:
        try:
            return int(self.request.query_params.get(name, default))
        except ValueError:
            return default


Handler = Callable[[Call], Awaitable[Response]]


def _route_name(method: str, path: str) -> str:
    return f"{method} " + re.sub(r":\w+}", "}", path)


def _rate_headers(gh: FakeGitHub, resource: str) -> dict[str, str]:
    with gh.lock:
        gh.rate_used[resource] += 1
        used = gh.rate_used[resource]
    return {
        "x-ratelimit-limit": str(gh.rate_limit),
        "x-ratelimit-remaining": str(max(gh.rate_limit - used, 0)),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-used": str(used),
        "x-ratelimit-resource": resource,
        "x-github-api-version-selected": "2022-11-28",
    }


def _caller(gh: FakeGitHub, request: Request, auth: str) -> int | None:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if auth == "none":
        return None
    if auth == "app":
        if scheme.lower() != "bearer":
            raise ApiError(401, "A JSON web token could not be decoded")
        problem = check_jwt(credential, gh.keys.public_pem, gh.app_id)
        if problem:
            raise ApiError(401, problem)
        return None
    if scheme.lower() not in ("token", "bearer"):
        raise ApiError(401, "Requires authentication")
    installation = gh.tokens.installation_for(credential)
    if installation is None:
        raise ApiError(401, "Bad credentials")
    return installation


def endpoint(
    gh: FakeGitHub, method: str, path: str, handler: Handler, *, auth: str = "installation"
) -> Route:
    """A Starlette route running `handler` behind the fake's per-request plumbing."""
    name = _route_name(method, path)
    resource = "graphql" if path.endswith("graphql") else "core"

    async def run(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        logged = LoggedRequest(
            method,
            request.url.path,
            request.url.query,
            dict(request.headers),
            None if body is ValueError else body,
            name,
        )
        with gh.lock:
            gh.requests.append(logged)
            gh.counters[name] += 1
        headers = _rate_headers(gh, resource)
        response = await _answer(gh, request, body, handler, auth)
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        logged.status = response.status_code
        return response

    return Route(path, run, methods=[method], name=name)


async def _answer(
    gh: FakeGitHub, request: Request, body: Any, handler: Handler, auth: str
) -> Response:
    if gh.latency > 0:
        await asyncio.sleep(gh.latency)
    fault = gh.faults.take(request.method, request.url.path)
    if fault is not None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            payload = (
                fault.body
                if fault.body is not None
                else {
                    "message": f"fault injected: {fault.status}",
                    "documentation_url": DOCS,
                }
            )
            return JSONResponse(payload, status_code=fault.status, headers=fault.headers)
    try:
        if body is ValueError:
            raise ApiError(400, "Problems parsing JSON")
        installation = _caller(gh, request, auth)
        return await handler(Call(gh, request, body, installation))
    except ApiError as error:
        return error.response()


def paginate(
    call: Call, items: list[Any], *, default: int = 30, cap: int | None = None
) -> JSONResponse:
    """A page of `items` by `page`/`per_page` (≤ 100) with GitHub's `Link` header."""
    per_page = max(1, min(call.query_int("per_page", default), 100))
    page = max(1, call.query_int("page", 1))
    if cap is not None:
        items = items[:cap]
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []
    url = call.request.url

    def link(n: int, rel: str) -> str:
        query = dict(call.request.query_params) | {"per_page": str(per_page), "page": str(n)}
        return f'<{url.replace(query=urlencode(query))}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    headers = {"link": ", ".join(links)} if links else {}
    return JSONResponse(chunk, headers=headers)
