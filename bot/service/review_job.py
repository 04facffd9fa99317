"""Run one review job: resolve the pull request, fetch, review, publish.

The job's steps are the pipeline's folders: ``fetch`` (the pull request at its head),
``analyse`` (``run_review``), ``publish`` (the check run, the review and its threads). This
module only decides what happens when, with one ``JobContext`` per job.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from bot.analyse.review import ReviewRequest, StdlibLoader
from bot.analyse.window_change import review_with_window_changes
from bot.fetch.pull_request import fetch_snapshot
from bot.findings import Finding
from bot.github import GitHubApp, GitHubError, PullRequest, RepoGateway, ReviewThread
from bot.policy.config import Policy
from bot.publish.writes import (
    CHECK_NAME,
    PROGRESS_AFTER,
    PUBLISHED,
    CheckRunProgress,
    close_check_run,
    fail_check_run,
    find_check_run,
    publish_review,
)
from bot.queue import worker
from bot.queue.jobs import AddRegistryJob, CommandReplyJob, RecheckJob, ReviewJob, parse_job
from bot.queue.worker import PermanentError
from bot.report.fingerprint import extract_fingerprints
from bot.scope.scope import FileScope
from bot.service.add_registry import handle_add_registry
from bot.service.recheck import DEFAULT_INTERVAL, InstallationPacer, handle_recheck
from bot.stdlib.loader import load_stdlib

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})

logger = structlog.get_logger("bot.service")


@dataclass(frozen=True)
class JobContext:
    """What a review job works with: the repository's gateway, the job, its logger, and how to
    ask whether a newer job of the same pull request replaced it."""

    gw: RepoGateway
    job: ReviewJob
    log: Any
    docs: str | None = None  # the documentation root rule links point at (DOCS_URL)
    progress_after: float = PROGRESS_AFTER  # seconds before a slow review shows a running run
    superseded: Callable[[], Awaitable[bool]] = worker.superseded


@dataclass(frozen=True)
class Outcome:
    """What a review job did (for logs and tests)."""

    status: str  # published, nothing, refused, superseded, no-pull, stale-head, already-published
    pull_number: int | None = None
    check_run_id: int | None = None
    comments: int = 0
    review_refused: bool = False
    resolved_threads: int = 0


def _gateway(
    app: GitHubApp, job: ReviewJob | CommandReplyJob | AddRegistryJob | RecheckJob
) -> RepoGateway:
    return app.repo(job.repo.installation_id, job.repo.owner, job.repo.repo)


async def _resolve_pull(gw: RepoGateway, job: ReviewJob) -> PullRequest | None:
    """The PR by number, or the open PR whose head is the job's commit (fork check suites)."""
    if job.pull_number is not None:
        return await gw.pull(job.pull_number)
    assert job.head_sha is not None  # ReviewJob guarantees one of the two
    found = [p for p in await gw.pulls_for_commit(job.head_sha) if p.state == "open"]
    found = [p for p in found if p.head_sha == job.head_sha] or found
    return min(found, key=lambda p: p.number) if found else None


