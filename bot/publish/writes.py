"""The GitHub writes of a review: the check run's life and the review with its threads.

The order is chosen so that a retry (the worker runs a failed job again) never duplicates
anything: the check run in progress for the head is re-used, inline comments carry
fingerprints and those already on the pull request are skipped, and threads whose finding is
gone are resolved, never deleted.
"""

from __future__ import annotations

import asyncio
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


async def open_check_run(gw: RepoGateway, head_sha: str, delivery_id: str) -> int | None:
    """The check run a delivery publishes to, in progress; None when an earlier attempt of the
    same delivery already completed it (the worker died before acknowledging the job).

    An earlier attempt's run (same ``external_id``) or a run left unfinished is re-used; a
    Re-run or a recheck gets a new run, as GitHub recommends, so annotations are not appended
    to the previous run's.
    """
    runs = [r for r in await gw.check_runs_for(head_sha) if r.name == CHECK_NAME]
    for run in runs:
        if run.external_id == delivery_id and run.status == "completed":
            return None
    for run in runs:
        if run.external_id == delivery_id or run.status != "completed":
            await gw.update_check_run(run.id, status="in_progress")
            return run.id
    run = await gw.create_check_run(
        head_sha,
        CHECK_NAME,
        status="in_progress",
        output=CheckOutput("Reviewing //go:linkname directives", "The review is running."),
        external_id=delivery_id,
    )
    return run.id


async def close_check_run(
    gw: RepoGateway, run_id: int, conclusion: str, title: str, summary: str
) -> None:
    """Complete a run that has no findings to show (nothing to review, superseded)."""
    await gw.update_check_run(
        run_id,
        status="completed",
        conclusion=conclusion,
        output=CheckOutput(title, summary),
        actions=[],
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
    comments: int = 0
    review_refused: bool = False
    resolved_threads: int = 0


async def publish_review(
    gw: RepoGateway,
    *,
    pull_number: int,
    head_sha: str,
    run_id: int,
    review: Review,
    scopes: Mapping[str, FileScope],
    existing: set[str],
    threads: list[ReviewThread],
    log: Any,
    docs: str | None = None,
) -> Published:
    """Post the review (new inline comments only), complete the check run, resolve the
    threads whose finding is gone. A review GitHub refuses (422) leaves its findings to the
    check run's annotations, with a note saying so."""
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
    await gw.update_check_run(
        run_id,
        status="completed",
        conclusion=rendered.conclusion,
        output=_output(rendered, note),
        actions=[CheckAction(**a) for a in rendered.actions],
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
    return Published(rendered.conclusion, posted, refused, resolved)


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
