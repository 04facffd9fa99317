"""GitHub requests and latency of one pull-request review, against the fake GitHub.

1. Requests per review as the pull request grows (10, 100, 1 000, 3 000 changed files; every
   tenth file a new Go file with one ``//go:linkname`` directive), per route, against the limit
   ⌈F/100⌉ file-list pages + ⌈C/50⌉ GraphQL content batches + ⌈S/50⌉ sibling batches +
   ⌈D/50⌉ directory listings (+1 when the list has pages: the first page's directories are
   listed on their own, while the other pages load) + the fixed reads + the writes. C is the
   number of content paths: the G Go files, the go.mod that may enclose them and the policy
   file (⌈G/50⌉ is printed next to it); D the package directories (each holds directives, so
   each is listed) and S their unchanged Go files (``--siblings`` per directory, at base).
2. Webhook → check run completed for a 300-file pull request when every request to the fake
   takes 100 ms more (a delay fault on every route): the time, and the time in round trips
   (time / 100 ms; goal ≤ 8). Write pacing is off for the round-trip count (production paces
   writes 1 s apart, GitHub's advice for content-creating requests), and measured on as well.

The whole path runs as in production: signed webhook → webhook app → memory queue →
Worker.run_once → review handler → GitHub client → fake GitHub over HTTP.

    .venv/bin/python bench/bench_github.py [--sizes 10,100,1000,3000] [--latency-files 300]
                                           [--siblings 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import structlog

ROOT = Path(__file__).resolve().parent.parent

from bot.github import AppCredentials, ClientOptions, GitHubApp, RetryPolicy  # noqa: E402
from bot.queue import Queue, open_queue  # noqa: E402
from bot.queue.worker import Worker  # noqa: E402
from bot.service.review_job import make_handlers  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.testing.fakegithub import FakeGitHub, Pull, Repo  # noqa: E402
from bot.testing.fakegithub import serve as serve_fake  # noqa: E402
from bot.webhook.app import WEBHOOK_PATH, create_app  # noqa: E402
from bot.webhook.signature import sign  # noqa: E402

SECRET = "bench-secret"
GO_SHARE = 10  # every tenth changed file is a Go file with a directive
DIR_SIZE = 50  # Go files per package directory
RTT = 0.1

LIST = "GET /repos/{owner}/{repo}/pulls/{number}/files"
GRAPHQL = "POST /graphql"
TOKEN = "POST /app/installations/{installation_id}/access_tokens"


@contextlib.contextmanager
def serve() -> Iterator[FakeGitHub]:
    """The fake GitHub with TCP_NODELAY on its listening socket (accepted sockets inherit it).

    Without it, uvicorn's small responses meet Nagle's algorithm and the client's delayed ACK:
    about 40 ms per request on loopback, which would be counted as round trips of the App.
    """
    bind = socket.socket.bind

    def nodelay_bind(self: socket.socket, address: Any) -> None:
        if self.type == socket.SOCK_STREAM:
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        bind(self, address)

    socket.socket.bind = nodelay_bind  # type: ignore[method-assign,assignment]
    try:
        fake = serve_fake()
        gh = fake.__enter__()
    finally:
        socket.socket.bind = bind  # type: ignore[method-assign]
    try:
        yield gh
    finally:
        fake.__exit__(None, None, None)


def go_file(i: int) -> str:
    return (
        f'package p{i // DIR_SIZE}\n\nimport _ "unsafe"\n\n'
        f"//go:linkname now{i} runtime.nanotime\nfunc now{i}() int64\n"
    )


def base_files(dirs: int, siblings: int) -> dict[str, str | bytes | None]:
    """The base commit: go.mod and ``siblings`` unchanged Go files in each package directory."""
    out: dict[str, str | bytes | None] = {"go.mod": "module example.com/big\n\ngo 1.23\n"}
    for d in range(dirs):
        for j in range(siblings):
            out[f"p{d}/s{j}.go"] = f"package p{d}\n\nfunc S{j}() {{}}\n"
    return out


def is_listing(query: str) -> bool:
    return "... on Tree" in query


def pull_files(files: int) -> tuple[dict[str, str | bytes | None], int, int]:
    """Head contents of a PR changing ``files`` files; returns (files, Go files, Go dirs)."""
    out: dict[str, str | bytes | None] = {}
    go = 0
    for i in range(files):
        if i % GO_SHARE == 0:
            out[f"p{go // DIR_SIZE}/f{go}.go"] = go_file(go)
            go += 1
        else:
            out[f"docs/d{i}.md"] = f"doc {i}\n"
    return out, go, math.ceil(go / DIR_SIZE)


class Harness:
    def __init__(self, gh: FakeGitHub, queue: Queue, write_interval: float) -> None:
        settings = Settings(app_id=gh.app_id, private_key=gh.private_key, webhook_secret=SECRET)
        retry = RetryPolicy(max_attempts=3, max_wait=5.0, base_delay=0.05, max_delay=0.2)
        options = ClientOptions(retry=retry, write_interval=write_interval, timeout=60.0)
        self.github = GitHubApp(AppCredentials(gh.app_id, gh.private_key, gh.url), options)
        self.app = create_app(settings, queue)
        handler, on_give_up = make_handlers(self.github, stdlib=None)
        self.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)

    async def deliver(self, repo: Repo, pull: Pull) -> None:
        payload = {
            "action": "opened",
            "number": pull.number,
            "pull_request": {
                "number": pull.number,
                "state": "open",
                "head": {"sha": pull.head_sha, "ref": pull.head_ref},
                "base": {"sha": pull.base_sha, "ref": pull.base_ref},
            },
            "repository": {
                "id": repo.id,
                "name": repo.name,
                "full_name": repo.full_name,
                "owner": {"login": repo.owner, "type": "Organization"},
            },
            "installation": {"id": repo.installation_id},
            "sender": {"login": pull.user, "type": "User"},
        }
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": "pull_request",
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": sign(SECRET.encode(), body),
        }
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            response = await http.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 202, response.text

    async def review(self, repo: Repo, pull: Pull) -> None:
        await self.deliver(repo, pull)
        assert await self.worker.run_once()
        (run,) = [r for r in repo.check_runs.values() if r["head_sha"] == pull.head_sha]
        assert run["status"] == "completed", run["status"]


async def warm_token(h: Harness, repo: Repo) -> None:
    """The installation token is cached for an hour; fetch it before measuring."""
    await h.github.repo(repo.installation_id, repo.owner, repo.name).check_runs_for("main")


async def requests_per_review(sizes: list[int], siblings: int) -> list[dict[str, Any]]:
    rows = []
    for files in sizes:
        with serve() as gh:
            head, go, dirs = pull_files(files)
            repo = gh.add_repo("acme/big", files=base_files(dirs, siblings))
            pull = gh.add_pull(repo, 1, head)
            queue = open_queue("memory://")
            h = Harness(gh, queue, 0.0)
            await warm_token(h, repo)
            gh.counters.clear()
            await h.review(repo, pull)
            await queue.close()
            await h.github.aclose()
            counts = dict(gh.counters)
            listings = sum(is_listing(str(r.json["query"])) for r in gh.logged(GRAPHQL))
        run = next(iter(repo.check_runs.values()))
        content_paths = go + dirs + 1 + 1  # Go files, p*/go.mod, root go.mod, the policy
        writes = sum(n for r, n in counts.items() if r.split()[0] in ("POST", "PATCH", "PUT"))
        writes -= counts.get(GRAPHQL, 0)  # GraphQL reads are POSTs too
        graphql = counts.get(GRAPHQL, 0)
        threads_queries = 1
        sibling_paths = dirs * siblings
        rows.append(
            {
                "files": files,
                "go_files": go,
                "list_calls": counts.get(LIST, 0),
                "list_limit": math.ceil(files / 100),
                "content_batches": graphql - threads_queries - listings,
                "content_limit": math.ceil(content_paths / 50) + math.ceil(sibling_paths / 50),
                "listings": listings,
                # The first page's directories are listed while the other pages load.
                "listing_limit": math.ceil(dirs / 50) + (files > 100),
                "go_over_50": math.ceil(go / 50),
                "writes": writes,
                "annotations": run["output"]["annotations_count"],
                "total": sum(counts.values()),
                "routes": counts,
            }
        )
    return rows


async def latency(files: int, write_interval: float, siblings: int) -> dict[str, float]:
    with serve() as gh:
        head, _, dirs = pull_files(files)
        repo = gh.add_repo("acme/big", files=base_files(dirs, siblings))
        pull = gh.add_pull(repo, 1, head)
        queue = open_queue("memory://")
        h = Harness(gh, queue, write_interval)
        await warm_token(h, repo)
        gh.counters.clear()
        gh.faults.add("*", ".*", None, delay=RTT, count=10**9)
        t0 = time.perf_counter()
        await h.review(repo, pull)
        elapsed = time.perf_counter() - t0
        gh.faults.clear()
        await queue.close()
        await h.github.aclose()
        requests = sum(gh.counters.values())
        return {"seconds": elapsed, "round_trips": elapsed / RTT, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,3000")
    parser.add_argument("--latency-files", type=int, default=300)
    parser.add_argument(
        "--siblings", type=int, default=2, help="unchanged Go files per package directory"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    sizes = [int(s) for s in args.sizes.split(",") if s]

    rows = asyncio.run(requests_per_review(sizes, args.siblings))
    fast = asyncio.run(latency(args.latency_files, 0.0, args.siblings))
    paced = asyncio.run(latency(args.latency_files, 1.0, args.siblings))
    if args.json:
        print(json.dumps({"requests": rows, "latency": fast, "latency_paced": paced}, indent=2))
        return
    print(
        "requests per review (token warm; G = Go files, C = content paths, S = siblings, "
        f"{args.siblings} per directory, D = directories)"
    )
    print(
        f"{'files':>6} {'G':>4} {'list':>10} {'content ≤ C+S':>14} {'⌈G/50⌉':>7} "
        f"{'dirs ≤ D':>9} {'writes':>6} {'annot':>5} {'total':>5}"
    )
    for r in rows:
        print(
            f"{r['files']:>6} {r['go_files']:>4} "
            f"{r['list_calls']:>4} ≤ {r['list_limit']:<3} "
            f"{r['content_batches']:>4} ≤ {r['content_limit']:<7} {r['go_over_50']:>7} "
            f"{r['listings']:>4} ≤ {r['listing_limit']:<2} "
            f"{r['writes']:>6} {r['annotations']:>5} {r['total']:>5}"
        )
    for r in rows:
        fixed = {
            k: v
            for k, v in sorted(r["routes"].items())
            if k not in (LIST, GRAPHQL) and k.split()[0] == "GET"
        }
        print(f"  {r['files']} files, fixed reads: {fixed}")
    print(
        f"\nwebhook → completed, {args.latency_files} files, {RTT * 1000:.0f} ms per request:\n"
        f"  pacing off: {fast['seconds']:.2f} s = {fast['round_trips']:.1f} round trips "
        f"(goal ≤ 8), {fast['requests']:.0f} requests\n"
        f"  pacing 1 s: {paced['seconds']:.2f} s = {paced['round_trips']:.1f} round trips"
    )


if __name__ == "__main__":
    main()
