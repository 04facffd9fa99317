"""A capped retry policy: how long to wait before trying a failed call again, if at all."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import GitHubError, NetworkError, NotFound, RateLimited, ServerError


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries.

    - rate limits (403/429): wait `retry-after` or until `x-ratelimit-reset`, but give up at once
      when that is longer than `max_wait`; without a hint, back off exponentially but at least
      `rate_limit_floor` (GitHub asks for a minute), again giving up beyond `max_wait`;
    - 5xx and network errors: exponential back-off with jitter;
    - a 404 is retried once, after `base_delay`, only when the call asks for it;
    - nothing else is retried, and never more than `max_attempts` tries in all.
    """

    max_attempts: int = 4
    max_wait: float = 60.0
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.5
    rate_limit_floor: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(
        self, error: GitHubError, attempt: int, *, retry_not_found: bool = False
    ) -> float | None:
        """Seconds to wait before try `attempt + 1`, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        if isinstance(error, RateLimited):
            wait = error.retry_after
            if wait is None:
                wait = max(self._backoff(attempt), self.rate_limit_floor)
            return wait if wait <= self.max_wait else None
        if isinstance(error, ServerError | NetworkError):
            return self._backoff(attempt)
        if isinstance(error, NotFound) and retry_not_found and attempt == 1:
            return min(self.base_delay, self.max_wait)
        return None

    def _backoff(self, attempt: int) -> float:
        raw = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay, self.max_wait)
        return raw * (1 - self.jitter * self.rng.random())
