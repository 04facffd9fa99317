"""The queue interface every backend (memory, SQLite, Redis) implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Leased:
    """A job handed to a worker, until it calls ``complete`` or ``fail`` or its lease expires."""

    id: str
    payload: dict[str, object]
    attempts: int


class Queue(Protocol):
    async def enqueue(
        self, payload: dict[str, object], *, dedup_id: str, coalesce_key: str | None = None
    ) -> bool:
        """Store the job durably; False when ``dedup_id`` was seen before (nothing stored).

        A job with the same ``coalesce_key`` still waiting is replaced by the newer one.
        """
        ...

    async def lease(self, *, lease_seconds: float) -> Leased | None:
        """Take the oldest due job, or None."""
        ...

    async def complete(self, job_id: str) -> None: ...

    async def fail(self, job_id: str, error: str, *, retry_in: float | None) -> None:
        """Record a failure; re-queue after ``retry_in`` seconds, or give up when None."""
        ...

    async def depth(self) -> int: ...

    async def close(self) -> None: ...
