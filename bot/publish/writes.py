"""The GitHub writes of a review: the check run's life and the review with its threads.

The order is chosen so that a retry (the worker runs a failed job again) never duplicates
anything: the delivery's check run, or one left unfinished on the head, is re-used; inline
comments carry fingerprints and those already on the pull request are skipped; threads whose
finding is gone are resolved, never deleted. A review ready within ``PROGRESS_AFTER`` seconds
writes twice (the review, the completed run); a slower one also shows a running run first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.analyse.review import Review
from bot.github import (
    Annotation,
    CheckAction,
    CheckOutput,
    GitHubError,
    NewReviewComment,
    RepoGateway,
    ReviewThread,
    ValidationFailed,
)
from bot.publish.checkrun import CheckRunOutput, render_check_run
from bot.publish.review_comments import plan_review
from bot.report.fingerprint import fingerprints, stale_threads
from bot.scope.scope import FileScope

CHECK_NAME = "linkname"
MAX_SUMMARY = 65_535


PROGRESS_AFTER = 3.0
"""Seconds of fetching and analysing after which a review shows an in-progress check run.

Each write costs a second of the installation's write pacing (GitHub's secondary limits), so
a review that is ready sooner publishes with two writes (the review, then the completed check
run) instead of three."""

PUBLISHED = -1
"""``find_check_run``'s answer when an earlier attempt of the delivery completed its run."""


async def find_check_run(gw: RepoGateway, head_sha: str, delivery_id: str) -> int | None:
    """The check run a delivery publishes to, if it exists: ``PUBLISHED`` when an earlier
    attempt of the same delivery already completed it (the worker died before acknowledging
    the job), the id of a run to re-use, or None (``CheckRunProgress`` creates it).

    An earlier attempt's run (same ``external_id``) or a run left unfinished is re-used; a
    Re-run or a recheck gets a new run, as GitHub recommends, so annotations are not appended
    to the previous run's.
    """
    runs = [r for r in await gw.check_runs_for(head_sha) if r.name == CHECK_NAME]
    for run in runs:
        if run.external_id == delivery_id and run.status == "completed":
            return PUBLISHED
    for run in runs:
        if run.external_id == delivery_id or run.status != "completed":
            if run.status != "in_progress":
                await gw.update_check_run(run.id, status="in_progress")
            return run.id
    return None


class CheckRunProgress:
    """The run of a review that has none yet: created in progress only if the review is not
    ready to publish within ``delay`` seconds; ``settle`` says which run, if any, exists."""

    def __init__(self, gw: RepoGateway, head_sha: str, delivery_id: str, delay: float) -> None:
        self._gw, self._head_sha, self._delivery_id = gw, head_sha, delivery_id
        self._posting = False
        self._task = asyncio.ensure_future(self._open_after(delay))

    async def _open_after(self, delay: float) -> int:
        await asyncio.sleep(delay)
        self._posting = True  # from here on the run may exist: never cancel
        run = await self._gw.create_check_run(
            self._head_sha,
            CHECK_NAME,
            status="in_progress",
            output=CheckOutput("Reviewing //go:linkname directives", "The review is running."),
            external_id=self._delivery_id,
        )
        return run.id

    async def settle(self) -> int | None:
        """Stop the timer: the id of the in-progress run, or None when none was created."""
        if not self._posting:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            return None
        return await self._task

    async def close(self) -> None:
        """Stop the timer if the job ends another way (an error): nothing is left running."""
        if not self._task.done() and not self._posting:
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task


async def close_check_run(
    gw: RepoGateway,
    head_sha: str,
    run_id: int | None,
    delivery_id: str,
    conclusion: str,
    title: str,
    summary: str,
) -> None:
    """Complete a run that has no findings to show (nothing to review, superseded); with no
    run yet, create it completed."""
    output = CheckOutput(title, summary)
    if run_id is None:
        await gw.create_check_run(
            head_sha,
            CHECK_NAME,
            status="completed",
            conclusion=conclusion,
            output=output,
            external_id=delivery_id,
        )
        return
    await gw.update_check_run(
        run_id, status="completed", conclusion=conclusion, output=output, actions=[]
    )


async def fail_check_run(
    gw: RepoGateway, head_sha: str, check_run_id: int | None, error: str
) -> None:
    """The review gave up: its open run (or a new one) fails and says why."""
    output = CheckOutput(
        "linkname-bot could not finish the review",
        f"The review failed after several attempts: `{error[:1000]}`.\n\n"
        "Re-run this check, or comment `/linkname recheck` on the pull request, to try again.",
    )
    runs = [r for r in await gw.check_runs_for(head_sha) if r.name == CHECK_NAME]
    open_runs = [r for r in runs if r.id == check_run_id or r.status != "completed"]
    if open_runs:
        await gw.update_check_run(
            open_runs[0].id, status="completed", conclusion="failure", output=output, actions=[]
        )
    else:
        await gw.create_check_run(
            head_sha, CHECK_NAME, status="completed", conclusion="failure", output=output
        )


@dataclass(frozen=True)
class Published:
    """What ``publish_review`` wrote."""

    conclusion: str
    run_id: int
    comments: int = 0
    review_refused: bool = False
    resolved_threads: int = 0


async def publish_review(
    gw: RepoGateway,
    *,
    pull_number: int,
    head_sha: str,
    run_id: int | None,
    delivery_id: str,
    review: Review,
    scopes: Mapping[str, FileScope],
    existing: set[str],
    threads: list[ReviewThread],
    log: Any,
    docs: str | None = None,
) -> Published:
    """Post the review (new inline comments only), complete the check run (create it completed
    when ``run_id`` is None), resolve the threads whose finding is gone.

    The review goes first: a retry after a crash between the two finds no completed run, posts
    no comment twice (fingerprints) and completes the run; the other order would leave a
    completed run that tells the retry the review was published. A review GitHub refuses
    (422) leaves its findings to the check run's annotations, with a note saying so."""
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
            await gw.create_review(pull_number, head_sha, plan.body, comments)
            posted = len(comments)
        except ValidationFailed as error:
            refused = True
            note = (
                f"> Inline comments could not be posted: GitHub refused the review "
                f"({_reason(error)}). Every finding is in this check run's annotations."
            )
            log.warning("review refused", error=str(error), comments=len(comments))

    rendered = render_check_run(review, head_sha=head_sha, docs=docs)
    actions = [CheckAction(**a) for a in rendered.actions]
    if run_id is None:
        run = await gw.create_check_run(
            head_sha,
            CHECK_NAME,
            status="completed",
            conclusion=rendered.conclusion,
            output=_output(rendered, note),
            actions=actions,
            external_id=delivery_id,
        )
        run_id = run.id
    else:
        await gw.update_check_run(
            run_id,
            status="completed",
            conclusion=rendered.conclusion,
            output=_output(rendered, note),
            actions=actions,
        )

    current = set(fingerprints(review).values())
    stale = stale_threads(threads, current)
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
    return Published(rendered.conclusion, run_id, posted, refused, resolved)


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
