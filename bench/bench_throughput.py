"""Review throughput: a burst of pull requests across installations, one and two replicas.

Issue 15's bench: 200 pull requests over 10 installations (20 each, one new Go file with a
directive), the fake GitHub answering every request after ``--latency`` (100 ms), the App
as real ``linkname-bot serve`` processes (``WORKER_CONCURRENCY``, writes paced per
installation with ``GITHUB_WRITE_INTERVAL``) sharing one redis-server. All webhooks are sent
at once (spread over the replicas); the clock stops when every pull request has a completed
check run. Prints reviews per minute per configuration and the two-replica speed-up.

    .venv/bin/python bench/bench_throughput.py [--prs 200] [--installations 10]
        [--replicas 1,2] [--concurrency 16] [--write-interval 1.0] [--latency 0.1]

Goals (issue 15): ≥ 200 reviews/min for one replica, ≥ 1.8× that for two, and GitHub's rule
kept: no two writes to one installation closer than ``--write-interval`` (the fake GitHub's
arrival times, less ``JITTER``). Exit status 1 when a goal is missed. Needs ``redis-server``.

Each review writes twice, so the rule alone caps a run at ``installations × 60 /
(2 × write_interval)`` reviews a minute (300 with the defaults), whatever the replica count.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

from bot.testing.fakegithub import FakeGitHub, Pull, Repo  # noqa: E402
from bot.testing.fakegithub import serve as serve_fake  # noqa: E402
from bot.testing.redis_server import free_port, redis_server  # noqa: E402
from bot.webhook.app import WEBHOOK_PATH  # noqa: E402
from bot.webhook.signature import sign  # noqa: E402

SECRET = "bench-secret"
GO_MOD = "module example.com/widgets\n\ngo 1.23\n"
NEW_FILE = """package a

import _ "unsafe"

//go:linkname gcount runtime.gcount
func gcount() int32
"""


def event(repo: Repo, pull: Pull) -> dict[str, object]:
    return {
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
        "sender": {"login": "octocat", "type": "User"},
    }


@contextlib.contextmanager
def replicas(
    count: int, gh: FakeGitHub, queue_url: str, workdir: Path, args: argparse.Namespace
) -> Iterator[list[str]]:
    script = Path(sys.executable).parent / "linkname-bot"
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for index in range(count):
            port = free_port()
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(workdir),
                "APP_ID": str(gh.app_id),
                "PRIVATE_KEY": gh.private_key,
                "WEBHOOK_SECRET": SECRET,
                "GITHUB_API_URL": gh.url,
                "QUEUE_URL": queue_url,
                "DATA_DIR": str(workdir),
                "LOG_LEVEL": "WARNING",
                "RECOVERY_INTERVAL": "0",
                "WORKER_CONCURRENCY": str(args.concurrency),
                "GITHUB_WRITE_INTERVAL": str(args.write_interval),
            }
            log = (workdir / f"replica-{count}-{index}.log").open("wb")
            argv = [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)]
            procs.append(subprocess.Popen(argv, env=env, cwd=workdir, stdout=log, stderr=log))
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"replica {url} did not start")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                        break
                time.sleep(0.05)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


WRITES = ("POST", "PATCH", "PUT", "DELETE")
JITTER = 0.1  # seconds of scheduling noise allowed between a write's slot and its arrival


def closest_writes(gh: FakeGitHub) -> float:
    """The shortest time between two writes to one installation's repository, in seconds."""
    by_repo: dict[str, list[float]] = {}
    for request in list(gh.requests):
        parts = request.path.split("/")
        if request.method in WRITES and len(parts) > 3 and parts[1] == "repos":
            by_repo.setdefault("/".join(parts[2:4]), []).append(request.at)
    gaps = [b - a for times in by_repo.values() for a, b in itertools.pairwise(sorted(times))]
    return min(gaps, default=float("inf"))


def measure(count: int, args: argparse.Namespace, workdir: Path) -> tuple[float, float]:
    """Reviews per minute with ``count`` replicas on a fresh Redis and a fresh fake GitHub, and
    the closest two writes to one installation came."""
    with serve_fake() as gh, redis_server(workdir) as queue_url:
        gh.latency = args.latency
        pulls: list[tuple[Repo, Pull]] = []
        per = args.prs // args.installations
        for inst in range(1, args.installations + 1):
            repo = gh.add_repo(f"org{inst}/repo", installation_id=inst, files={"go.mod": GO_MOD})
            pulls += [
                (repo, gh.add_pull(repo, n, {f"p{n}/x.go": NEW_FILE})) for n in range(1, per + 1)
            ]
        with replicas(count, gh, queue_url, workdir, args) as urls:

            def send(item: tuple[int, tuple[Repo, Pull]]) -> int:
                index, (repo, pull) = item
                body = json.dumps(event(repo, pull)).encode()
                headers = {
                    "content-type": "application/json",
                    "x-github-event": "pull_request",
                    "x-github-delivery": str(uuid.uuid4()),
                    "x-hub-signature-256": sign(SECRET.encode(), body),
                }
                url = urls[index % len(urls)] + WEBHOOK_PATH
                return httpx.post(url, content=body, headers=headers, timeout=30).status_code

            started = time.monotonic()
            with ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(send, enumerate(pulls)))
            if statuses.count(202) != len(pulls):
                raise SystemExit(f"not every webhook was accepted: {sorted(set(statuses))}")
            deadline = started + args.timeout
            done = 0
            while time.monotonic() < deadline:
                done = sum(
                    any(
                        r["head_sha"] == pull.head_sha and r["status"] == "completed"
                        for r in list(repo.check_runs.values())
                    )
                    for repo, pull in pulls
                )
                if done == len(pulls):
                    break
                time.sleep(0.25)
            elapsed = time.monotonic() - started
            closest = closest_writes(gh)
    if done < len(pulls):
        print(f"  {count} replica(s): only {done}/{len(pulls)} reviews in {elapsed:.0f} s")
    rate = 60.0 * done / elapsed
    print(
        f"  {count} replica(s): {done} reviews in {elapsed:.1f} s = {rate:.0f} reviews/min;"
        f" closest writes to one installation {closest:.3f} s apart",
        flush=True,
    )
    return rate, closest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=200)
    parser.add_argument("--installations", type=int, default=10)
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--write-interval", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    counts = [int(c) for c in args.replicas.split(",")]
    print(
        f"review throughput: {args.prs} PRs over {args.installations} installations, GitHub"
        f" {1000 * args.latency:.0f} ms away, WORKER_CONCURRENCY={args.concurrency},"
        f" GITHUB_WRITE_INTERVAL={args.write_interval:g} s, Redis queue"
    )
    rates: dict[int, float] = {}
    paced = True
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        for count in counts:
            rates[count], closest = measure(count, args, Path(tmp))
            paced = paced and closest >= args.write_interval - JITTER
    print(f"  writes paced per installation across replicas: {'yes' if paced else 'NO'}")
    ok = paced and rates.get(1, 200.0) >= 200.0
    if 1 in rates and 2 in rates:
        speedup = rates[2] / rates[1]
        print(f"  two replicas / one: {speedup:.2f}x (goal >= 1.8x)")
        ok = ok and speedup >= 1.8
    print("goals: " + ("met" if ok else "NOT met"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
