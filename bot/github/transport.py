"""One authenticated channel to GitHub: retries, write pacing, metrics, error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from githubkit import GitHub
from githubkit.exception import (
    GitHubException,
    RequestError,
    RequestFailed,
)

from .errors import GitHubError, GraphQLError, NetworkError, RateLimited, from_response
from .pacing import Pacer
from .retry import RetryPolicy

MetricHook = Callable[[str, int], None]
"""Called once per HTTP attempt with the endpoint template and the status (0: no answer)."""

RateLimitHook = Callable[[str, int], None]
"""Called with ``x-ratelimit-resource`` (``core``, ``graphql``, ...) and ``x-ratelimit-remaining``
whenever an answer carries them."""

Sleep = Callable[[float], Awaitable[None]]

TOKEN_ENDPOINT = "POST /app/installations/{installation_id}/access_tokens"

_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Requester:
    """Sends requests through a githubkit client (whose own auto-retry is off)."""

    def __init__(
        self,
        github: GitHub[Any],
        *,
        graphql_url: str,
        retry: RetryPolicy,
        pacer: Pacer,
        on_request: MetricHook | None = None,
        sleep: Sleep = asyncio.sleep,
        on_rate_limit: RateLimitHook | None = None,
    ) -> None:
        self.github = github
        self.graphql_url = graphql_url
        self.retry = retry
        self.pacer = pacer
        self.on_request = on_request
        self.on_rate_limit = on_rate_limit
        self._sleep = sleep

    async def request(
        self,
        method: str,
        endpoint: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retry_not_found: bool = False,
        write: bool | None = None,
    ) -> httpx.Response:
        """Send `method url`, retrying per the policy; `endpoint` names it in errors and metrics."""
        is_write = method in _WRITES if write is None else write
        attempt = 0
        while True:
            attempt += 1
            if is_write:
                await self.pacer.wait()
            try:
                return await self._send(method, endpoint, url, params, json, headers)
            except GitHubError as error:
                wait = self.retry.delay(error, attempt, retry_not_found=retry_not_found)
                if wait is None:
                    raise
                await self._sleep(wait)

    async def _send(
        self,
        method: str,
        endpoint: str,
        url: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        try:
            response = await self.github.arequest(
                method, url, params=params, json=json, headers=headers
            )
        except RequestFailed as failed:
            raise self._failed(failed, endpoint) from failed
        except RequestError as failed:
            if isinstance(failed.exc, RequestFailed):  # the token request, inside the auth flow
                raise self._failed(failed.exc, TOKEN_ENDPOINT) from failed
            self._record(endpoint, 0)
            raise NetworkError(0, repr(failed.exc), endpoint) from failed
        except GitHubException as failed:
            self._record(endpoint, 0)
            raise GitHubError(0, repr(failed), endpoint) from failed
        self._record(endpoint, response.status_code, response.raw_response.headers)
        return response.raw_response

    def _failed(self, failed: RequestFailed, endpoint: str) -> GitHubError:
        raw = failed.response.raw_response
        self._record(endpoint, raw.status_code, raw.headers)
        return from_response(raw.status_code, raw.headers, _body(raw), endpoint)

    def _record(self, endpoint: str, status: int, headers: httpx.Headers | None = None) -> None:
        if self.on_request is not None:
            self.on_request(endpoint, status)
        if self.on_rate_limit is not None and headers is not None:
            remaining = headers.get("x-ratelimit-remaining")
            if remaining is not None and remaining.isdigit():
                self.on_rate_limit(headers.get("x-ratelimit-resource", "core"), int(remaining))

    async def json(self, method: str, endpoint: str, url: str, **kwargs: Any) -> Any:
        """`request()` and decode the JSON answer."""
        return (await self.request(method, endpoint, url, **kwargs)).json()

    async def paginate(
        self,
        endpoint: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """Every item of a list endpoint, following `Link: rel="next"`, at most `limit`."""
        items: list[Any] = []
        next_url: str | None = url
        query = params
        while next_url is not None and (limit is None or len(items) < limit):
            response = await self.request("GET", endpoint, next_url, params=query)
            items.extend(response.json())
            next_url = response.links.get("next", {}).get("url")
            query = None
        return items if limit is None else items[:limit]

    async def graphql(self, query: str, *, write: bool = False) -> dict[str, Any]:
        """Run a GraphQL document; GraphQL `errors` become GraphQLError (or RateLimited)."""
        attempt = 0
        while True:
            attempt += 1
            body = await self.json(
                "POST", "POST /graphql", self.graphql_url, json={"query": query}, write=write
            )
            errors = body.get("errors") if isinstance(body, dict) else None
            if not errors:
                return dict(body.get("data") or {})
            kinds = {str(e.get("type", "")) for e in errors}
            message = "; ".join(str(e.get("message", "")) for e in errors)
            error: GitHubError
            if kinds & {"RATE_LIMIT", "RATE_LIMITED"}:
                error = RateLimited(200, message, "POST /graphql", errors=errors)
            else:
                raise GraphQLError(200, message, "POST /graphql", errors=errors)
            wait = self.retry.delay(error, attempt)
            if wait is None:
                raise error
            await self._sleep(wait)
