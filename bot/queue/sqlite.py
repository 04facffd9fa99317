"""The embedded default: one SQLite file, safe to share between processes.

Durability: WAL journal with ``synchronous=FULL``, so a committed ``enqueue`` survives not
only the process being killed but also power loss (NORMAL in WAL mode may lose the last
commits on power loss, and the webhook has already answered 202 by then). The cost is one
fsync per write, which webhook rates never notice.

Group commit: ``enqueue`` calls that arrive while a transaction is being written wait and are
stored together in the next one (one ``BEGIN IMMEDIATE`` … ``COMMIT``, one fsync), each job in
its own savepoint; each call returns only once its group committed. Under a burst the
acknowledgement costs one transaction per group, not per delivery.

Atomicity: each write is one ``BEGIN IMMEDIATE`` transaction, which takes the file's write
lock up front, so two leasers (threads or processes) never pick the same row. All SQLite
calls of one queue run on its own single thread, off the event loop.

Dead holders: each lease records the holder's pid and the host's boot id
(``/proc/sys/kernel/random/boot_id``). When the queue opens, and every ``release_every``
seconds after, leases whose holder no longer runs (another boot, or no such pid on this boot)
are released at once, so the jobs of a SIGKILLed process resume when it restarts, not when
the lease (120 s) runs out. Leases of live processes sharing the file are left alone. A file
on a shared filesystem used from two hosts would see the other host's leases as "another
boot": do not share the file between hosts (use Redis for several hosts).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.queue.base import DEDUP_SECONDS, EMPTY, LEASE_EXPIRED, WORKER_DIED, DeadLetter, Leased

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    coalesce_key TEXT,
    generation INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    due_at REAL NOT NULL,  -- waiting: runnable from; leased: end of the lease
    leased INTEGER NOT NULL DEFAULT 0,
    token TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    owner_pid INTEGER,  -- the leaseholder's process id
    owner_boot TEXT,    -- and the boot it runs in
    fair_key TEXT       -- leases prefer keys the worker is not already working on
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at, seq);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (coalesce_key, leased);
CREATE TABLE IF NOT EXISTS dead (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    died_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dedup (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS dedup_seen ON dedup (seen_at);
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
"""

DROP_SUPERSEDED_SQL = """
DELETE FROM jobs WHERE due_at <= ? AND coalesce_key IS NOT NULL
  AND generation < (SELECT generation FROM generations AS g WHERE g.key = jobs.coalesce_key)
"""

DROP_EVERY = 1.0
"""Seconds between sweeps of due superseded jobs (a pick drops its own at once)."""

FAIR_WINDOW = 1000
"""How many of the oldest due jobs a lease looks through for the least busy fair key."""

PICK_SQL = """
SELECT id, fair_key FROM jobs AS j
WHERE due_at <= :now AND NOT EXISTS (
    SELECT 1 FROM jobs AS o
    WHERE j.coalesce_key IS NOT NULL AND o.coalesce_key = j.coalesce_key
      AND o.leased AND o.due_at > :now AND o.id != j.id
)
ORDER BY due_at, seq LIMIT :window
"""

CLAIM_SQL = """
SELECT id, payload, coalesce_key, generation, leased, attempts, error, fair_key FROM jobs AS j
WHERE id = :id AND due_at <= :now AND NOT EXISTS (
    SELECT 1 FROM jobs AS o
    WHERE j.coalesce_key IS NOT NULL AND o.coalesce_key = j.coalesce_key
      AND o.leased AND o.due_at > :now AND o.id != j.id
)
"""

CLAIM_TRIES = 5
"""Picks a lease tries when another leaser claims its pick first."""


