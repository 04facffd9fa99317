"""Durable job queue: the webhook enqueues, workers lease, run and complete."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.queue.base import DeadLetter, Leased, Queue

__all__ = ["REDIS_SCHEMES", "DeadLetter", "Leased", "Queue", "open_queue"]


#: URL schemes of a Redis server (the queue, and the write pacing replicas share).
REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_queue(url: str) -> Queue:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``redis://host:port/db``, ``memory://``."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"queue URL {url!r}: expected sqlite:///path/to.db")
        from bot.queue.sqlite import SQLiteQueue

        return SQLiteQueue(path)
    if scheme in REDIS_SCHEMES:
        from bot.queue.redis import RedisQueue

        return RedisQueue(url)
    if scheme == "memory":
        from bot.queue.memory import MemoryQueue

        return MemoryQueue()
    raise ValueError(
        f"unsupported queue URL {url!r}: use sqlite:///path/to.db, redis://host:port/db or memory://"
    )
