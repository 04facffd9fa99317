"""Prometheus metrics of one App process, on its own ``CollectorRegistry``.

Every ``Metrics`` object owns a registry (never the global one), so two apps in one process,
and every test, count separately. What is measured:

=========================================  ==================================================
``linkname_webhook_deliveries_total``      deliveries by ``event`` and ``outcome`` (queued,
                                           duplicate, ignored, ping, rejected-signature, ...)
``linkname_queue_depth``                   jobs waiting, read from the queue at scrape time
``linkname_queue_oldest_age_seconds``      age of the oldest due job, at scrape time
``linkname_job_duration_seconds``          worker jobs by ``kind`` and ``outcome`` (histogram)
``linkname_findings_total``                findings published in check runs, by ``rule``
``linkname_github_requests_total``         GitHub HTTP attempts by ``endpoint`` and ``status``
``linkname_github_rate_limit_remaining``   last ``x-ratelimit-remaining`` by ``resource``
``linkname_recovery_redeliveries_total``   redeliveries the recovery loop asked GitHub for
``linkname_queue_recovered_total``         jobs of dead workers handed out again at once
=========================================  ==================================================
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.findings import Finding
from bot.github import ClientOptions
from bot.queue.base import Queue
from bot.queue.worker import current_job
from bot.webhook.app import WEBHOOK_PATH

logger = structlog.get_logger("bot.service")

Handler = Callable[[dict[str, object]], Awaitable[None]]

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# The webhook's answers (bot.webhook.app) and what they mean.
OUTCOMES = {
    202: "queued",
    204: "ignored",
    400: "rejected-malformed",
    401: "rejected-signature",
    413: "rejected-too-large",
    415: "rejected-content-type",
    503: "unavailable",
}


def delivery_outcome(event: str, status: int) -> str:
    """The ``outcome`` label of a webhook answer with ``status``."""
    if status == 200:
        return "ping" if event == "ping" else "duplicate"
    return OUTCOMES.get(status, f"status-{status}")


class Metrics:
    """The App's metrics; ``queue`` (if any) is read at every scrape."""

    def __init__(self, queue: Queue | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.queue = queue
        r = self.registry
        self.deliveries = Counter(
            "linkname_webhook_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=r,
        )
        self.queue_depth = Gauge("linkname_queue_depth", "Jobs waiting in the queue", registry=r)
        self.queue_oldest_age = Gauge(
            "linkname_queue_oldest_age_seconds",
            "Seconds the oldest due job has waited (0: none waiting)",
            registry=r,
        )
        self.queue_up = Gauge(
            "linkname_queue_up", "1 when the last scrape could read the queue", registry=r
        )
        self.job_duration = Histogram(
            "linkname_job_duration_seconds",
            "Duration of worker jobs by kind and outcome",
            ["kind", "outcome"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.findings = Counter(
            "linkname_findings", "Findings published in check runs by rule", ["rule"], registry=r
        )
        self.github_requests = Counter(
            "linkname_github_requests",
            "GitHub HTTP attempts by endpoint template and status (0: no answer)",
            ["endpoint", "status"],
            registry=r,
        )
        self.rate_limit_remaining = Gauge(
            "linkname_github_rate_limit_remaining",
            "Last x-ratelimit-remaining GitHub sent, by resource",
            ["resource"],
            registry=r,
        )
        self.recovered = Counter(
            "linkname_queue_recovered",
            "Jobs of dead workers (killed processes) the queue handed out again",
            registry=r,
        )
        self._recovered_seen: dict[int, int] = {}
        self.recovery_sources: list[object] = []
        """Queue objects whose ``recovered`` count feeds ``linkname_queue_recovered_total``."""
        self.redeliveries = Counter(
            "linkname_recovery_redeliveries",
            "Redeliveries requested by the recovery loop",
            registry=r,
        )

    # -- hooks -------------------------------------------------------------------------

    def observe_delivery(self, event: str, status: int) -> None:
        self.deliveries.labels(event or "-", delivery_outcome(event, status)).inc()

    def observe_github_request(self, endpoint: str, status: int) -> None:
        """``ClientOptions.on_request``."""
        self.github_requests.labels(endpoint, str(status)).inc()

    def observe_rate_limit(self, resource: str, remaining: int) -> None:
        """``ClientOptions.on_rate_limit``."""
        self.rate_limit_remaining.labels(resource).set(remaining)

    def observe_findings(self, findings: Sequence[Finding]) -> None:
        """Count the findings of one completed review, by rule."""
        for f in findings:
            self.findings.labels(f.rule).inc()

    def observe_job(self, kind: str, outcome: str, seconds: float) -> None:
        """One job ran for ``seconds`` and ended ``ok`` or ``error``."""
        self.job_duration.labels(kind, outcome).observe(seconds)

    def client_options(self, **kwargs: Any) -> ClientOptions:
        """``ClientOptions`` whose request and rate-limit hooks feed these metrics."""
        return ClientOptions(
            on_request=self.observe_github_request,
            on_rate_limit=self.observe_rate_limit,
            **kwargs,
        )

    # -- worker ------------------------------------------------------------------------

    def instrument(self, handler: Handler) -> Handler:
        """Time each job and bind its ids to the log context (structlog contextvars).

        The worker runs each handler call in its own task, so the bound values stay with
        that job: every log line of the job path carries ``job_id``, ``delivery_id``,
        ``repository``, ``pull_number`` and ``head_sha``.
        """

        async def run(payload: dict[str, object]) -> None:
            kind = str(payload.get("kind", "unknown"))
            structlog.contextvars.bind_contextvars(**job_context(payload))
            started = time.perf_counter()
            outcome = "error"
            try:
                await handler(payload)
                outcome = "ok"
            finally:
                self.observe_job(kind, outcome, time.perf_counter() - started)

        return run

    # -- exposition --------------------------------------------------------------------

    def _count_recovered(self) -> None:
        for source in [self.queue, *self.recovery_sources]:
            count = getattr(source, "recovered", None)
            if isinstance(count, int):
                delta = count - self._recovered_seen.get(id(source), 0)
                if delta > 0:
                    self.recovered.inc(delta)
                    self._recovered_seen[id(source)] = count

    async def refresh_queue(self) -> None:
        """Read the queue's depth and oldest age now (a scrape)."""
        self._count_recovered()
        if self.queue is None:
            return
        try:
            depth = await self.queue.depth()
            age = await self.queue.oldest_age()
        except Exception:
            logger.warning("metrics: the queue is unreadable", exc_info=True)
            self.queue_up.set(0)
            return
        self.queue_up.set(1)
        self.queue_depth.set(depth)
        self.queue_oldest_age.set(age or 0.0)

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics``."""
        await self.refresh_queue()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def job_context(payload: dict[str, object]) -> dict[str, object]:
    """The ids of a queued job payload worth putting on every log line of its run."""
    context: dict[str, object] = {"job_kind": payload.get("kind")}
    job = current_job()
    if job is not None:
        context["job_id"] = job.id
        context["job_attempt"] = job.attempts
    for key in ("delivery_id", "head_sha", "pull_number", "issue_number", "check_run_id"):
        if payload.get(key) is not None:
            context[key] = payload[key]
    if "pull_number" not in context and payload.get("issue_number") is not None:
        context["pull_number"] = payload["issue_number"]
    context.pop("issue_number", None)
    repo = payload.get("repo")
    if isinstance(repo, dict):
        context["repository"] = f"{repo.get('owner')}/{repo.get('repo')}"
    return context


class DeliveryMetrics:
    """ASGI middleware: count each webhook answer by event and status-derived outcome.

    A pure ASGI wrapper (not ``BaseHTTPMiddleware``): it only peeks at the response start.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        event = ""
        for name, value in scope["headers"]:
            if name == b"x-github-event":
                event = value.decode("latin-1")[:64]
                break

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.observe_delivery(event, int(message["status"]))
            await send(message)

        await self.app(scope, receive, sending)


__all__ = [
    "DeliveryMetrics",
    "Metrics",
    "delivery_outcome",
    "job_context",
]