def pick(
    rows: list[tuple[str, str | None]], busy: Mapping[str, int], limit: int | None
) -> str | None:
    """The id of the oldest of ``rows`` (oldest first) whose fair key is least ``busy``, or
    None when every one is at ``limit``."""
    best: tuple[int, str] | None = None
    for job_id, key in rows:
        load = busy.get(key, 0) if key is not None else 0
        if best is None or load < best[0]:
            best = (load, job_id)
            if load == 0:
                break
    if best is None or (limit is not None and best[0] >= limit):
        return None
    return best[1]


def boot_id() -> str:
    """This boot of the host (Linux); elsewhere a constant, so only pids are compared."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def process_alive(pid: int) -> bool:
    """True when ``pid`` names a running (not zombie) process on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: kill(0) succeeded
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class SQLiteQueue:
    def __init__(
        self,
        path: str | Path,
        *,
        dedup_seconds: float = DEDUP_SECONDS,
        release_every: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self._dedup_seconds = dedup_seconds
        self._release_every = release_every
        self._released = float("-inf")
        self._dropped = float("-inf")
        self._boot = boot_id()
        self.recovered = 0
        """Leases of dead processes this queue released."""
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-queue")
        self._db: sqlite3.Connection | None = None
        self._pruned = 0.0
        self._pending: list[_Pending] = []
        self.groups = 0
        """Enqueue transactions committed (each holds one or more jobs)."""
        self._flusher: asyncio.Task[None] | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._db is None:
                self._db = self._connect()
            return fn(self._db)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        db.executescript(SCHEMA)  # idempotent; executescript commits by itself
        columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        for column, kind in (
            ("owner_pid", "INTEGER"),
            ("owner_boot", "TEXT"),
            ("fair_key", "TEXT"),
        ):
            if column not in columns:  # a file written before leases named their holder
                db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        self._release_dead(db)
        return db

    def _holder_alive(self, pid: int, boot: str) -> bool:
        """False for a holder of another boot, or a pid that no longer runs on this one.

        This process's own pid counts as alive (another queue object of it may lease)."""
        if boot != self._boot:
            return False
        return pid == os.getpid() or process_alive(pid)

    def _release_dead(self, db: sqlite3.Connection) -> int:
        """Release the leases held by processes that no longer run; how many."""
        now = time.time()
        self._released = now
        holders = db.execute(
            "SELECT DISTINCT owner_pid, owner_boot FROM jobs"
            " WHERE leased AND due_at > ? AND owner_pid IS NOT NULL",
            (now,),
        ).fetchall()
        dead = [(pid, boot) for pid, boot in holders if not self._holder_alive(pid, boot)]
        released = 0
        for pid, boot in dead:
            with _transaction(db):
                released += db.execute(
                    "UPDATE jobs SET leased = 0, token = NULL, due_at = ?, error = ?,"
                    " owner_pid = NULL, owner_boot = NULL"
                    " WHERE leased AND owner_pid = ? AND owner_boot = ?",
                    (now, WORKER_DIED, pid, boot),
                ).rowcount
        self.recovered += released
        return released

    async def enqueue(
        self,
        payload: dict[str, object],
        *,
        dedup_id: str,
        coalesce_key: str | None = None,
        fair_key: str | None = None,
    ) -> bool:
        """Store the job; concurrent calls share one transaction (group commit).

        A call returns only after the transaction holding its job committed (one fsync for
        the whole group); if the commit fails, every call of the group raises."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._pending.append((json.dumps(payload), dedup_id, coalesce_key, fair_key, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            try:
                results = await self._run(functools.partial(self._store_group, group=group))
            except BaseException as error:
                for *_, done in group:
                    if done.done():
                        continue
                    if isinstance(error, Exception):
                        done.set_exception(error)
                    else:
                        done.cancel()
                if not isinstance(error, Exception):
                    raise
                continue
            for (*_, done), result in zip(group, results, strict=True):
                if done.done():
                    continue
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    def _store_group(self, db: sqlite3.Connection, group: list[_Pending]) -> list[bool | Exception]:
        now = time.time()
        results: list[bool | Exception] = []
        with _transaction(db):
            if now - self._pruned > 3600:
                self._prune(db, now - self._dedup_seconds)
                self._pruned = now
            for data, dedup_id, coalesce_key, fair_key, _ in group:
                db.execute("SAVEPOINT job")
                try:
                    results.append(self._store(db, now, data, dedup_id, coalesce_key, fair_key))
                except sqlite3.Error as error:
                    if _fatal(error):
                        raise  # the whole group fails (disk full, I/O error)
                    db.execute("ROLLBACK TO job")
                    results.append(error)
                db.execute("RELEASE job")
        self.groups += 1
        return results

    def _store(
        self,
        db: sqlite3.Connection,
        now: float,
        data: str,
        dedup_id: str,
        coalesce_key: str | None,
        fair_key: str | None,
    ) -> bool:
        seen = db.execute("SELECT seen_at FROM dedup WHERE id = ?", (dedup_id,)).fetchone()
        if seen is not None and now - seen[0] < self._dedup_seconds:
            return False
        db.execute("INSERT OR REPLACE INTO dedup VALUES (?, ?)", (dedup_id, now))
        generation = 0
        if coalesce_key is not None:
            (generation,) = db.execute(
                "INSERT INTO generations VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE"
                " SET generation = generation + 1, updated_at = excluded.updated_at"
                " RETURNING generation",
                (coalesce_key, now),
            ).fetchone()
            replaced = db.execute(
                "UPDATE jobs SET payload = ?, generation = ?, attempts = 0, error = NULL"
                " WHERE coalesce_key = ? AND NOT leased",
                (data, generation, coalesce_key),
            ).rowcount
            if replaced:
                return True
        db.execute(
            "INSERT INTO jobs (id, payload, coalesce_key, generation, enqueued_at, due_at,"
            " fair_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, data, coalesce_key, generation, now, now, fair_key),
        )
        return True

    @staticmethod
    def _prune(db: sqlite3.Connection, before: float) -> None:
        """Forget dedup ids, and generations no running job can still compare with."""
        db.execute("DELETE FROM dedup WHERE seen_at < ?", (before,))
        db.execute(
            "DELETE FROM generations WHERE updated_at < ?"
            " AND key NOT IN (SELECT coalesce_key FROM jobs WHERE coalesce_key IS NOT NULL)",
            (before,),
        )

    async def lease(
        self,
        *,
        lease_seconds: float,
        busy: Mapping[str, int] = EMPTY,
        limit: int | None = None,
    ) -> Leased | None:
        def run(db: sqlite3.Connection) -> Leased | None:
            now = time.time()
            if now - self._released >= self._release_every:
                self._release_dead(db)
            if now - self._dropped >= DROP_EVERY:
                self._dropped = now
                with _transaction(db):
                    db.execute(DROP_SUPERSEDED_SQL, (now,))
            lost = 0
            while lost < CLAIM_TRIES:
                # Chosen from a snapshot, without the write lock the webhook's enqueues need;
                # claimed under it only if no other leaser took it meanwhile. A superseded
                # job is dropped instead (a newer one of its pull request is stored).
                rows = db.execute(PICK_SQL, {"now": now, "window": FAIR_WINDOW}).fetchall()
                chosen = pick(rows, busy, limit)
                if chosen is None:
                    return None
                with _transaction(db):
                    row = db.execute(CLAIM_SQL, {"id": chosen, "now": now}).fetchone()
                    if row is None:
                        lost += 1
                    elif row[2] is not None and row[3] < _generation(db, row[2]):
                        db.execute("DELETE FROM jobs WHERE id = ?", (chosen,))
                    else:
                        return self._claim(db, row, now, lease_seconds)
                now = time.time()
            return None

        return await self._run(run)

    def _claim(
        self, db: sqlite3.Connection, row: tuple[Any, ...], now: float, lease_seconds: float
    ) -> Leased:
        job_id, payload, key, generation, leased, attempts, error, fair_key = row
        token = uuid.uuid4().hex
        error = error or (LEASE_EXPIRED if leased else None)
        db.execute(
            "UPDATE jobs SET leased = 1, token = ?, attempts = attempts + 1,"
            " due_at = ?, error = ?, owner_pid = ?, owner_boot = ? WHERE id = ?",
            (token, now + lease_seconds, error, os.getpid(), self._boot, job_id),
        )
        return Leased(
            job_id, json.loads(payload), attempts + 1, token, key, generation, error, fair_key
        )

    async def renew(self, job: Leased, *, lease_seconds: float) -> bool:
        until = time.time() + lease_seconds
        sql = "UPDATE jobs SET due_at = ? WHERE id = ? AND token = ?"
        return await self._update(job, sql, until)

    async def complete(self, job: Leased) -> bool:
        return await self._update(job, "DELETE FROM jobs WHERE id = ? AND token = ?")

    async def fail(self, job: Leased, error: str, *, retry_in: float | None) -> bool:
        if retry_in is not None:
            return await self._update(
                job,
                "UPDATE jobs SET leased = 0, token = NULL, error = ?, due_at = ?"
                " WHERE id = ? AND token = ?",
                error,
                time.time() + retry_in,
            )

        def run(db: sqlite3.Connection) -> bool:
            with _transaction(db):
                moved = db.execute(
                    "INSERT INTO dead (id, payload, attempts, error, died_at)"
                    " SELECT id, payload, attempts, ?, ? FROM jobs WHERE id = ? AND token = ?",
                    (error, time.time(), job.id, job.token),
                ).rowcount
                db.execute("DELETE FROM jobs WHERE id = ? AND token = ?", (job.id, job.token))
                return moved == 1

        return await self._run(run)

    async def _update(self, job: Leased, sql: str, *args: Any) -> bool:
        def run(db: sqlite3.Connection) -> bool:
            with _transaction(db):
                return db.execute(sql, (*args, job.id, job.token)).rowcount == 1

        return await self._run(run)

    async def is_superseded(self, job: Leased) -> bool:
        key = job.coalesce_key
        if key is None:
            return False
        return await self._run(lambda db: _generation(db, key) > job.generation)

    async def seen(self, dedup_id: str) -> bool:
        sql = "SELECT 1 FROM dedup WHERE id = ? AND seen_at > ?"
        cutoff = time.time() - self._dedup_seconds
        return (
            await self._run(lambda db: db.execute(sql, (dedup_id, cutoff)).fetchone()) is not None
        )

    async def depth(self) -> int:
        return int(await self._scalar("SELECT count(*) FROM jobs WHERE NOT leased"))

    async def _scalar(self, sql: str, *args: Any) -> Any:
        return await self._run(lambda db: db.execute(sql, args).fetchone()[0])

    async def oldest_age(self) -> float | None:
        now = time.time()
        oldest = await self._scalar(
            "SELECT min(enqueued_at) FROM jobs WHERE NOT leased AND due_at <= ?", now
        )
        return None if oldest is None else now - float(oldest)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT id, payload, attempts, error FROM dead ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [DeadLetter(i, json.loads(p), a, e) for i, p, a, e in rows]

    async def close(self) -> None:
        if self._executor._shutdown:
            return

        def run() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._executor, run)
        self._executor.shutdown(wait=True)


_Pending = tuple[str, str, str | None, str | None, "asyncio.Future[bool]"]
"""An enqueue waiting for the group commit: payload JSON, dedup id, coalesce and fair keys,
and its answer."""


def _fatal(error: sqlite3.Error) -> bool:
    """Errors that doom the transaction (disk full, I/O), not just one job's statements."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is None or code & 0xFF in (
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
    )


def _generation(db: sqlite3.Connection, key: str) -> int:
    row = db.execute("SELECT generation FROM generations WHERE key = ?", (key,)).fetchone()
    return 0 if row is None else int(row[0])


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
