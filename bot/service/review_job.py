"""Run one review job: resolve the pull request, fetch, review, publish.

The order of the writes is chosen so that a retry (the worker runs a failed job again) never
duplicates anything: the check run in progress for the head is re-used, inline comments
carry fingerprints and those already on the pull request are skipped.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from bot.analyse.review import StdlibLoader, run_review
from bot.findings import Finding
from bot.github import (
    Annotation,
    CheckAction,
    CheckOutput,
    GitHubApp,
    GitHubError,
    NewReviewComment,
    PullRequest,
    RepoGateway,
    ReviewThread,
    ValidationFailed,
)
from bot.policy.config import parse_config
from bot.publish.checkrun import CheckRunOutput, render_check_run
from bot.publish.fingerprint import extract_fingerprints, fingerprints, stale_threads
from bot.publish.review_comments import plan_review
from bot.queue.jobs import AddRegistryJob, CommandReplyJob, ReviewJob, parse_job
from bot.queue.worker import PermanentError, superseded
from bot.scope.scope import FileScope
from bot.service.add_registry import handle_add_registry
from bot.service.snapshot import fetch_snapshot
from bot.stdlib.loader import load_stdlib

CHECK_NAME = "linkname"
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
MAX_SUMMARY = 65_535

logger = structlog.get_logger("bot.service")


@dataclass(frozen=True)
class Outcome:
    """What a review job did (for logs and tests)."""

    status: str  # published, nothing, refused, superseded, no-pull, stale-head, already-published
    pull_number: int | None = None
    check_run_id: int | None = None
    comments: int = 0
    review_refused: bool = False
    resolved_threads: int = 0


def _gateway(app: GitHubApp, job: ReviewJob | CommandReplyJob | AddRegistryJob) -> RepoGateway:
    return app.repo(job.repo.installation_id, job.repo.owner, job.repo.repo)


async def _resolve_pull(gw: RepoGateway, job: ReviewJob) -> PullRequest | None:
    """The PR by number, or the open PR whose head is the job's commit (fork check suites)."""
    if job.pull_number is not None:
        return await gw.pull(job.pull_number)
    assert job.head_sha is not None  # ReviewJob guarantees one of the two
    found = [p for p in await gw.pulls_for_commit(job.head_sha) if p.state == "open"]
    found = [p for p in found if p.head_sha == job.head_sha] or found
    return min(found, key=lambda p: p.number) if found else None


async def _check_run_in_progress(gw: RepoGateway, head_sha: str, job: ReviewJob) -> int | None:
    """The check run this job publishes to, in progress; None when an earlier attempt of the
    same delivery already completed it (the worker died before acknowledging the job).

    An earlier attempt's run (same ``external_id``) or a run left unfinished is re-used; a
    Re-run or a recheck gets a new run, as GitHub recommends, so annotations are not appended
    to the previous run's.
    """
    runs = [r for r in await gw.check_runs_for(head_sha) if r.name == CHECK_NAME]
    for run in runs:
        if run.external_id == job.delivery_id and run.status == "completed":
            return None
    for run in runs:
        if run.external_id == job.delivery_id or run.status != "completed":
            await gw.update_check_run(run.id, status="in_progress")
            return run.id
    run = await gw.create_check_run(
        head_sha,
        CHECK_NAME,
        status="in_progress",
        output=CheckOutput("Reviewing //go:linkname directives", "The review is running."),
        external_id=job.delivery_id,
    )
    return run.id


def _reason(error: GitHubError) -> str:
    """GitHub's message and its ``errors`` details (strings or objects), on one line."""
    details = [
        e.get("message") or e.get("code") if isinstance(e, dict) else e for e in error.errors
    ]
    parts = [error.message, *(str(d) for d in details if d)]
    return "; ".join(parts).replace("\n", " ")[:500]


def _output(rendered: CheckRunOutput, note: str | None = None) -> CheckOutput:
    summary = rendered.summary
    if note:
        summary = f"{note}\n\n{summary}"[:MAX_SUMMARY]
    return CheckOutput(
        title=rendered.title,
        summary=summary,
        text=rendered.text,
        annotations=[Annotation(**a) for a in rendered.annotations],
    )


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


def _touches_review_inputs(scopes: Mapping[str, FileScope], config_text: str | None) -> bool:
    """True when the change touches a Go file, a go.mod or a policy file."""
    policy = parse_config(config_text) if config_text is not None else None
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
) -> Outcome:
    """Review the job's pull request and publish the check run and the review; ``docs`` is the
    documentation root the rule links point at (``DOCS_URL``; None: the project's)."""
    gw = _gateway(app, job)
    log = logger.bind(repository=job.repo.full_name, delivery_id=job.delivery_id)
    pull = await _resolve_pull(gw, job)
    if pull is None:
        log.info("no open pull request for commit", head_sha=job.head_sha)
        return Outcome("no-pull")
    log = log.bind(pull_number=pull.number)
    if pull.state != "open":
        log.info("pull request is not open")
        return Outcome("no-pull", pull.number)
    head_sha = job.head_sha or pull.head_sha
    if head_sha != pull.head_sha:
        # GitHub lists the files of the current head only; the job for that head reviews it.
        log.info("head moved on", job_head=head_sha, pull_head=pull.head_sha)
        return Outcome("stale-head", pull.number)
    if not await _allowed(gw, job, pull):
        return Outcome("refused", pull.number)
    if job.comment_id is not None:
        try:
            await gw.add_reaction(job.comment_id, "eyes")
        except GitHubError as error:  # an acknowledgement is not worth failing the review
            log.warning("reaction failed", error=str(error))

    # Independent reads and the in-progress check run go out together: the check run
    # (list + create), the snapshot (file pages, then contents), and what the App already
    # posted (comments, reviews, threads). See bench/bench_github.py for the round trips.
    existing_task = asyncio.ensure_future(_existing_fingerprints(gw, pull.number))
    threads_task = asyncio.ensure_future(gw.review_threads(pull.number))
    try:
        return await _review_and_publish(
            gw,
            job,
            pull,
            head_sha,
            log,
            stdlib,
            existing_task,
            threads_task,
            on_findings,
            docs=docs,
        )
    finally:
        await _cancel(existing_task, threads_task)  # no-op for reads already awaited


