"""Webhook acknowledgement latency under load, on loopback.

One run measures, one after the other with the same open-loop load (``--rate`` requests/s
for ``--duration`` s, from an asyncio client with keep-alive connections in a separate
process; see ``Connections`` for why not httpx):

1. a bare Starlette endpoint under uvicorn that only answers 202 (the floor), and
2. ``linkname-bot serve`` (real uvicorn, SQLite queue with ``synchronous=FULL`` or, with
   ``--queue redis``, a redis-server with ``appendfsync always``; worker and
   JSON logs on) receiving signed ``pull_request.opened`` deliveries, each a new job.

It prints p50/p99/max of both, the ratio, the goal (p99 ≤ 2× bare and ≤ 25 ms) and the
bot's peak RSS (VmHWM). The bot's GitHub URL points at a closed loopback port: the worker
leases each job, fails fast (connection refused) and backs off, so the queue sees leases and
failures besides the enqueues, but no review CPU competes with the webhook.

    python bench/bench_webhook.py                      # 200 req/s for 5 s, 5 runs (make bench)
    python bench/bench_webhook.py --duration 20        # issue 16's goal: five 20 s runs
    python bench/bench_webhook.py --duration 20 --queue redis   # the same on Redis
    PYTHONPATH=../base python bench/bench_webhook.py           # another checkout's bot, A/B

Each run measures the bare endpoint and the bot back to back; all runs are printed, and the
goal holds only if it holds in every run. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

SECRET = "bench-secret"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


# -- the bare endpoint ---------------------------------------------------------------------


def run_bare(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def hook(request: Request) -> Response:
        await request.body()
        return JSONResponse({"queued": 1}, status_code=202)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/api/github/webhooks", hook, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the load generator (its own process) --------------------------------------------------


def payload(number: int) -> dict[str, Any]:
    return {
        "action": "opened",
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "head": {"sha": uuid.uuid4().hex + "abcdefgh", "ref": "feature"},
            "base": {"sha": "b" * 40, "ref": "main"},
        },
        "repository": {
            "id": 1,
            "name": "widgets",
            "full_name": "acme/widgets",
            "owner": {"login": "acme", "type": "Organization"},
        },
        "installation": {"id": 1},
        "sender": {"login": "octocat", "type": "User"},
    }


class Connections:
    """Keep-alive HTTP/1.1 connections to one server, at most ``limit`` open: a request takes
    an idle connection or opens one, O(1) whatever the count.

    httpx is not used here: its connection pool scans every connection on each request, so
    once a hiccup left a few hundred open the generator itself used the whole core and its
    queueing (seconds) was measured as the server's latency (py-spy on the generator: 61 % of
    its samples in ``AsyncConnectionPool._assign_requests_to_connections``, the served bot's
    event loop idle 76 % of the time)."""

    def __init__(self, url: str, limit: int) -> None:
        host, _, port = url.removeprefix("http://").rstrip("/").partition(":")
        self.host, self.port = host, int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async with self.slots:
            while self.idle:  # the server may have closed an idle one (keep-alive timeout)
                reader, writer = self.idle.pop()
                try:
                    status, keep = await self._exchange(reader, writer, path, body, headers)
                    break
                except (ConnectionError, EOFError):
                    writer.close()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                try:
                    status, keep = await self._exchange(reader, writer, path, body, headers)
                except BaseException:
                    writer.close()
                    raise
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        path: str,
        body: bytes,
        headers: dict[str, str],
    ) -> tuple[int, bool]:
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"content-length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        first = await reader.readline()
        if not first:
            raise EOFError("the server closed the connection")
        status = int(first.split()[1])
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value == "close":
                keep = False
            elif name == "transfer-encoding":
                raise ValueError("chunked responses are not expected here")
        await reader.readexactly(length)
        return status, keep

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def load(url: str, rate: float, duration: float, warmup: int) -> dict[str, Any]:
    from bot.webhook.signature import sign

    total = warmup + int(rate * duration)
    requests = []
    for i in range(total):
        body = json.dumps(payload(10_000 + i)).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": "pull_request",
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": sign(SECRET.encode(), body),
        }
        requests.append((body, headers))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    http = Connections(url, limit=256)

    async def send(i: int) -> None:
        body, headers = requests[i]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(10):
                status = str(await http.post("/api/github/webhooks", body, headers))
        except (OSError, EOFError, ValueError, IndexError, TimeoutError) as error:
            status = type(error).__name__
        elapsed = time.perf_counter() - started
        statuses[status] = statuses.get(status, 0) + 1
        if i >= warmup:
            latencies.append(elapsed)

    try:
        for i in range(warmup):  # connections and caches warm, not measured
            await send(i)
        tasks = []
        t0 = time.perf_counter()
        for i in range(warmup, total):
            delay = t0 + (i - warmup) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(i)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    finally:
        http.close()
    latencies.sort()
    return {
        "count": len(latencies),
        "achieved_rate": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "max_ms": 1000 * latencies[-1],
        "statuses": statuses,
    }


# -- the driver ------------------------------------------------------------------------------


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                return
        time.sleep(0.05)
    raise SystemExit("server did not start")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(
    argv: list[str], env: dict[str, str], port: int, args: argparse.Namespace
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    log = open(Path(env["DATA_DIR"]) / f"server-{port}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(argv, env=env, cwd=env["DATA_DIR"], stdout=log, stderr=log)
    try:
        wait_healthy(url, server)
        gen_argv = [sys.executable, __file__, "--load-gen", url, "--rate", str(args.rate)]
        gen_argv += ["--duration", str(args.duration), "--warmup", str(args.warmup)]
        gen = subprocess.run(
            gen_argv,
            capture_output=True,
            check=True,
            text=True,
            cwd=ROOT,
        )
        result: dict[str, Any] = json.loads(gen.stdout)
        result["peak_rss_mib"] = peak_rss_mib(server.pid)
        return result
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument("--runs", type=int, default=5, help="consecutive runs (all printed)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--queue",
        choices=("sqlite", "redis"),
        default="sqlite",
        help="the bot's queue: SQLite (synchronous=FULL) or a redis-server started here"
        " (appendonly, appendfsync always, as deploy/ requires)",
    )
    parser.add_argument("--load-gen", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        run_bare(args.bare)
        return
    if args.load_gen:
        print(json.dumps(asyncio.run(load(args.load_gen, args.rate, args.duration, args.warmup))))
        return

    results = []
    print(
        f"webhook ack latency: {args.rate:g} req/s for {args.duration:g} s on loopback,"
        f" {args.runs} runs, {args.queue} queue"
    )
    for run in range(1, args.runs + 1):
        bare, bot = one_run(args)
        ratio = bot["p99_ms"] / bare["p99_ms"]
        goal = ratio <= 2.0 and bot["p99_ms"] <= 25.0
        results.append({"bare": bare, "bot": bot, "p99_ratio": ratio, "goal_met": goal})
        if not args.json:
            for name, r in (("bare 202", bare), ("linkname-bot", bot)):
                print(
                    f"  run {run} {name:13} p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
                    f"  max {r['max_ms']:7.2f} ms  n={r['count']} ({r['achieved_rate']:.0f}/s)"
                    f"  statuses {r['statuses']}  peak RSS {r['peak_rss_mib']:.0f} MiB"
                )
            print(
                f"  run {run} p99 ratio bot/bare {ratio:.2f}: ≤ 2.0 "
                + ("met" if ratio <= 2.0 else "NOT met")
                + f"; bot p99 {bot['p99_ms']:.2f} ms: ≤ 25 ms "
                + ("met" if bot["p99_ms"] <= 25.0 else "NOT met"),
                flush=True,
            )
    met = all(r["goal_met"] for r in results)
    if args.json:
        print(json.dumps({"runs": results, "goal_met": met}))
    else:
        print(f"goal in all {args.runs} runs: " + ("met" if met else "NOT met"))
    if not met:
        sys.exit(1)


def one_run(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        if args.queue == "redis":
            from bot.testing.redis_server import redis_server

            queue_url = stack.enter_context(redis_server(Path(tmp), appendfsync="always"))
        else:
            queue_url = f"sqlite:///{tmp}/queue.db"
        base_env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "DATA_DIR": tmp}
        if pythonpath := os.environ.get("PYTHONPATH"):  # A/B: another checkout's bot/
            base_env["PYTHONPATH"] = pythonpath
        port = free_port()
        bare = measure([sys.executable, __file__, "--bare", str(port)], base_env, port, args)
        port = free_port()
        bot_env = {
            **base_env,
            "APP_ID": "1",
            "PRIVATE_KEY": private_key_pem(),
            "WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}",  # closed: calls fail fast
            "QUEUE_URL": queue_url,
            "LOG_LEVEL": "INFO",
            "RECOVERY_INTERVAL": "0",
        }
        script = Path(sys.executable).parent / "linkname-bot"
        argv = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
        bot = measure(
            [*argv, "serve", "--host", "127.0.0.1", "--port", str(port)], bot_env, port, args
        )
    return bare, bot


if __name__ == "__main__":
    main()
