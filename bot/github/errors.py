"""Errors of GitHub calls: one hierarchy, each knowing whether a retry may help."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any


class GitHubError(Exception):
    """A GitHub call failed. `status` is 0 when no HTTP answer came back."""

    transient = False

    def __init__(
        self,
        status: int,
        message: str,
        endpoint: str,
        *,
        errors: list[Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{endpoint}: {status} {message}")
        self.status = status
        self.message = message
        self.endpoint = endpoint
        self.errors = errors or []
        self.retry_after = retry_after

    @property
    def is_transient(self) -> bool:
        """True if the same call may succeed later (5xx, network, rate limits)."""
        return self.transient


class NetworkError(GitHubError):
    """No answer: connection refused or reset, timeout."""

    transient = True


class ServerError(GitHubError):
    """5xx."""

    transient = True


class RateLimited(GitHubError):
    """403/429 from a primary or secondary rate limit; `retry_after` seconds if GitHub said."""

    transient = True


class Unauthorized(GitHubError):
    """401: bad or expired credentials."""


class Forbidden(GitHubError):
    """403 that is not a rate limit, e.g. a missing permission."""


class NotFound(GitHubError):
    """404."""


class Conflict(GitHubError):
    """409, or a branch that moved under a commit."""


class ValidationFailed(GitHubError):
    """422: GitHub refused the request body."""


class GraphQLError(GitHubError):
    """A GraphQL answer with `errors`."""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    if "retry-after" in headers:
        try:
            return max(float(headers["retry-after"]), 0.0)
        except ValueError:
            return None
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0)
        except ValueError:
            return None
    return None


def from_response(status: int, headers: Mapping[str, str], body: Any, endpoint: str) -> GitHubError:
    """The error for a failed HTTP answer."""
    message = str(body.get("message", "")) if isinstance(body, dict) else ""
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = errors if isinstance(errors, list) else None
    retry_after = _retry_after(headers)
    limited = (
        status == 429
        or (status == 403 and retry_after is not None)
        or (status == 403 and "rate limit" in message.lower())
    )
    kind: type[GitHubError]
    if limited:
        kind = RateLimited
    elif status >= 500:
        kind = ServerError
    else:
        kind = {
            401: Unauthorized,
            403: Forbidden,
            404: NotFound,
            409: Conflict,
            422: ValidationFailed,
        }.get(status, GitHubError)
    return kind(
        status, message or f"HTTP {status}", endpoint, errors=errors, retry_after=retry_after
    )
