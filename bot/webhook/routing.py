"""Turn a verified webhook delivery into the jobs it asks for: a pure function, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.publish.actions import ACTION_ADD_REGISTRY, ACTION_RECHECK
from bot.queue.jobs import (
    AddRegistryJob,
    CommandReplyJob,
    Job,
    RepoRef,
    ReviewJob,
)
from bot.webhook import commands, events
from bot.webhook.commands import Authorisation, Command

# Drafts are reviewed too: a linkname that breaks a Go release is worth knowing before review.
REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


@dataclass(frozen=True)
class Ignored:
    """Nothing to queue, and why (``details`` go to the log)."""

    reason: str
    details: Mapping[str, object] = field(default_factory=dict)


class PayloadError(ValueError):
    """A signed payload that lacks fields this App needs."""


_Result = list[Job] | Ignored


def route(
    event: str, payload: dict[str, Any], *, delivery_id: str = "", app_id: int | None = None
) -> list[Job] | Ignored:
    """The jobs for one delivery, or why there are none.

    ``app_id``, when known, drops check runs and suites that belong to other Apps. Raises
    ``PayloadError`` when a handled event lacks a required field.
    """
    handler = _HANDLERS.get(event)
    if handler is None:
        return Ignored(f"event {event!r} not handled")
    try:
        return handler(payload, delivery_id, app_id)
    except ValidationError as exc:
        raise PayloadError(f"{event} payload: {exc.error_count()} invalid field(s): {exc}") from exc


def _repo(event: events.RepositoryEvent) -> RepoRef | Ignored:
    if event.installation is None:
        return Ignored("no installation in payload (not an App delivery)")
    if event.repository is None:
        return Ignored("no repository in payload")
    return RepoRef(
        installation_id=event.installation.id,
        owner=event.repository.owner.login,
        repo=event.repository.name,
    )


def _pull_request(payload: dict[str, Any], delivery_id: str, app_id: int | None) -> _Result:
    event = events.PullRequestEvent.model_validate(payload)
    if event.action not in REVIEW_ACTIONS:
        return Ignored(f"pull_request action {event.action!r} not handled")
    if event.pull_request.state != "open":
        return Ignored("pull request is not open")
    repo = _repo(event)
    if isinstance(repo, Ignored):
        return repo
    return [
        ReviewJob(
            repo=repo,
            pull_number=event.pull_request.number,
            head_sha=event.pull_request.head.sha,
            reason=event.action,
            delivery_id=delivery_id,
        )
    ]


def _issue_comment(payload: dict[str, Any], delivery_id: str, app_id: int | None) -> _Result:
    event = events.IssueCommentEvent.model_validate(payload)
    if event.issue.pull_request is None:
        return Ignored("comment on an issue, not a pull request")
    comment = event.comment
    command = commands.parse(comment.body)
    if command is None:
        return Ignored("no command")
    decision = commands.authorise(
        action=event.action,
        login=comment.user.login,
        user_type=comment.user.type,
        association=comment.author_association,
    )
    if decision in (Authorisation.IGNORE_BOT, Authorisation.IGNORE_EDIT):
        return Ignored(f"command ignored: {decision}", {"user": comment.user.login})
    if event.issue.state != "open":
        return Ignored("pull request is not open")
    repo = _repo(event)
    if isinstance(repo, Ignored):
        return repo
    if command is Command.HELP:
        return [
            CommandReplyJob(
                repo=repo,
                issue_number=event.issue.number,
                comment_id=comment.id,
                body=commands.HELP,
                delivery_id=delivery_id,
            )
        ]
    return [
        ReviewJob(
            repo=repo,
            pull_number=event.issue.number,
            head_sha=None,
            reason="recheck",
            delivery_id=delivery_id,
            comment_id=comment.id,
            requested_by=comment.user.login,
            author_association=comment.author_association,
        )
    ]


def _pull_numbers(
    refs: list[events.PullRequestRef], event: events.RepositoryEvent
) -> list[int | None]:
    """Numbers of the PRs into this repository; ``[None]`` when there are none (forks)."""
    here = event.repository.id if event.repository else None
    numbers: list[int | None] = [
        ref.number
        for ref in refs
        if ref.base is None or ref.base.repo is None or ref.base.repo.id == here
    ]
    return numbers or [None]


def _check_run(payload: dict[str, Any], delivery_id: str, app_id: int | None) -> _Result:
    event = events.CheckRunEvent.model_validate(payload)
    run = event.check_run
    if event.action not in ("rerequested", "requested_action"):
        return Ignored(f"check_run action {event.action!r} not handled")
    if app_id is not None and run.app is not None and run.app.id != app_id:
        return Ignored("check run of another App")
    repo = _repo(event)
    if isinstance(repo, Ignored):
        return repo
    numbers = _pull_numbers(run.pull_requests, event)
    requested_by = event.sender.login if event.sender else None
    identifier = event.requested_action.identifier if event.requested_action else None
    if event.action == "requested_action" and identifier == ACTION_ADD_REGISTRY:
        return [
            AddRegistryJob(
                repo=repo,
                check_run_id=run.id,
                head_sha=run.head_sha,
                delivery_id=delivery_id,
                pull_number=number,
                requested_by=requested_by,
            )
            for number in numbers
        ]
    if event.action == "requested_action" and identifier != ACTION_RECHECK:
        return Ignored(f"unknown requested_action {identifier!r}")
    return [
        ReviewJob(
            repo=repo,
            pull_number=number,
            head_sha=run.head_sha,
            reason=event.action,
            delivery_id=delivery_id,
            check_run_id=run.id,
            requested_by=requested_by,
        )
        for number in numbers
    ]


def _check_suite(payload: dict[str, Any], delivery_id: str, app_id: int | None) -> _Result:
    event = events.CheckSuiteEvent.model_validate(payload)
    suite = event.check_suite
    if event.action != "rerequested":
        return Ignored(f"check_suite action {event.action!r} not handled")
    if app_id is not None and suite.app is not None and suite.app.id != app_id:
        return Ignored("check suite of another App")
    repo = _repo(event)
    if isinstance(repo, Ignored):
        return repo
    return [
        ReviewJob(
            repo=repo,
            pull_number=number,
            head_sha=suite.head_sha,
            reason="rerequested",
            delivery_id=delivery_id,
            requested_by=event.sender.login if event.sender else None,
        )
        for number in _pull_numbers(suite.pull_requests, event)
    ]


def _installation(payload: dict[str, Any], delivery_id: str, app_id: int | None) -> _Result:
    event = events.InstallationEvent.model_validate(payload)
    return Ignored(
        "bookkeeping",
        {
            "installation_id": event.installation.id,
            "account": event.installation.account.login if event.installation.account else None,
            "repositories": [r.full_name for r in event.repositories or []],
        },
    )


def _installation_repositories(
    payload: dict[str, Any], delivery_id: str, app_id: int | None
) -> _Result:
    event = events.InstallationRepositoriesEvent.model_validate(payload)
    return Ignored(
        "bookkeeping",
        {
            "installation_id": event.installation.id,
            "added": [r.full_name for r in event.repositories_added],
            "removed": [r.full_name for r in event.repositories_removed],
        },
    )


_HANDLERS: dict[str, Callable[[dict[str, Any], str, int | None], _Result]] = {
    "pull_request": _pull_request,
    "issue_comment": _issue_comment,
    "check_run": _check_run,
    "check_suite": _check_suite,
    "installation": _installation,
    "installation_repositories": _installation_repositories,
}
