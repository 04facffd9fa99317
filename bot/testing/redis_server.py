"""A throwaway ``redis-server`` on 127.0.0.1 and a free port, for tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisProcess:
    """One ``redis-server``; ``restart`` kills it (SIGKILL) and starts it on the same port and
    directory, so with ``appendfsync`` set it comes back with its append-only file."""

    def __init__(self, workdir: Path, *, appendfsync: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        if appendfsync is None:
            argv += ["--appendonly", "no"]
        else:
            argv += ["--appendonly", "yes", "--appendfsync", appendfsync]
        self.argv = [*argv, "--dir", str(workdir), "--protected-mode", "yes"]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.kill()
        self.start()


@contextmanager
def redis_server(workdir: Path, *, appendfsync: str | None = None) -> Iterator[str]:
    """Start ``redis-server`` (no persistence unless ``appendfsync``), yield its URL, kill it
    at the end.

    Raises FileNotFoundError when the binary is not installed.
    """
    with redis_process(workdir, appendfsync=appendfsync) as server:
        yield server.url


@contextmanager
def redis_process(workdir: Path, *, appendfsync: str | None = None) -> Iterator[RedisProcess]:
    server = RedisProcess(workdir, appendfsync=appendfsync)
    try:
        server.start()
        yield server
    finally:
        server.kill()
