"""A fake GitHub server for integration tests: state, Starlette app, uvicorn runner.

with serve() as gh:                      # gh.url = "http://127.0.0.1:<port>"
    repo = gh.add_repo("acme/widgets", files={"a.go": "package a\n"})
    gh.add_pull(repo, 7, {"a.go": "package a\n// x\n"})
    gh.faults.add("GET", r"/pulls/7$", 404)
"""

from .app import create_app
from .faults import Fault, FaultQueue
from .server import FakeServer, serve
from .state import Delivery, FakeGitHub, LoggedRequest, Pull, PullFile, Repo

__all__ = [
    "Delivery",
    "FakeGitHub",
    "FakeServer",
    "Fault",
    "FaultQueue",
    "LoggedRequest",
    "Pull",
    "PullFile",
    "Repo",
    "create_app",
    "serve",
]