async def _cancel(*tasks: asyncio.Future[Any]) -> None:
    """Stop reads whose answers are no longer needed (and collect their errors)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _existing_fingerprints(gw: RepoGateway, number: int) -> set[str]:
    """Fingerprints the App already posted: inline comments and review bodies."""
    comments, reviews = await asyncio.gather(
        gw.list_review_comments(number), gw.list_reviews(number)
    )
    found: set[str] = set()
    for comment in comments:
        found |= extract_fingerprints(comment.body)
    for review in reviews:
        found |= extract_fingerprints(review.body)
    return found


def _touches_review_inputs(scopes: Mapping[str, FileScope], policy: Policy | None) -> bool:
    """True when the change touches a Go file, a go.mod or a policy file."""
    registry = set(policy.settings.registry_files) if policy is not None else set()
    return any(
        path.endswith(".go")
        or posixpath.basename(path) == "go.mod"
        or path == ".github/linkname-bot.yml"
        or path in registry
        for path in scopes
    )


async def _allowed(gw: RepoGateway, job: ReviewJob, pull: PullRequest) -> bool:
    """Slash commands: ask the permission API when the payload did not settle it."""
    if not job.needs_permission_check:
        return True
    user = job.requested_by or ""
    permission = await gw.collaborator_permission(user) if user else "none"
    if permission in WRITE_PERMISSIONS:
        return True
    logger.info("command refused", user=user, permission=permission, pull_number=pull.number)
    await gw.create_issue_comment(
        pull.number,
        f"> /linkname recheck\n\n@{user} only users with write access to this repository "
        f"can ask linkname-bot for a review (your permission: `{permission}`).",
    )
    return False


#: Told the findings of every review the job computes (metrics count them by rule).
FindingsHook = Callable[[Sequence[Finding]], None]


async def handle_review(
    job: ReviewJob,
    app: GitHubApp,
    *,
    stdlib: StdlibLoader | None = load_stdlib,
    on_findings: FindingsHook | None = None,
    docs: str | None = None,
    progress_after: float = PROGRESS_AFTER,
) -> Outcome:
    """Review the job's pull request and publish the check run and the review; ``docs`` is the
    documentation root the rule links point at (``DOCS_URL``; None: the project's);
    ``progress_after``: seconds before a review not yet ready shows a running check run."""
    gw = _gateway(app, job)
    log = logger.bind(repository=job.repo.full_name, delivery_id=job.delivery_id)
    pull = await _resolve_pull(gw, job)
    if pull is None:
        log.info("no open pull request for commit", head_sha=job.head_sha)
        return Outcome("no-pull")
    ctx = JobContext(gw, job, log.bind(pull_number=pull.number), docs, progress_after)
    if pull.state != "open":
        ctx.log.info("pull request is not open")
        return Outcome("no-pull", pull.number)
    head_sha = job.head_sha or pull.head_sha
    if head_sha != pull.head_sha:
        # GitHub lists the files of the current head only; the job for that head reviews it.
        ctx.log.info("head moved on", job_head=head_sha, pull_head=pull.head_sha)
        return Outcome("stale-head", pull.number)
    if not await _allowed(gw, job, pull):
        return Outcome("refused", pull.number)
    if job.comment_id is not None:
        try:
            await gw.add_reaction(job.comment_id, "eyes")
        except GitHubError as error:  # an acknowledgement is not worth failing the review
            ctx.log.warning("reaction failed", error=str(error))

    # Independent reads and the in-progress check run go out together: the check run
    # (list + create), the snapshot (file pages, then contents), and what the App already
    # posted (comments, reviews, threads). See bench/bench_github.py for the round trips.
    existing_task = asyncio.ensure_future(_existing_fingerprints(gw, pull.number))
    threads_task = asyncio.ensure_future(gw.review_threads(pull.number))
    try:
        return await _review_and_publish(
            ctx, pull, head_sha, stdlib, existing_task, threads_task, on_findings
        )
    finally:
        await _cancel(existing_task, threads_task)  # no-op for reads already awaited


async def _review_and_publish(
    ctx: JobContext,
    pull: PullRequest,
    head_sha: str,
    stdlib: StdlibLoader | None,
    existing_task: asyncio.Future[set[str]],
    threads_task: asyncio.Future[list[ReviewThread]],
    on_findings: FindingsHook | None,
) -> Outcome:
    gw, log, delivery_id = ctx.gw, ctx.log, ctx.job.delivery_id
    found, (request, scopes) = await asyncio.gather(
        find_check_run(gw, head_sha, delivery_id),
        fetch_snapshot(gw, pull.number, head_sha, base_sha=pull.base_sha),
    )
    if found == PUBLISHED:
        log.info("already published by an earlier attempt", delivery_id=delivery_id)
        return Outcome("already-published", pull.number)
    progress = (
        None
        if found is not None
        else CheckRunProgress(gw, head_sha, delivery_id, ctx.progress_after)
    )
    try:
        return await _analyse_and_publish(
            ctx,
            pull,
            head_sha,
            request,
            scopes,
            found,
            progress,
            stdlib,
            existing_task,
            threads_task,
            on_findings,
        )
    finally:
        if progress is not None:
            await progress.close()


async def _analyse_and_publish(
    ctx: JobContext,
    pull: PullRequest,
    head_sha: str,
    request: ReviewRequest,
    scopes: Mapping[str, FileScope],
    run_id: int | None,
    progress: CheckRunProgress | None,
    stdlib: StdlibLoader | None,
    existing_task: asyncio.Future[set[str]],
    threads_task: asyncio.Future[list[ReviewThread]],
    on_findings: FindingsHook | None,
) -> Outcome:
    gw, log, delivery_id = ctx.gw, ctx.log, ctx.job.delivery_id
    if not _touches_review_inputs(scopes, request.policy):
        if progress is not None:
            run_id = await progress.settle()
        await close_check_run(
            gw,
            head_sha,
            run_id,
            delivery_id,
            "success",
            "Nothing to review",
            "This pull request changes no Go file, go.mod or linkname-bot policy file.",
        )
        log.info("review done", outcome="nothing", check_run_id=run_id)
        return Outcome("nothing", pull.number, run_id)

    review = await asyncio.to_thread(review_with_window_changes, request, stdlib)
    if on_findings is not None:
        on_findings(review.report.findings)
    if progress is not None:
        run_id = await progress.settle()
    if await ctx.superseded():
        if run_id is not None:  # a run nobody shows as running: the newer job publishes
            await close_check_run(
                gw,
                head_sha,
                run_id,
                delivery_id,
                "cancelled",
                "Superseded",
                "A newer review of this pull request replaced it.",
            )
        log.info("review superseded", check_run_id=run_id)
        return Outcome("superseded", pull.number, run_id)

    published = await publish_review(
        gw,
        pull_number=pull.number,
        head_sha=head_sha,
        run_id=run_id,
        delivery_id=delivery_id,
        review=review,
        scopes=scopes,
        existing=await existing_task,
        threads=await threads_task,
        log=log,
        docs=ctx.docs,
    )
    run_id = published.run_id
    log.info(
        "review done",
        outcome="published",
        check_run_id=run_id,
        conclusion=published.conclusion,
        findings=len(review.report.findings),
        comments=published.comments,
        resolved_threads=published.resolved_threads,
    )
    return Outcome(
        "published",
        pull.number,
        run_id,
        published.comments,
        published.review_refused,
        published.resolved_threads,
    )


async def handle_reply(job: CommandReplyJob, app: GitHubApp) -> None:
    """Answer a slash command (help) with a reply."""
    gw = _gateway(app, job)
    await gw.create_issue_comment(job.issue_number, job.body)


async def give_up(payload: dict[str, object], error: str, app: GitHubApp) -> None:
    """The worker gave up on a job: a review job's check run fails and says why."""
    try:
        job = parse_job(payload)
    except ValueError:
        logger.error("gave up on an unreadable job", error=error)
        return
    if not isinstance(job, ReviewJob):
        logger.error("gave up on job", kind=job.kind, error=error)
        return
    gw = _gateway(app, job)
    head_sha = job.head_sha
    if head_sha is None:
        pull = await _resolve_pull(gw, job)
        if pull is None:
            return
        head_sha = pull.head_sha
    await fail_check_run(gw, head_sha, job.check_run_id, error)


def make_handlers(
    app: GitHubApp,
    *,
    stdlib: StdlibLoader | None = load_stdlib,
    on_findings: FindingsHook | None = None,
    docs: str | None = None,
    release_issues: bool = False,
    recheck_pacer: InstallationPacer | None = None,
) -> tuple[
    Callable[[dict[str, object]], Awaitable[None]],
    Callable[[dict[str, object], str], Awaitable[None]],
]:
    """The worker's ``handler`` and ``on_give_up`` for ``app``; ``release_issues``: re-checks
    open release issues; ``recheck_pacer``: spaces re-checks (``Settings.recheck_interval``)."""
    pacer = recheck_pacer or InstallationPacer(DEFAULT_INTERVAL)

    async def handler(payload: dict[str, object]) -> None:
        try:
            job = parse_job(payload)
        except ValueError as error:
            raise PermanentError(f"unreadable job: {error}") from error
        try:
            if isinstance(job, ReviewJob):
                await handle_review(job, app, stdlib=stdlib, on_findings=on_findings, docs=docs)
            elif isinstance(job, CommandReplyJob):
                await handle_reply(job, app)
            elif isinstance(job, RecheckJob):
                await handle_recheck(
                    job, app, stdlib=stdlib, release_issues=release_issues, pacer=pacer
                )
            else:
                await handle_add_registry(job, app, stdlib=stdlib)
        except GitHubError as error:
            if error.is_transient:
                raise
            raise PermanentError(str(error)) from error  # 4xx: another try cannot help

    async def on_give_up(payload: dict[str, object], error: str) -> None:
        await give_up(payload, error, app)

    return handler, on_give_up


__all__ = ["CHECK_NAME", "Outcome", "give_up", "handle_reply", "handle_review", "make_handlers"]
