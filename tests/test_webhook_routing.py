"""From event + payload to jobs, on the octokit example payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.publish.actions import ACTION_ADD_REGISTRY, ACTION_RECHECK
from bot.queue.jobs import (
    AddRegistryJob,
    CommandReplyJob,
    Job,
    RepoRef,
    ReviewJob,
    parse_job,
)
from bot.webhook import events
from bot.webhook.commands import HELP
from bot.webhook.routing import Ignored, PayloadError, route

DATA = Path(__file__).parent / "data" / "webhooks"
MODELS: dict[str, type[events.RepositoryEvent]] = {
    "pull_request": events.PullRequestEvent,
    "issue_comment": events.IssueCommentEvent,
    "check_run": events.CheckRunEvent,
    "check_suite": events.CheckSuiteEvent,
    "installation": events.InstallationEvent,
    "installation_repositories": events.InstallationRepositoriesEvent,
}
EXAMPLES = sorted(p for p in DATA.glob("*.json") if p.name.split(".")[0] in MODELS)
HELLO = RepoRef(installation_id=1, owner="Codertocat", repo="Hello-World")
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def jobs(event: str, payload: dict[str, Any], **kwargs: Any) -> list[Job]:
    result = route(event, payload, delivery_id="d-1", **kwargs)
    assert isinstance(result, list), result
    return result


def ignored(event: str, payload: dict[str, Any], **kwargs: Any) -> Ignored:
    result = route(event, payload, delivery_id="d-1", **kwargs)
    assert isinstance(result, Ignored), result
    return result


def test_every_example_of_the_handled_events_is_there() -> None:
    events_seen = {p.name.split(".")[0] for p in EXAMPLES}
    assert events_seen == set(MODELS)
    assert len(EXAMPLES) >= 60


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_parses_and_routes(path: Path) -> None:
    event = path.name.split(".")[0]
    payload = json.loads(path.read_text())
    MODELS[event].model_validate(payload)
    result = route(event, payload, delivery_id="d-1")
    if isinstance(result, list):
        for job in result:  # jobs survive the trip through the queue
            assert parse_job(job.model_dump(mode="json")) == job


# pull_request


@pytest.mark.parametrize(
    "name",
    [
        "pull_request.opened.2",
        "pull_request.synchronize.1",
        "pull_request.reopened.1",
        "pull_request.ready_for_review.2",
    ],
)
def test_pull_request_actions_queue_a_review(name: str) -> None:
    action = name.split(".")[1]
    assert jobs("pull_request", load(name)) == [
        ReviewJob(repo=HELLO, pull_number=2, head_sha=HEAD, reason=action, delivery_id="d-1")
    ]


@pytest.mark.parametrize(
    "name", ["pull_request.closed.1", "pull_request.labeled.1", "pull_request.converted_to_draft.2"]
)
def test_other_pull_request_actions_are_ignored(name: str) -> None:
    assert "not handled" in ignored("pull_request", load(name)).reason


def test_drafts_are_reviewed() -> None:
    payload = load("pull_request.opened.2")
    payload["pull_request"]["draft"] = True
    [job] = jobs("pull_request", payload)
    assert isinstance(job, ReviewJob)
    assert job.reason == "opened"


def test_closed_pull_request_is_not_reviewed() -> None:
    payload = load("pull_request.synchronize.1")
    payload["pull_request"]["state"] = "closed"
    assert ignored("pull_request", payload).reason == "pull request is not open"


def test_payload_without_installation_is_ignored() -> None:
    assert "no installation" in ignored("pull_request", load("pull_request.opened.1")).reason


def test_missing_required_field_is_a_payload_error() -> None:
    payload = load("pull_request.opened.2")
    del payload["pull_request"]["head"]
    with pytest.raises(PayloadError, match="pull_request payload"):
        route("pull_request", payload, delivery_id="d-1")


def test_unknown_event_is_ignored() -> None:
    assert ignored("star", {"action": "created"}).reason == "event 'star' not handled"


# issue_comment


def pr_comment(
    body: str,
    *,
    action: str = "created",
    login: str = "Codertocat",
    user_type: str = "User",
    association: str = "OWNER",
) -> dict[str, Any]:
    """A comment on PR 1: the package has no PR comment, so add ``issue.pull_request``."""
    payload = copy.deepcopy(load("issue_comment.created.4"))
    payload["action"] = action
    payload["issue"]["pull_request"] = {
        "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1",
        "html_url": "https://github.com/Codertocat/Hello-World/pull/1",
    }
    payload["comment"].update(body=body, author_association=association)
    payload["comment"]["user"].update(login=login, type=user_type)
    return payload


COMMENT_ID = load("issue_comment.created.4")["comment"]["id"]
ISSUE_NUMBER = load("issue_comment.created.4")["issue"]["number"]


def test_recheck_from_an_owner() -> None:
    [job] = jobs("issue_comment", pr_comment("Pushed a fix.\n/linkname recheck\n"))
    assert job == ReviewJob(
        repo=HELLO,
        pull_number=ISSUE_NUMBER,
        head_sha=None,
        reason="recheck",
        delivery_id="d-1",
        comment_id=COMMENT_ID,
        requested_by="Codertocat",
        author_association="OWNER",
    )
    assert not job.needs_permission_check


def test_recheck_from_a_contributor_asks_the_permission_api() -> None:
    [job] = jobs("issue_comment", pr_comment("/linkname recheck", association="CONTRIBUTOR"))
    assert isinstance(job, ReviewJob)
    assert job.author_association == "CONTRIBUTOR"
    assert job.needs_permission_check


def test_help_replies_with_the_help_text() -> None:
    assert jobs("issue_comment", pr_comment("/linkname help", association="NONE")) == [
        CommandReplyJob(
            repo=HELLO,
            issue_number=ISSUE_NUMBER,
            comment_id=COMMENT_ID,
            body=HELP,
            delivery_id="d-1",
        )
    ]
    assert HELP.startswith("> /linkname help\n")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (pr_comment("/linkname recheck", login="ci[bot]", user_type="Bot"), "ignore-bot"),
        (pr_comment("/linkname recheck", login="x[bot]"), "ignore-bot"),
        (pr_comment("/linkname help", user_type="Bot"), "ignore-bot"),
        (pr_comment("```\n/linkname recheck\n```"), "no command"),
        (pr_comment("> /linkname recheck\n\nI agree"), "no command"),
        (pr_comment("/linkname recheck", action="edited"), "ignore-edit"),
        (pr_comment("/linkname recheck", action="deleted"), "ignore-edit"),
        (pr_comment("LGTM"), "no command"),
    ],
)
def test_comments_that_run_nothing(payload: dict[str, Any], reason: str) -> None:
    assert reason in ignored("issue_comment", payload).reason


def test_command_on_a_plain_issue_is_ignored() -> None:
    payload = pr_comment("/linkname recheck")
    del payload["issue"]["pull_request"]
    assert ignored("issue_comment", payload).reason == "comment on an issue, not a pull request"


def test_command_on_a_closed_pull_request_is_ignored() -> None:
    payload = pr_comment("/linkname recheck")
    payload["issue"]["state"] = "closed"
    assert ignored("issue_comment", payload).reason == "pull request is not open"


@pytest.mark.parametrize("name", ["issue_comment.created.1", "issue_comment.edited.1"])
def test_example_comments_are_on_issues(name: str) -> None:
    assert "not a pull request" in ignored("issue_comment", load(name)).reason


# check_run


def test_check_run_rerequested_reuses_the_run() -> None:
    payload = load("check_run.rerequested.1")
    assert jobs("check_run", payload) == [
        ReviewJob(
            repo=RepoRef(installation_id=1, owner="github", repo="hello-world"),
            pull_number=None,  # the example's pull_requests is empty
            head_sha="d6fde92930d4715a2b49857d24b940956b26d2d3",
            reason="rerequested",
            delivery_id="d-1",
            check_run_id=4,
            requested_by="octocat",
        )
    ]


def test_check_run_of_another_app_is_ignored() -> None:
    payload = load("check_run.rerequested.1")  # the run's app id is 2
    assert ignored("check_run", payload, app_id=99).reason == "check run of another App"
    assert len(jobs("check_run", payload, app_id=2)) == 1


def requested_action(identifier: str) -> dict[str, Any]:
    payload = load("check_run.requested_action.1")
    payload["requested_action"] = {"identifier": identifier}
    return payload


def test_add_registry_button() -> None:
    payload = requested_action(ACTION_ADD_REGISTRY)
    assert jobs("check_run", payload) == [
        AddRegistryJob(
            repo=RepoRef(installation_id=690857, owner="electron", repo="electron"),
            check_run_id=payload["check_run"]["id"],
            head_sha=payload["check_run"]["head_sha"],
            delivery_id="d-1",
            pull_number=26764,
            requested_by="codebytere",
        )
    ]


def test_recheck_button() -> None:
    payload = requested_action(ACTION_RECHECK)
    [job] = jobs("check_run", payload)
    assert isinstance(job, ReviewJob)
    assert (job.reason, job.pull_number, job.check_run_id) == (
        "requested_action",
        26764,
        payload["check_run"]["id"],
    )


def test_unknown_button_is_ignored() -> None:
    reason = ignored("check_run", load("check_run.requested_action.1")).reason
    assert reason == "unknown requested_action 'lgtm|26764'"


# check_suite


def test_check_suite_rerequested() -> None:
    [job] = jobs("check_suite", load("check_suite.rerequested.1"))
    assert isinstance(job, ReviewJob)
    assert (job.pull_number, job.head_sha, job.reason) == (2, HEAD, "rerequested")
    assert job.repo.installation_id == 957387


def test_check_suite_of_a_fork_has_no_pull_number() -> None:
    payload = load("check_suite.rerequested.1")
    payload["check_suite"]["pull_requests"] = []
    [job] = jobs("check_suite", payload)
    assert isinstance(job, ReviewJob)
    assert job.pull_number is None
    assert job.head_sha == HEAD
    assert job.coalesce_key == f"review:Codertocat/Hello-World#{HEAD}"


def test_check_suite_drops_pull_requests_into_other_repositories() -> None:
    payload = load("check_suite.rerequested.1")
    payload["check_suite"]["pull_requests"][0]["base"]["repo"]["id"] = 1
    [job] = jobs("check_suite", payload)
    assert isinstance(job, ReviewJob)
    assert job.pull_number is None


def test_check_suite_with_two_pull_requests_queues_two_reviews() -> None:
    payload = load("check_suite.rerequested.1")
    second = copy.deepcopy(payload["check_suite"]["pull_requests"][0])
    second["number"] = 7
    payload["check_suite"]["pull_requests"].append(second)
    reviews = jobs("check_suite", payload)
    assert [job.pull_number for job in reviews if isinstance(job, ReviewJob)] == [2, 7]


def test_check_suite_requested_is_ignored() -> None:
    assert "not handled" in ignored("check_suite", load("check_suite.requested.1")).reason


# installation


def test_installation_events_are_bookkeeping() -> None:
    result = ignored("installation", load("installation.created.1"))
    assert result.reason == "bookkeeping"
    assert result.details["installation_id"] == 957387
    assert result.details["repositories"] == ["Codertocat/Hello-World"]
    result = ignored("installation_repositories", load("installation_repositories.added.1"))
    assert result.details["added"] == ["Codertocat/Space"]


# jobs


def test_review_job_needs_a_pull_number_or_a_head() -> None:
    with pytest.raises(ValidationError, match="pull_number or head_sha"):
        ReviewJob(repo=HELLO, pull_number=None, head_sha=None, reason="x", delivery_id="d")
