"""An in-process queue for unit tests: same semantics as the durable backends, no durability."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from bot.queue.base import DEDUP_SECONDS, EMPTY, LEASE_EXPIRED, DeadLetter, Leased


@dataclass
class _Job:
    id: str
    seq: int
    payload: dict[str, object]
    coalesce_key: str | None
    generation: int
    enqueued_at: float
    due_at: float  # when waiting: runnable from; when leased: lease end
    attempts: int = 0
    leased: bool = False
    token: str | None = None
    error: str | None = None
    fair_key: str | None = None


class MemoryQueue:
    """Every method runs without awaiting, so each one is atomic on the event loop."""

    def __init__(self, *, dedup_seconds: float = DEDUP_SECONDS) -> None:
        self._jobs: dict[str, _Job] = {}
        self._dead: list[DeadLetter] = []
        self._seen: dict[str, float] = {}
        self._generations: dict[str, int] = {}
        self._seq = 0
        self._dedup_seconds = dedup_seconds

    async def seen(self, dedup_id: str) -> bool:
        seen = self._seen.get(dedup_id)
        return seen is not None and time.time() - seen < self._dedup_seconds

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        now = time.time()
        seen = self._seen.get(dedup_id)
        if seen is not None and now - seen < self._dedup_seconds:
            return False
        self._seen[dedup_id] = now
        payload = copy.deepcopy(payload)
        generation = 0
        if coalesce_key is not None:
            generation = self._generations.get(coalesce_key, 0) + 1
            self._generations[coalesce_key] = generation
            for job in self._jobs.values():
                if job.coalesce_key == coalesce_key and not job.leased:
                    job.payload, job.generation = payload, generation
                    job.attempts, job.error = 0, None
                    return True
        self._seq += 1
        job_id = uuid.uuid4().hex
        self._jobs[job_id] = _Job(
            job_id, self._seq, payload, coalesce_key, generation, now, now, fair_key=fair_key
        )
        return True

    async def lease(
        self,
        *,
        lease_seconds: float,
        busy: Mapping[str, int] = EMPTY,
        limit: int | None = None,
    ) -> Leased | None:
        now = time.time()
        running = {j.coalesce_key for j in self._jobs.values() if j.leased and j.due_at > now} - {
            None
        }

        def load(job: _Job) -> int:
            return busy.get(job.fair_key, 0) if job.fair_key else 0

        due = [j for j in self._jobs.values() if j.due_at <= now]
        for job in sorted(due, key=lambda j: (load(j), j.due_at, j.seq)):
            if limit is not None and load(job) >= limit:
                break
            if self._superseded(job.coalesce_key, job.generation):
                del self._jobs[job.id]
                continue
            if job.coalesce_key in running:
                continue
            if job.leased:
                job.error = job.error or LEASE_EXPIRED
            job.leased, job.token = True, uuid.uuid4().hex
            job.attempts += 1
            job.due_at = now + lease_seconds
            return Leased(
                job.id,
                copy.deepcopy(job.payload),
                job.attempts,
                job.token,
                job.coalesce_key,
                job.generation,
                job.error,
                job.fair_key,
            )
        return None

    def _held(self, lease: Leased) -> _Job | None:
        job = self._jobs.get(lease.id)
        if job is None or not job.leased or job.token != lease.token:
            return None
        return job

    async def renew(self, job: Leased, *, lease_seconds: float) -> bool:
        held = self._held(job)
        if held is None:
            return False
        held.due_at = time.time() + lease_seconds
        return True

    async def complete(self, job: Leased) -> bool:
        if self._held(job) is None:
            return False
        del self._jobs[job.id]
        return True

    async def fail(self, job: Leased, error: str, *, retry_in: float | None) -> bool:
        held = self._held(job)
        if held is None:
            return False
        if retry_in is None:
            del self._jobs[job.id]
            self._dead.append(DeadLetter(held.id, held.payload, held.attempts, error))
            return True
        held.leased, held.token, held.error = False, None, error
        held.due_at = time.time() + retry_in
        return True

    def _superseded(self, key: str | None, generation: int) -> bool:
        return key is not None and self._generations.get(key, 0) > generation

    async def is_superseded(self, job: Leased) -> bool:
        return self._superseded(job.coalesce_key, job.generation)

    async def depth(self) -> int:
        return sum(not j.leased for j in self._jobs.values())

    async def oldest_age(self) -> float | None:
        now = time.time()
        due = [j.enqueued_at for j in self._jobs.values() if not j.leased and j.due_at <= now]
        return now - min(due) if due else None

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return self._dead[-limit:][::-1]

    async def close(self) -> None:
        pass
