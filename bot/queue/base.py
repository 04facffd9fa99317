"""The queue interface every backend (memory, SQLite, Redis) implements.

Semantics shared by all backends:

* ``enqueue`` returns only once the job is durable. A ``dedup_id`` is remembered for
  ``DEDUP_SECONDS`` (7 days); a second enqueue with it stores nothing and returns False.
* A job waiting with the same ``coalesce_key`` is replaced in place by the newer payload
  (it keeps its place in the line). When the job for that key is leased, the newer one is
  stored as a new job that is not handed out while the older one's lease is valid.
* Every enqueue with a ``coalesce_key`` gets a higher ``generation``; ``is_superseded``
  tells a running job that a newer one exists, so it does not publish over it. ``lease``
  drops superseded jobs instead of handing them out.
* ``lease`` is fair across ``fair_key``s (the App's: one per installation): ``busy`` counts
  the caller's jobs in hand by key, and the lease hands out the oldest due job among those
  whose key has the fewest (a job without a key counts as none), and none whose key has
  ``limit`` or more. One installation's burst then does not fill a worker whose writes
  GitHub paces per installation.
* A lease is fenced by its ``token``: once it expired and the job was leased again,
  ``renew``, ``complete`` and ``fail`` from the old holder return False and change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

DEDUP_SECONDS = 7 * 24 * 3600.0
"""How long a ``dedup_id`` is remembered (GitHub redelivers for up to 3 days)."""

EMPTY: Mapping[str, int] = MappingProxyType({})
"""No jobs in hand: ``lease``'s default ``busy``."""

LEASE_EXPIRED = "lease expired: the worker stopped renewing it (killed?)"
WORKER_DIED = "worker died: its process no longer runs (killed?)"


@dataclass(frozen=True)
class Leased:
    """A job handed to a worker, until it calls ``complete`` or ``fail`` or its lease expires."""

    id: str
    payload: dict[str, object]
    attempts: int
    token: str
    coalesce_key: str | None = None
    generation: int = 0
    last_error: str | None = None
    fair_key: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A job given up on, with the error of its last attempt."""

    id: str
    payload: dict[str, object]
    attempts: int
    error: str


class Queue(Protocol):
    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        """Store the job durably; False when ``dedup_id`` was seen before (nothing stored)."""
        ...

    async def lease(
        self,
        *,
        lease_seconds: float,
        busy: Mapping[str, int] = EMPTY,
        limit: int | None = None,
    ) -> Leased | None:
        """Take the oldest due job (waiting, or leased with its lease expired) among those whose
        ``fair_key`` is least ``busy`` (and busy less than ``limit``); None when none is."""
        ...

    async def renew(self, job: Leased, *, lease_seconds: float) -> bool:
        """Extend the lease (heartbeat); False when it was lost."""
        ...

    async def complete(self, job: Leased) -> bool:
        """Delete the job; False when the lease was lost (someone else has it now)."""
        ...

    async def fail(self, job: Leased, error: str, *, retry_in: float | None) -> bool:
        """Record a failure; re-queue after ``retry_in`` seconds, or dead-letter when None."""
        ...

    async def is_superseded(self, job: Leased) -> bool:
        """True when a newer job with the same ``coalesce_key`` was enqueued."""
        ...

    async def seen(self, dedup_id: str) -> bool:
        """True when an enqueue with ``dedup_id`` would be refused as a duplicate."""
        ...

    async def depth(self) -> int:
        """Jobs waiting (due now or later), not counting leased ones."""
        ...

    async def oldest_age(self) -> float | None:
        """Seconds the oldest job due now has been waiting since it was enqueued, or None."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    async def close(self) -> None: ...
