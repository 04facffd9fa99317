"""The Redis backend: our lease interface over saq's ``RedisQueue`` primitives.

saq's own ``Worker`` runs functions by name and owns retries and sweeps; we need leases a
worker renews, fences and fails with its own back-off, so we drive saq's ``Queue`` directly:

=====================  ==================================================================
ours                   saq
=====================  ==================================================================
job                    ``Job(key=dedup_id, kwargs={payload, coalesce_key, generation})``,
                       ``timeout=0`` and ``heartbeat=0`` (saq never sweeps it as stuck)
``enqueue``            ``Queue.enqueue`` (atomic; refuses a key still incomplete)
``lease``              ``Queue.schedule`` (due retries → queued), ``Queue.dequeue``
                       (BLMOVE queued → active), then the activation below
``complete``           what ``Queue.finish(COMPLETE)`` with ``ttl=-1`` writes (job deleted)
``fail`` (retry)       what ``Queue.retry`` writes (due ``retry_in`` s later, incomplete zset)
``fail`` (give up)     what ``Queue.finish(FAILED)`` writes, kept ``dead_seconds``, plus our
                       ``dead`` list
=====================  ==================================================================

Plain Redis commands do only what saq cannot express:

* the dedup ids: ``SET dedup:<id> EX 7d``; saq's key uniqueness lasts only while a job is
  incomplete.
* coalescing: ``gen:<key>`` (INCR) hands out generations, ``latest:<key>`` (raised by a
  tiny script, only after the job is stored) is what ``is_superseded`` compares with, and
  ``coalesce:<key>`` names the job a newer payload may replace in place. All expire in 7 days.
* "a newer job waits while the older one runs": ``running:<key>`` holds the lease token
  (PX lease). A job dequeued while another holds it goes back to the schedule for half a
  second.
* the lease itself: activation (status ACTIVE, ``worker_id`` = lease token, ``meta.lease_until``)
  ``renew``, ``complete``, ``fail`` and the reaper are WATCH/MULTI transactions on the job's
  key *and* its ``running:<key>``: the lock is taken in the transaction that activates the job
  and deleted in the one that takes it out of ``active``, so a process killed between any
  two Redis calls never leaves a lock without its ACTIVE job (the pull request's jobs would
  wait out the lock's PX) nor an ACTIVE job whose lock recovery cannot free. (These writes
  mirror saq's ``finish``/``retry``, which cannot join our transaction.) A lock no ACTIVE
  job holds (written by an earlier version) is taken over by the next job that needs it.
* We do not use ``Queue.sweep``: it treats a job between BLMOVE and its activation as stuck and
  re-queues it while a worker starts it (saq issues #124, #277), so two workers could run
  one job. Our reaper only re-queues an ACTIVE job whose lease ended, or a job left in
  ``active`` un-activated (its leaser died) after ``ORPHAN_GRACE`` seconds.

Dead workers (saq issue #127: a killed worker's jobs stay in ``active`` until a timeout) are
found by saq's own worker registry: each queue object is a worker that writes
``worker_info:<worker_id>`` as ``Queue.write_worker_info`` does (SET EX, ``worker_ttl`` seconds,
refreshed every third of it by a thread, so a busy event loop is not taken for a dead
process), and each job it activates records that id in
``meta["worker"]``. The reaper re-queues at once an ACTIVE job whose worker's key has expired,
and frees the pull request's ``running:<key>`` lock the dead lease held, so a SIGKILLed
process's reviews resume ``worker_ttl`` seconds after the kill instead of a lease (120 s)
later. ``recovered`` counts them (``linkname_queue_recovered_total``). A graceful close deletes
the key; its jobs were finished first.

Durability is the server's: run Redis with ``appendonly yes`` (``appendfsync everysec`` loses
at most a second of enqueues on power loss; ``always`` none). A killed client loses nothing.
Do not run saq's ``Worker`` or its sweeps on this queue's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError
from saq.job import TERMINAL_STATUSES, Job, Status
from saq.queue.redis import RedisQueue as SaqQueue

from bot.queue.base import DEDUP_SECONDS, EMPTY, LEASE_EXPIRED, WORKER_DIED, DeadLetter, Leased

ORPHAN_GRACE = 5.0
"""Seconds a dequeued job may stay un-activated before the reaper hands it out again.

