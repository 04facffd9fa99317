"""The worker in its own process: relayed observations, supervision, death with the App."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest

from bot.findings import Finding
from bot.service.metrics import Metrics
from bot.service.server import worker_mode
from bot.service.worker_process import Relay, RelayedMetrics, RelayedRecent, apply
from bot.settings import Settings
from bot.setup.status import RecentReviews, ReviewRecord
from bot.stdlib.loader import load_stdlib
from bot.testing.fakegithub import FakeGitHub, Repo, serve
from tests.test_e2e_review import GO_MOD, NEW_FILE, pull_request_event
from tests.test_hardening import BotProcess, completed_runs, post, wait_for


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return 0.0


def test_every_observation_reaches_the_parent() -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    relay = Relay(sender)
    child = RelayedMetrics(relay)
    child.observe_github_request("GET /repos/{owner}/{repo}", 200)
    child.observe_rate_limit("core", 4321)
    finding = Finding("a.go", 3, 1, "invalid-reference", "error", "not marked")
    child.observe_findings([finding, finding])
    child.observe_job("review", "ok", 0.25)
    RelayedRecent(relay).add(ReviewRecord(1.0, "review", "acme/widgets", 7, "ok"))
    relay.send("recovered", 3)
    sender.close()

    parent, recent = Metrics(), RecentReviews()
    received = 0
    while receiver.poll(1):
        try:
            apply(receiver.recv(), parent, recent)
        except EOFError:
            break
        received += 1
    assert received == 6
    text = generate_latest(parent.registry).decode()
    assert (
        sample(
            text,
            "linkname_github_requests_total",
            endpoint="GET /repos/{owner}/{repo}",
            status="200",
        )
        == 1
    )
    assert sample(text, "linkname_github_rate_limit_remaining", resource="core") == 4321
    assert sample(text, "linkname_findings_total", rule="invalid-reference") == 2
    assert sample(text, "linkname_job_duration_seconds_count", kind="review", outcome="ok") == 1
    assert sample(text, "linkname_queue_recovered_total") == 3
    assert [r.repository for r in recent.items()] == ["acme/widgets"]


def test_a_relay_whose_parent_is_gone_drops_messages() -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    receiver.close()
    Relay(sender).send("recovered", 1)  # no BrokenPipeError: metrics are not worth a job


def test_where_the_worker_runs(tmp_path: Path) -> None:
    durable = Settings(queue_url=f"sqlite:///{tmp_path}/q.db")
    assert worker_mode(durable, queue=None, stdlib=load_stdlib) == "process"
    assert worker_mode(durable, queue=None, stdlib=None) == "task"
    assert worker_mode(Settings(queue_url="memory://"), queue=None, stdlib=None) == "task"


# -- the served App --------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeGitHub, BotProcess]]:
    with serve() as gh:
        bot = BotProcess(gh, f"sqlite:///{tmp_path}/queue.db", tmp_path)
        bot.start()
        try:
            yield gh, bot
        finally:
            bot.stop()


def review(gh: FakeGitHub, bot: BotProcess, repo: Repo, number: int) -> None:
    pull = gh.add_pull(repo, number, {f"p{number}/x.go": NEW_FILE})
    body = json.dumps(pull_request_event(repo, pull, "opened")).encode()
    assert post(bot.url, "pull_request", body, str(uuid.uuid4())).status_code == 202
    assert wait_for(lambda: bool(completed_runs(repo, pull)), 30), bot.logs()[-3000:]


def worker_pids(bot: BotProcess) -> list[int]:
    return [int(m) for m in re.findall(r'"worker process started".*?"pid": (\d+)', bot.logs())]


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def test_reviews_run_in_a_worker_process_and_report_to_the_app(
    served: tuple[FakeGitHub, BotProcess],
) -> None:
    gh, bot = served
    repo = gh.add_repo("acme/widgets", files={"go.mod": GO_MOD})
    review(gh, bot, repo, 1)
    assert bot.proc is not None
    (pid,) = worker_pids(bot)
    assert pid != bot.proc.pid
    assert os.getpgid(pid) == os.getpgid(bot.proc.pid)
    text = httpx.get(f"{bot.url}/metrics", timeout=5).text
    assert wait_for(
        lambda: (
            sample(
                httpx.get(f"{bot.url}/metrics", timeout=5).text,
                "linkname_job_duration_seconds_count",
                kind="review",
                outcome="ok",
            )
            == 1
        ),
        5,
    ), text
    text = httpx.get(f"{bot.url}/metrics", timeout=5).text
    assert sample(text, "linkname_findings_total", rule="invalid-reference") >= 1
    assert "linkname_github_requests_total{" in text
    assert "acme/widgets" in httpx.get(f"{bot.url}/", timeout=5).text  # the status page


def test_a_dead_worker_process_is_started_again(served: tuple[FakeGitHub, BotProcess]) -> None:
    gh, bot = served
    repo = gh.add_repo("acme/gadgets", files={"go.mod": GO_MOD})
    assert wait_for(lambda: len(worker_pids(bot)) == 1, 10)
    (first,) = worker_pids(bot)
    os.kill(first, signal.SIGKILL)
    assert wait_for(lambda: len(worker_pids(bot)) == 2, 15), bot.logs()[-3000:]
    assert "the worker process exited; starting it again" in bot.logs()
    review(gh, bot, repo, 2)


def test_the_worker_process_dies_with_the_app(served: tuple[FakeGitHub, BotProcess]) -> None:
    _, bot = served
    assert wait_for(lambda: len(worker_pids(bot)) == 1, 10)
    (pid,) = worker_pids(bot)
    assert not gone(pid)
    bot.kill9()
    assert wait_for(lambda: gone(pid), 5)


def test_a_graceful_stop_ends_the_worker_process(served: tuple[FakeGitHub, BotProcess]) -> None:
    _, bot = served
    assert wait_for(lambda: len(worker_pids(bot)) == 1, 10)
    (pid,) = worker_pids(bot)
    started = time.monotonic()
    bot.stop()
    assert '"event": "stopped"' in bot.logs()  # the App's shutdown ran to its end
    assert gone(pid)
    assert time.monotonic() - started < 10
