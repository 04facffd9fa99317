"""Prometheus metrics: per-app registry, webhook outcomes, queue at scrape time, job path."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from bot.github import AppCredentials, GitHubApp, RetryPolicy
from bot.queue import Queue
from bot.queue.worker import Worker
from bot.service.metrics import Metrics, delivery_outcome
from bot.service.review_job import make_handlers
from bot.service.server import build_app
from bot.settings import Settings
from bot.testing.fakegithub import FakeGitHub, Repo
from bot.webhook.app import WEBHOOK_PATH
from bot.webhook.logs import configure_logging
from bot.webhook.signature import sign
from tests.test_e2e_review import GO_MOD, NEW_FILE, pull_request_event

SECRET = "metrics-secret"


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo("acme/widgets", files={"go.mod": GO_MOD, "a/a.go": "package a\n"})


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    yield stream
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "linkname-bot-json"]:
        root.removeHandler(handler)


class Served:
    """``build_app`` as served (middleware, /metrics), its worker stepped by the test."""

    def __init__(self, gh: FakeGitHub, queue: Queue) -> None:
        self.metrics = Metrics(queue)
        settings = Settings(app_id=gh.app_id, private_key=gh.private_key, webhook_secret=SECRET)
        retry = RetryPolicy(max_attempts=2, max_wait=1.0, base_delay=0.01, max_delay=0.02)
        options = self.metrics.client_options(retry=retry, write_interval=0.0, timeout=10.0)
        credentials = AppCredentials(gh.app_id, gh.private_key, gh.url)
        self.github = GitHubApp(credentials, options)
        self.app = build_app(
            settings, queue=queue, github=self.github, metrics=self.metrics, recovery_interval=0
        )
        handler, on_give_up = make_handlers(
            self.github, stdlib=None, on_findings=self.metrics.observe_findings
        )
        handler = self.metrics.instrument(handler)
        self.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bot"
        )

    async def post(
        self, event: str, payload: dict[str, Any], *, guid: str | None = None, secret: str = SECRET
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": guid or str(uuid.uuid4()),
            "x-hub-signature-256": sign(secret.encode(), body),
        }
        return await self.http.post(WEBHOOK_PATH, content=body, headers=headers)

    async def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = await self.http.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return samples


@pytest.fixture
async def served(gh: FakeGitHub, queue: Queue) -> AsyncIterator[Served]:
    bot = Served(gh, queue)
    yield bot
    await bot.http.aclose()
    await bot.github.aclose()


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_outcome_labels() -> None:
    assert delivery_outcome("pull_request", 202) == "queued"
    assert delivery_outcome("pull_request", 200) == "duplicate"
    assert delivery_outcome("ping", 200) == "ping"
    assert delivery_outcome("x", 401) == "rejected-signature"
    assert delivery_outcome("x", 418) == "status-418"


def test_registries_are_independent() -> None:
    one, two = Metrics(), Metrics()
    one.observe_delivery("pull_request", 202)
    assert (
        one.registry.get_sample_value(
            "linkname_webhook_deliveries_total", {"event": "pull_request", "outcome": "queued"}
        )
        == 1.0
    )
    assert (
        two.registry.get_sample_value(
            "linkname_webhook_deliveries_total", {"event": "pull_request", "outcome": "queued"}
        )
        is None
    )


async def test_deliveries_queue_jobs_findings_and_github_requests(
    gh: FakeGitHub, repo: Repo, served: Served
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    event = pull_request_event(repo, pull, "opened")
    guid = str(uuid.uuid4())
    assert (await served.post("pull_request", event, guid=guid)).status_code == 202
    assert (await served.post("pull_request", event, guid=guid)).status_code == 200
    assert (await served.post("pull_request", event, secret="forged")).status_code == 401
    closed = pull_request_event(repo, pull, "closed")
    assert (await served.post("pull_request", closed)).status_code == 204
    assert (await served.post("ping", {"zen": "hi", "hook_id": 1})).status_code == 200
    bad = await served.http.post(
        WEBHOOK_PATH, content=b"{}", headers={"content-type": "text/plain"}
    )
    assert bad.status_code == 415

    before = await served.scrape()
    assert value(before, "linkname_queue_depth") == 1  # read from the queue at scrape time
    assert value(before, "linkname_queue_oldest_age_seconds") > 0
    assert value(before, "linkname_queue_up") == 1
    deliveries = "linkname_webhook_deliveries_total"
    assert value(before, deliveries, event="pull_request", outcome="queued") == 1
    assert value(before, deliveries, event="pull_request", outcome="duplicate") == 1
    assert value(before, deliveries, event="pull_request", outcome="rejected-signature") == 1
    assert value(before, deliveries, event="pull_request", outcome="ignored") == 1
    assert value(before, deliveries, event="ping", outcome="ping") == 1
    assert value(before, deliveries, event="-", outcome="rejected-content-type") == 1

    assert await served.worker.run_once()
    after = await served.scrape()
    assert value(after, "linkname_queue_depth") == 0
    assert value(after, "linkname_queue_oldest_age_seconds") == 0
    assert value(after, "linkname_job_duration_seconds_count", kind="review", outcome="ok") == 1
    assert value(after, "linkname_findings_total", rule="unknown-target") == 2
    requests = "linkname_github_requests_total"
    create = "POST /repos/{owner}/{repo}/check-runs"
    assert value(after, requests, endpoint=create, status="201") == 1
    remaining = value(after, "linkname_github_rate_limit_remaining", resource="core")
    assert 0 < remaining < gh.rate_limit


async def test_failed_jobs_and_github_errors_are_counted(
    gh: FakeGitHub, repo: Repo, served: Served
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    gh.faults.add("GET", r"/pulls/7/files$", 500, count=10)
    assert (await served.post("pull_request", pull_request_event(repo, pull, "opened"))).is_success
    assert await served.worker.run_once()
    samples = await served.scrape()
    duration = "linkname_job_duration_seconds_count"
    assert value(samples, duration, kind="review", outcome="error") == 1
    files = "GET /repos/{owner}/{repo}/pulls/{number}/files"
    assert value(samples, "linkname_github_requests_total", endpoint=files, status="500") == 2


async def test_job_log_lines_carry_the_job_ids(
    gh: FakeGitHub, repo: Repo, served: Served, logs: io.StringIO
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    guid = str(uuid.uuid4())
    await served.post("pull_request", pull_request_event(repo, pull, "opened"), guid=guid)
    assert await served.worker.run_once()

    lines = [json.loads(line) for line in logs.getvalue().splitlines()]  # every line is JSON
    (done,) = [e for e in lines if e["event"] == "review done"]
    assert done["delivery_id"] == guid
    assert done["repository"] == "acme/widgets"
    assert done["pull_number"] == 7
    assert done["head_sha"] == pull.head_sha
    assert len(done["job_id"]) >= 8
    (queued,) = [e for e in lines if e["event"] == "webhook queued"]
    assert queued["delivery_id"] == guid and queued["pull_number"] == 7
