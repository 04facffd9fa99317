"""Serve a FakeGitHub with uvicorn on 127.0.0.1 (a free port) in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from .app import create_app
from .state import FakeGitHub


class FakeServer:
    """`start()` binds a free loopback port and sets `gh.url`; `stop()` shuts it down."""

    def __init__(self, gh: FakeGitHub) -> None:
        self.gh = gh
        config = uvicorn.Config(
            create_app(gh), log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.gh.url

    def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),
            name="fakegithub",
            daemon=True,
        )
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("fake GitHub did not start")
        self.gh.url = f"http://127.0.0.1:{port}"
        return self.gh.url

    def stop(self, *, wait: bool = False) -> None:
        """Ask uvicorn to exit; `wait` for it (its shutdown takes 0.1 s, so tests do not)."""
        self._server.should_exit = True
        if wait and self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def serve(gh: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """Run a fake GitHub for the duration of the block; yields its state (with `.url`)."""
    gh = gh or FakeGitHub()
    server = FakeServer(gh)
    server.start()
    try:
        yield gh
    finally:
        server.stop()
