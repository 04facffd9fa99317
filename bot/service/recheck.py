"""Re-check every installed repository when a Go release lands.

``enqueue_rechecks`` lists the App's installations (``GET /app/installations``) and each one's
repositories (``GET /installation/repositories``), every page, and stores one ``RecheckJob``
per repository in the durable queue. A job's coalesce key is its repository: a second request
while a job waits replaces it, so a repository is never re-checked twice for nothing.

``handle_recheck`` reviews the default branch's HEAD as a whole tree
(``bot.fetch.repository_tree``) on the repository's window with the new version added, posts a
``linkname`` check run on that commit and, with ``RELEASE_ISSUES=1``, opens (or updates, or
closes) one issue listing the directives that break on the new version only.

Pacing: GitHub's secondary rate limits allow about 80 content-creating requests a minute and
500 an hour. Writes of one installation are already spaced by ``GITHUB_WRITE_INTERVAL``; on top
of that, the writes of re-check jobs of one installation begin at most once every
``RECHECK_INTERVAL`` seconds (8 by default: 450 repositories an hour, each one check run and
at most one issue write; the reads and the analysis of the next repository overlap the wait).
On a Redis queue both spacings hold across replicas (``bot.github.shared_pacing``); on SQLite
there is one process. Re-checks share the worker with pull-request reviews: a review queued
behind a re-check of many repositories waits its turn.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

import structlog

from bot.analyse.engine import window_for
from bot.analyse.release import Break, new_version_breaks
from bot.analyse.review import ReviewRequest, StdlibLoader, run_review
from bot.fetch.repository_tree import fetch_tree
from bot.github import (
    Annotation,
    CheckAction,
    CheckOutput,
    GitHubApp,
    GitHubError,
    Issue,
    RepoGateway,
    WritePacer,
    installation_repositories,
)
from bot.github.errors import NotFound
from bot.github.pacing import Clock, Pacer, PacerFactory, Sleep
from bot.publish.checkrun import render_check_run
from bot.publish.release_issue import RESOLVED, marker, render_issue, render_resolved
from bot.publish.writes import CHECK_NAME
from bot.queue import worker
from bot.queue.jobs import RecheckJob, RepoRef
from bot.stdlib.facts import available_versions
from bot.versions import label
from bot.webhook.app import QueueWriter

logger = structlog.get_logger("bot.service")

DEFAULT_INTERVAL = 8.0


class InstallationPacer:
    """Spaces the starts of re-check jobs of one installation by ``interval`` seconds: in this
    process, or across processes with ``pacers`` (``shared_pacers``)."""

    def __init__(
        self,
        interval: float,
        *,
        pacers: PacerFactory | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._factory = pacers
        self._pacers: dict[int, Pacer] = {}

    async def wait(self, installation_id: int) -> None:
        pacer = self._pacers.get(installation_id)
        if pacer is None:
            if self._factory is not None:
                pacer = self._factory(installation_id, self.interval)
            else:
                pacer = WritePacer(self.interval, clock=self._clock, sleep=self._sleep)
            self._pacers[installation_id] = pacer
        await pacer.wait()


class UnknownVersion(ValueError):
    """A re-check for a Go version the standard-library facts do not cover."""


def release_version(go: int | None) -> int:
    """The version to re-check for: ``go``, or the newest the facts cover."""
    known = available_versions()
    if go is None:
        return max(known)
    if go not in known:
        have = ", ".join(label(v) for v in known)
        raise UnknownVersion(f"no standard-library facts for Go {label(go)} (have {have})")
    return go


@dataclass(frozen=True)
class Enqueued:
    installations: int
    repositories: int
    queued: int  # new jobs (a waiting job of the same repository is replaced, not added)
    skipped: int = 0  # archived repositories, suspended installations


async def enqueue_rechecks(
    app: GitHubApp, queue: QueueWriter, go: int, request_id: str
) -> Enqueued:
    """One ``RecheckJob`` per repository of every installation, stored durably."""
    installations = await app.gateway().installations()
    repositories = queued = skipped = 0
    for installation in installations:
        if installation.suspended:
            skipped += 1
            continue
        for repo in await installation_repositories(app.installation(installation.id)):
            repositories += 1
            if repo.archived:  # GitHub refuses writes to archived repositories
                skipped += 1
                continue
            job = RecheckJob(
                repo=RepoRef(installation_id=installation.id, owner=repo.owner, repo=repo.name),
                go=go,
                delivery_id=request_id,
                default_branch=repo.default_branch,
            )
            if await queue.enqueue(
                job.model_dump(mode="json"),
                dedup_id=f"{request_id}:{repo.full_name}",
                coalesce_key=job.coalesce_key,
                fair_key=job.fair_key,
            ):
                queued += 1
    logger.info(
        "re-checks queued",
        go=label(go),
        installations=len(installations),
        repositories=repositories,
        queued=queued,
        skipped=skipped,
    )
    return Enqueued(len(installations), repositories, queued, skipped)


@dataclass(frozen=True)
class RecheckOutcome:
    """What a re-check did (for logs and tests)."""

    status: str  # "published", "already-published", "empty", "superseded"
    head_sha: str | None = None
    check_run_id: int | None = None
    conclusion: str | None = None
    breaks: int = 0
    issue: str | None = None  # "opened", "updated", "unchanged", "closed", None
    issue_number: int | None = None


def recheck_window(request: ReviewRequest, go: int) -> tuple[int, ...]:
    """The repository's window (its policy's, else from its go line) with ``go`` added."""
    policy = request.policy
    base = (policy.versions() if policy is not None else None) or window_for(request.workspace)
    return tuple(sorted({*base, go}))


async def _head(gw: RepoGateway, job: RecheckJob) -> tuple[str, str] | None:
    """The default branch and its HEAD; None for an empty repository."""
    branch = job.default_branch
    if branch is not None:
        try:
            return branch, await gw.branch_head(branch)
        except NotFound:
            pass  # renamed since it was listed
    branch = (await gw.repository()).default_branch
    try:
        return branch, await gw.branch_head(branch)
    except NotFound:
        return None


async def handle_recheck(
    job: RecheckJob,
    app: GitHubApp,
    *,
    stdlib: StdlibLoader | None,
    release_issues: bool = False,
    pacer: InstallationPacer | None = None,
) -> RecheckOutcome:
    """Review the default branch's HEAD for the window with ``job.go``; publish."""
    gw = app.repo(job.repo.installation_id, job.repo.owner, job.repo.repo)
    log = logger.bind(repository=job.repo.full_name, delivery_id=job.delivery_id)
    head = await _head(gw, job)
    if head is None:
        log.info("re-check: empty repository")
        return RecheckOutcome("empty")
    branch, sha = head
    runs = [r for r in await gw.check_runs_for(sha) if r.name == CHECK_NAME]
    published = next(
        (r for r in runs if r.external_id == job.delivery_id and r.status == "completed"), None
    )
    if published is not None and not release_issues:
        log.info("re-check already published", head_sha=sha)
        return RecheckOutcome("already-published", sha, published.id)

    request = await fetch_tree(gw, sha)
    request = replace(request, versions=recheck_window(request, job.go))
    review = await asyncio.to_thread(run_review, request, stdlib)
    if await worker.superseded():
        log.info("re-check superseded", head_sha=sha)
        return RecheckOutcome("superseded", sha)

    if pacer is not None:  # the reads and the analysis above overlap the wait
        await pacer.wait(job.repo.installation_id)
    rendered = render_check_run(review, head_sha=sha)
    if not review.report.directives and not review.report.findings:
        rendered = replace(
            rendered,
            title="No //go:linkname directives",
            summary=f"`{branch}` has no `//go:linkname` directive at `{sha[:7]}`.",
        )
    if published is None:
        note = f"Re-check of `{branch}` for Go {label(job.go)} (a new Go release)."
        run = await gw.create_check_run(
            sha,
            CHECK_NAME,
            status="completed",
            conclusion=rendered.conclusion,
            output=CheckOutput(
                title=rendered.title,
                summary=f"{note}\n\n{rendered.summary}"[:65_535],
                text=rendered.text,
                annotations=[Annotation(**a) for a in rendered.annotations],
            ),
            actions=[CheckAction(**a) for a in rendered.actions],
            external_id=job.delivery_id,
        )
    else:  # an earlier attempt posted it and failed on the issue
        run = published
    breaks = new_version_breaks(review.report, job.go)
    status = "published" if published is None else "already-published"
    outcome = RecheckOutcome(status, sha, run.id, rendered.conclusion, len(breaks))
    if release_issues:
        try:
            # The body names the commit, not the run: a re-check of the same commit
            # writes nothing.
            issue, number = await sync_issue(gw, job.go, breaks, branch=branch, sha=sha)
        except GitHubError as error:
            if error.is_transient:
                raise  # the retry finds its check run (external_id) and redoes the issue
            # No `issues: write` (the App's permissions were not updated), issues disabled
            # (410): the check run says it all; trying again cannot help.
            log.warning("release issue not written", status=error.status, error=str(error))
            issue, number = "refused", None
        outcome = replace(outcome, issue=issue, issue_number=number)
    log.info(
        "re-check done",
        head_sha=sha,
        check_run_id=run.id,
        conclusion=rendered.conclusion,
        findings=len(review.report.findings),
        breaks=len(breaks),
        issue=outcome.issue,
    )
    return outcome


async def sync_issue(
    gw: RepoGateway,
    version: int,
    breaks: list[Break],
    *,
    branch: str,
    sha: str,
) -> tuple[str | None, int | None]:
    """Open, update or close the one issue of ``version`` (found by its hidden marker)."""
    existing: Issue | None = await gw.find_issue(marker(version))
    if not breaks:
        if existing is None or existing.state != "open":
            return None, existing.number if existing else None
        await gw.update_issue(
            existing.number,
            body=render_resolved(version, branch=branch, sha=sha),
            state="closed",
        )
        return "closed", existing.number
    title, body = render_issue(version, breaks, branch=branch, sha=sha)
    if existing is None:
        created = await gw.create_issue(title, body)
        return "opened", created.number
    reopen = existing.state != "open" and RESOLVED in existing.body  # closed by linkname-bot
    if existing.title == title and existing.body == body and not reopen:
        return "unchanged", existing.number
    await gw.update_issue(existing.number, title=title, body=body, state="open" if reopen else None)
    return "updated", existing.number