async def _review_and_publish(
    gw: RepoGateway,
    job: ReviewJob,
    pull: PullRequest,
    head_sha: str,
    log: Any,
    stdlib: StdlibLoader | None,
    existing_task: asyncio.Future[set[str]],
    threads_task: asyncio.Future[list[ReviewThread]],
    on_findings: FindingsHook | None,
    *,
    docs: str | None = None,
) -> Outcome:
    run_id, (request, scopes) = await asyncio.gather(
        _check_run_in_progress(gw, head_sha, job),
        fetch_snapshot(gw, pull.number, head_sha, base_sha=pull.base_sha),
    )
    if run_id is None:
        log.info("already published by an earlier attempt", delivery_id=job.delivery_id)
        return Outcome("already-published", pull.number)
    if not _touches_review_inputs(scopes, request.config_text):
        await gw.update_check_run(
            run_id,
            status="completed",
            conclusion="success",
            output=CheckOutput(
                "Nothing to review",
                "This pull request changes no Go file, go.mod or linkname-bot policy file.",
            ),
            actions=[],
        )
        log.info("review done", outcome="nothing", check_run_id=run_id)
        return Outcome("nothing", pull.number, run_id)

    review = await asyncio.to_thread(run_review, request, stdlib)
    if on_findings is not None:
        on_findings(review.report.findings)
    if await superseded():
        await gw.update_check_run(
            run_id,
            status="completed",
            conclusion="cancelled",
            output=CheckOutput("Superseded", "A newer review of this pull request replaced it."),
            actions=[],
        )
        log.info("review superseded", check_run_id=run_id)
        return Outcome("superseded", pull.number, run_id)

    existing = await existing_task
    plan = plan_review(review, scopes, existing_fingerprints=existing, docs=docs)
    note: str | None = None
    posted = 0
    refused = False
    if plan.body is not None:
        comments = [
            NewReviewComment(path=c["path"], body=c["body"], line=c["line"], side=c["side"])
            for c in plan.comments
        ]
        try:
            await gw.create_review(pull.number, head_sha, plan.body, comments)
            posted = len(comments)
        except ValidationFailed as error:
            refused = True
            note = (
                f"> Inline comments could not be posted: GitHub refused the review "
                f"({_reason(error)}). Every finding is in this check run's annotations."
            )
            log.warning("review refused", error=str(error), comments=len(comments))

    rendered = render_check_run(review, head_sha=head_sha, docs=docs)
    await gw.update_check_run(
        run_id,
        status="completed",
        conclusion=rendered.conclusion,
        output=_output(rendered, note),
        actions=[CheckAction(**a) for a in rendered.actions],
    )

    current = set(fingerprints(review).values())
    stale = stale_threads(await threads_task, current)
    results = await asyncio.gather(
        *(gw.resolve_thread(thread_id) for thread_id in stale), return_exceptions=True
    )
    resolved = 0
    for thread_id, result in zip(stale, results, strict=True):
        if isinstance(result, GitHubError):
            log.warning("could not resolve thread", thread_id=thread_id, error=str(result))
        elif isinstance(result, BaseException):
            raise result
        else:
            resolved += 1
    log.info(
        "review done",
        outcome="published",
        check_run_id=run_id,
        conclusion=rendered.conclusion,
        findings=len(review.report.findings),
        comments=posted,
        resolved_threads=resolved,
    )
    return Outcome("published", pull.number, run_id, posted, refused, resolved)


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
    output = CheckOutput(
        "linkname-bot could not finish the review",
        f"The review failed after several attempts: `{error[:1000]}`.\n\n"
        "Re-run this check, or comment `/linkname recheck` on the pull request, to try again.",
    )
    runs = [r for r in await gw.check_runs_for(head_sha) if r.name == CHECK_NAME]
    open_runs = [r for r in runs if r.id == job.check_run_id or r.status != "completed"]
    if open_runs:
        await gw.update_check_run(
            open_runs[0].id, status="completed", conclusion="failure", output=output, actions=[]
        )
    else:
        await gw.create_check_run(
            head_sha, CHECK_NAME, status="completed", conclusion="failure", output=output
        )


def make_handlers(
    app: GitHubApp,
    *,
    stdlib: StdlibLoader | None = load_stdlib,
    on_findings: FindingsHook | None = None,
    docs: str | None = None,
) -> tuple[
    Callable[[dict[str, object]], Awaitable[None]],
    Callable[[dict[str, object], str], Awaitable[None]],
]:
    """The worker's ``handler`` and ``on_give_up`` for ``app``."""

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