Activation takes milliseconds; a reaper that takes the job back first changes its body, and
the activator's WATCH transaction then fails, so a short grace cannot run a job twice."""

WORKER_TTL = 5
"""Seconds a worker's registration outlives its last heartbeat (refreshed every third)."""

WATCH_TRIES = 10
"""Attempts of a WATCH transaction that keeps being interrupted (or cannot reach Redis)."""

DEFER_SECONDS = 0.5
"""How long a job waits when another job with its coalesce key is running."""

FAIR_WINDOW = 1000
"""How many queued jobs, from the head, a lease with jobs in hand looks through at most (in
chunks of ``FAIR_CHUNK``, stopping at the first job of an idle fair key)."""

FAIR_CHUNK = 100

TAKE_QUEUED = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[1])
    return 1
end
return 0
"""

RAISE_LATEST = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
    redis.call('EXPIRE', KEYS[1], ARGV[2])
end
"""


class RedisQueue:
    def __init__(
        self,
        url: str,
        *,
        name: str = "linkname-bot",
        dedup_seconds: float = DEDUP_SECONDS,
        dead_seconds: int = 30 * 24 * 3600,
        reap_every: float = 1.0,
        orphan_grace: float = ORPHAN_GRACE,
        worker_ttl: int = WORKER_TTL,
    ) -> None:
        # A restarted Redis: stale pooled connections are retried on a fresh one.
        self.redis: Redis = Redis.from_url(
            url,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 4),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=15,
        )
        self.saq = SaqQueue(self.redis, name=name)
        self._dedup_seconds = int(dedup_seconds)
        self._dead_seconds = dead_seconds
        self._raise_latest = self.redis.register_script(RAISE_LATEST)
        self._take_queued = self.redis.register_script(TAKE_QUEUED)
        self._reap_every = reap_every
        self._orphan_grace = orphan_grace
        self._reaped = 0.0
        self._orphans: dict[str, float] = {}
        self._closed = False
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._worker_ttl = max(1, worker_ttl)
        self._heartbeat: _Heartbeat | None = None
        self._url = url
        self._registered = False
        self.recovered = 0
        """Jobs of dead workers (or dead leasers) this process handed out again."""

    def _pipeline(self) -> Any:
        """A MULTI/EXEC pipeline (typed Any: redis-py's pipeline stubs do not chain)."""
        return self.redis.pipeline(transaction=True)

    def _ns(self, key: str) -> str:
        return self.saq.namespace(key)

    def _worker_key(self, worker_id: str) -> str:
        return self._ns(f"worker_info:{worker_id}")

    # the worker registry (saq's worker_info keys)

    async def _register(self) -> None:
        """Register this worker and keep the registration fresh until ``close``.

        The heartbeat is a thread with its own connection, not a task: an event loop busy
        with a long review must not look like a dead process (its jobs would run twice)."""
        if self._registered:
            return
        beat = _Heartbeat(
            self._url, self._worker_key(self.worker_id), self.saq.name, self._worker_ttl
        )
        await asyncio.to_thread(beat.beat)
        beat.start()
        self._heartbeat = beat
        self._registered = True

    async def _dead_workers(self, worker_ids: set[str]) -> set[str]:
        """The ids among ``worker_ids`` whose registration has expired."""
        ids = sorted(worker_ids)
        if not ids:
            return set()
        alive = await self.redis.mget([self._worker_key(i) for i in ids])
        return {i for i, info in zip(ids, alive, strict=True) if info is None}

    # enqueue

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        dedup = self._ns(f"dedup:{dedup_id}")
        if await self.redis.exists(dedup):
            return False
        generation = 0
        if coalesce_key is not None:
            gen_key = self._ns(f"gen:{coalesce_key}")
            async with self._pipeline() as pipe:
                generation, _ = (
                    await pipe.incr(gen_key).expire(gen_key, self._dedup_seconds).execute()
                )
        kwargs = {
            "payload": payload,
            "coalesce_key": coalesce_key,
            "generation": generation,
            "fair_key": fair_key,
        }
        if coalesce_key is None or not await self._replace_waiting(coalesce_key, kwargs):
            job = Job("review", kwargs=kwargs, key=dedup_id, timeout=0, ttl=-1, retries=0)
            if await self.saq.enqueue(job) is None:
                return False  # a job with this dedup id is still in the queue
            pointer = job.id
        else:
            pointer = None
        # The bookkeeping after the job is stored goes in one MULTI/EXEC (one round trip, one
        # append-only write), the dedup mark last as before.
        async with self._pipeline() as pipe:
            if coalesce_key is not None:
                if pointer is not None:
                    pipe.set(self._ns(f"coalesce:{coalesce_key}"), pointer, ex=self._dedup_seconds)
                await self._raise_latest(
                    keys=[self._ns(f"latest:{coalesce_key}")],
                    args=[generation, self._dedup_seconds],
                    client=pipe,
                )
            pipe.set(dedup, 1, ex=self._dedup_seconds)
            await pipe.execute()
        return True

    async def _replace_waiting(self, key: str, kwargs: dict[str, Any]) -> bool:
        """Give the waiting job for ``key`` the newer payload; False when none is waiting."""
        job_id = await self.redis.get(self._ns(f"coalesce:{key}"))
        if job_id is None:
            return False
        async with self._pipeline() as pipe:
            while True:
                try:
                    await pipe.watch(job_id)
                    job = self.saq.deserialize(await pipe.get(job_id))
                    if job is None or job.status != Status.QUEUED:
                        return False
                    job.kwargs, job.attempts, job.error = kwargs, 0, None
                    pipe.multi()
                    pipe.set(job_id, self.saq.serialize(job))
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    # lease

    async def lease(
        self,
        *,
        lease_seconds: float,
        busy: Mapping[str, int] = EMPTY,
        limit: int | None = None,
    ) -> Leased | None:
        await self._register()
        await self._reap()
        await self.saq.schedule(lock=1)
        for _ in range(100):
            job = await (
                self._dequeue_fairly(busy, limit) if busy else self.saq.dequeue(timeout=0.01)
            )
            if job is None:
                return None
            leased = await self._activate(job, lease_seconds)
            if leased is not None:
                return leased
        return None

    async def _dequeue_fairly(self, busy: Mapping[str, int], limit: int | None) -> Job | None:
        """saq's ``dequeue`` (queued → active), taking among the ``FAIR_WINDOW`` oldest queued
        jobs the oldest whose fair key is least ``busy`` (None if that is ``limit`` or more).
        The move is one script (LREM, then RPUSH only if this call removed it), so two
        leasers never both take a job."""
        while True:
            chosen, load = None, None
            for start in range(0, FAIR_WINDOW, FAIR_CHUNK):
                ids = await self.redis.lrange(self.saq._queued, start, start + FAIR_CHUNK - 1)
                bodies = await self.redis.mget(ids) if ids else []
                for job_id, raw in zip(ids, bodies, strict=True):
                    found = self._load(raw, busy)
                    if load is None or found < load:
                        chosen, load = job_id, found
                    if found == 0:
                        break
                if load == 0 or len(ids) < FAIR_CHUNK:
                    break
            if chosen is None or load is None or (limit is not None and load >= limit):
                return None
            taken = await self._take_queued(
                keys=[self.saq._queued, self.saq._active], args=[chosen]
            )
            if taken:
                return await self.saq._get_job_by_id(chosen)

    def _load(self, raw: bytes | str | None, busy: Mapping[str, int]) -> int:
        """How busy the fair key of a stored job (its raw body) is; 0 for none."""
        job = self.saq.deserialize(raw) if raw is not None else None
        key = (job.kwargs or {}).get("fair_key") if job is not None else None
        return busy.get(str(key), 0) if key is not None else 0

    async def _activate(self, seen: Job, lease_seconds: float) -> Leased | None:
        """Make a dequeued job ACTIVE under a new lease token, and take its pull request's
        ``running:<key>`` lock in the same MULTI/EXEC: a process killed at any moment leaves
        either both (the reaper frees them together) or neither, never a lock with no active
        job (the pull request's jobs would wait out the lock's 120 s) or the reverse."""
        token = uuid.uuid4().hex
        async with self._pipeline() as pipe:
            for _ in range(WATCH_TRIES):
                try:
                    return await self._try_activate(pipe, seen, token, lease_seconds)
                except WatchError:
                    continue  # the lock taken or the payload replaced meanwhile: look again
        return None  # left in ``active`` un-activated: the reaper hands it out again

    async def _try_activate(
        self, pipe: Any, seen: Job, token: str, lease_seconds: float
    ) -> Leased | None:
        await pipe.watch(seen.id)
        job = self.saq.deserialize(await pipe.get(seen.id))
        if job is None or job.status != Status.QUEUED or job.touched != seen.touched:
            await pipe.reset()
            return None  # finished meanwhile, or taken back by a reaper: it cleans up
        kwargs = job.kwargs or {}
        key, generation = kwargs["coalesce_key"], int(kwargs["generation"])
        running = None if key is None else self._ns(f"running:{key}")
        if key is not None and running is not None:
            if await self._latest(key) > generation:
                await pipe.reset()
                await self.saq.finish(job, Status.COMPLETE, result="superseded")
                return None
            await pipe.watch(running)
            holder = await pipe.get(running)
            if holder is not None and await self._holds(holder):
                await pipe.reset()
                await self._defer(job.id)
                return None
        job.status = Status.ACTIVE
        job.attempts += 1
        job.started = job.touched = _now_ms()
        job.worker_id = token
        job.meta["lease_until"] = time.time() + lease_seconds
        job.meta["worker"] = self.worker_id
        pipe.multi()
        pipe.set(job.id, self.saq.serialize(job))
        if running is not None:  # over an orphaned lock, if there was one
            pipe.set(running, token, px=_ms(lease_seconds))
        await pipe.execute()
        return Leased(
            job.id,
            kwargs["payload"],
            job.attempts,
            token,
            key,
            generation,
            job.error,
            kwargs.get("fair_key"),
        )

    async def _holds(self, holder: bytes) -> bool:
        """Whether a ``running:`` lock's token is the lease of an ACTIVE job.

        A lock and its job's activation are written together, so a lock no ACTIVE job holds
        is orphaned (left by a version that wrote them apart): whoever needs it takes it over.
        The caller WATCHes the lock, so a holder finishing meanwhile aborts its transaction."""
        ids = await self.redis.lrange(self.saq._active, 0, -1)
        jobs = [self.saq.deserialize(raw) for raw in await self.redis.mget(ids)] if ids else []
        token = holder.decode()
        return any(
            j is not None and j.status == Status.ACTIVE and j.worker_id == token for j in jobs
        )

    async def _defer(self, job_id: str) -> None:
        """Put a dequeued job back on the schedule (saq's retry would rewrite its body)."""
        async with self._pipeline() as pipe:
            pipe.lrem(self.saq._active, 1, job_id)
            pipe.zadd(self.saq._incomplete, {job_id: time.time() + DEFER_SECONDS})
            await pipe.execute()

    async def _reap(self) -> None:
        """Hand out again jobs whose worker died, whose lease ended, or whose leaser died
        between dequeue and activation."""
        now = time.time()
        if now - self._reaped < self._reap_every:
            return
        self._reaped = now
        ids = await self.redis.lrange(self.saq._active, 0, -1)
        active = {i.decode() if isinstance(i, bytes) else i for i in ids}
        self._orphans = {i: t for i, t in self._orphans.items() if i in active}
        jobs = (
            [self.saq.deserialize(raw) for raw in await self.redis.mget(sorted(active))]
            if active
            else []
        )
        workers = {
            str(j.meta.get("worker")) for j in jobs if j is not None and j.meta.get("worker")
        }
        dead = await self._dead_workers(workers)
        for job_id in active:
            async with self._pipeline() as pipe:
                try:
                    await pipe.watch(job_id)
                    job = self.saq.deserialize(await pipe.get(job_id))
                    if job is None or job.status in TERMINAL_STATUSES:
                        pipe.multi()
                        pipe.lrem(self.saq._active, 0, job_id)
                    elif job.status == Status.ACTIVE and job.meta.get("worker") in dead:
                        await self._free_running(pipe, job)
                        self._requeue(pipe, job, WORKER_DIED)
                        self.recovered += 1
                    elif job.status == Status.ACTIVE and job.meta.get("lease_until", 0) < now:
                        await self._free_running(pipe, job)
                        self._requeue(pipe, job, LEASE_EXPIRED)
                    elif job.status == Status.QUEUED:
                        if now - self._orphans.setdefault(job_id, now) < self._orphan_grace:
                            continue
                        self._requeue(pipe, job, job.error)
                        self.recovered += 1
                    else:
                        continue
                    await pipe.execute()
                except WatchError:
                    continue

    async def _free_running(self, pipe: Any, job: Job) -> None:
        """Watch the job's ``running:<key>`` lock; ``_requeue`` deletes it if the job holds it."""
        key = (job.kwargs or {}).get("coalesce_key")
        if key is None:
            return
        running = self._ns(f"running:{key}")
        await pipe.watch(running)
        holder = await pipe.get(running)
        if holder is not None and holder.decode() == job.worker_id:
            job.meta["free_running"] = running

    def _requeue(self, pipe: Any, job: Job, error: str | None) -> None:
        running = job.meta.pop("free_running", None)
        job.meta.pop("worker", None)
        job.status, job.error, job.worker_id, job.touched = Status.QUEUED, error, None, _now_ms()
        pipe.multi()
        if running is not None:
            pipe.delete(running)
        pipe.set(job.id, self.saq.serialize(job))
        pipe.lrem(self.saq._active, 0, job.id)
        pipe.zadd(self.saq._incomplete, {job.id: 0})
        pipe.lpush(self.saq._queued, job.id)  # at the head: it is the oldest

    # holding a lease

    async def renew(self, job: Leased, *, lease_seconds: float) -> bool:
        async with self._pipeline() as pipe:
            try:
                await pipe.watch(job.id)
                current = self.saq.deserialize(await pipe.get(job.id))
                if current is None or current.status != Status.ACTIVE:
                    return False
                if current.worker_id != job.token:
                    return False
                current.touched = _now_ms()
                current.meta["lease_until"] = time.time() + lease_seconds
                pipe.multi()
                pipe.set(job.id, self.saq.serialize(current))
                if job.coalesce_key is not None:
                    running = self._ns(f"running:{job.coalesce_key}")
                    pipe.set(running, job.token, px=_ms(lease_seconds))
                await pipe.execute()
                return True
            except WatchError:
                return False

    async def complete(self, job: Leased) -> bool:
        return await self._finish(job, lambda current, pipe: self._delete(current, pipe))

    async def fail(self, job: Leased, error: str, *, retry_in: float | None) -> bool:
        if retry_in is None:
            return await self._finish(job, lambda current, pipe: self._bury(current, pipe, error))
        return await self._finish(
            job, lambda current, pipe: self._retry(current, pipe, error, retry_in)
        )

    async def _finish(self, job: Leased, write: Callable[[Job, Any], None]) -> bool:
        """If ``job``'s lease is still held, ``write`` its end and free its pull request's
        ``running:`` lock in one MULTI/EXEC (WATCHing both): the job leaves ``active`` and
        the lock is released together, whatever dies when. False when the lease was lost."""
        async with self._pipeline() as pipe:
            for attempt in range(WATCH_TRIES):
                try:
                    await pipe.watch(job.id)
                    current = self.saq.deserialize(await pipe.get(job.id))
                    if current is None or current.status != Status.ACTIVE:
                        return False
                    if current.worker_id != job.token:
                        return False
                    running = None
                    if job.coalesce_key is not None:
                        running = self._ns(f"running:{job.coalesce_key}")
                        await pipe.watch(running)
                        if await pipe.get(running) != job.token.encode():
                            running = None
                    pipe.multi()
                    write(current, pipe)
                    if running is not None:
                        pipe.delete(running)
                    await pipe.execute()
                    return True
                except WatchError:
                    if attempt == WATCH_TRIES - 1:
                        raise  # Redis unreachable: the lease runs out and the reaper decides
        return False

    def _delete(self, job: Job, pipe: Any) -> None:
        """saq's ``finish(COMPLETE)`` with ``ttl=-1``: the job is deleted."""
        pipe.lrem(self.saq._active, 1, job.id).zrem(self.saq._incomplete, job.id)
        pipe.delete(job.id)

    def _bury(self, job: Job, pipe: Any, error: str) -> None:
        """saq's ``finish(FAILED)``, kept ``dead_seconds``, and our ``dead`` list."""
        job.status, job.error, job.completed = Status.FAILED, error, _now_ms()
        pipe.lrem(self.saq._active, 1, job.id).zrem(self.saq._incomplete, job.id)
        pipe.setex(job.id, self._dead_seconds, self.saq.serialize(job))
        pipe.lpush(self._ns("dead"), job.id).ltrim(self._ns("dead"), 0, 9999)

    def _retry(self, job: Job, pipe: Any, error: str, retry_in: float) -> None:
        """saq's ``retry``: back in ``incomplete``, due after ``retry_in`` seconds."""
        job.status, job.error = Status.QUEUED, error
        job.completed = job.started = 0
        job.progress = 0.0
        job.touched = _now_ms()
        pipe.lrem(self.saq._active, 1, job.id).lrem(self.saq._queued, 1, job.id)
        if retry_in > 0:
            pipe.zadd(self.saq._incomplete, {job.id: time.time() + retry_in})
        else:
            pipe.zadd(self.saq._incomplete, {job.id: 0}).rpush(self.saq._queued, job.id)
        pipe.set(job.id, self.saq.serialize(job))

    async def _latest(self, key: str) -> int:
        return int(await self.redis.get(self._ns(f"latest:{key}")) or 0)

    async def is_superseded(self, job: Leased) -> bool:
        key = job.coalesce_key
        return key is not None and await self._latest(key) > job.generation

    async def seen(self, dedup_id: str) -> bool:
        return bool(await self.redis.exists(self._ns(f"dedup:{dedup_id}")))

    # metrics and inspection

    async def depth(self) -> int:
        incomplete = await self.saq.count("incomplete")
        active = await self.saq.count("active")
        return max(0, incomplete - active)

    async def oldest_age(self) -> float | None:
        head = await self.redis.lindex(self.saq._queued, 0)
        job = None if head is None else await self.saq._get_job_by_id(head)
        return None if job is None else max(0.0, time.time() - job.queued / 1000)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        ids = await self.redis.lrange(self._ns("dead"), 0, limit - 1)
        jobs = [self.saq.deserialize(raw) for raw in await self.redis.mget(ids)] if ids else []
        return [
            DeadLetter(j.id, (j.kwargs or {})["payload"], j.attempts, j.error or "")
            for j in jobs
            if j is not None
        ]

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._heartbeat is not None:
                await asyncio.to_thread(self._heartbeat.stop)
            if self._registered:
                with contextlib.suppress(Exception):
                    await self.redis.delete(self._worker_key(self.worker_id))
            await self.saq.disconnect()


class _Heartbeat(threading.Thread):
    """Writes the worker's registration (saq's ``worker_info`` key and JSON) every third of
    its TTL, on its own connection, until ``stop``."""

    def __init__(self, url: str, key: str, queue_name: str, ttl: int) -> None:
        super().__init__(name="redis-queue-heartbeat", daemon=True)
        self._client = SyncRedis.from_url(
            url, socket_timeout=ttl / 2, socket_connect_timeout=ttl / 2
        )
        self._key, self._ttl = key, ttl
        metadata = {"pid": os.getpid(), "host": socket.gethostname()}
        self._info = json.dumps({"queue_key": queue_name, "stats": None, "metadata": metadata})
        self._stopped = threading.Event()

    def beat(self) -> None:
        self._client.set(self._key, self._info, ex=self._ttl)

    def run(self) -> None:
        while not self._stopped.wait(self._ttl / 3):
            with contextlib.suppress(Exception):  # Redis restarting: the next beat tries again
                self.beat()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=self._ttl)
        self._client.close()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
