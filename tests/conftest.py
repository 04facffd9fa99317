"""Fixtures shared by the integration tests: the fake GitHub and an in-memory queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.queue import open_queue
from bot.queue.base import Queue
from bot.testing.fakegithub import FakeGitHub, serve


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    """A fake GitHub on 127.0.0.1 (a free port), for one test."""
    with serve() as fake:
        yield fake


@pytest.fixture
async def queue() -> AsyncIterator[Queue]:
    """An in-memory queue (a test that needs another backend defines its own ``queue``)."""
    q = open_queue("memory://")
    yield q
    await q.close()
