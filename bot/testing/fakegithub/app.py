"""The fake's Starlette app: REST at `/` and `/api/v3`, GraphQL at `/graphql`, `/api/graphql`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount

from . import (
    graphql,
    routes_app,
    routes_checks,
    routes_git,
    routes_manifest,
    routes_pulls,
    routes_repos,
)
from .http import ApiError, Call, endpoint
from .state import FakeGitHub


def _graphql_handler() -> object:
    async def run(call: Call) -> Response:
        if not isinstance(call.body, dict) or not isinstance(call.body.get("query"), str):
            raise ApiError(400, "Problems parsing JSON")
        return JSONResponse(graphql.execute(call.gh, call.body["query"], call.installation_repos))

    return run


def create_app(gh: FakeGitHub) -> Starlette:
    """Every endpoint the App uses, bound to `gh`."""
    rest: list[BaseRoute] = [
        *routes_app.routes(gh),
        *routes_pulls.routes(gh),
        *routes_checks.routes(gh),
        *routes_git.routes(gh),
        *routes_manifest.routes(gh),
        *routes_repos.routes(gh),
    ]
    handler = _graphql_handler()

    async def not_found(call: Call) -> Response:
        raise ApiError(404, "Not Found")

    methods = ("GET", "POST", "PATCH", "PUT", "DELETE")
    fallback = [endpoint(gh, m, "/{rest:path}", not_found, auth="none") for m in methods]
    return Starlette(
        routes=[
            endpoint(gh, "POST", "/graphql", handler),  # type: ignore[arg-type]
            endpoint(gh, "POST", "/api/graphql", handler),  # type: ignore[arg-type]
            Mount("/api/v3", routes=rest),
            *rest,
            *fallback,
        ]
    )
