"""Lenient models of the webhook payloads this App reads: only the fields it needs.

Unknown fields are ignored and most fields are optional, so real payloads that GitHub's own
schema would reject still parse. Anything the App cannot work without stays required.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    login: str
    id: int | None = None
    type: str = "User"  # "User", "Bot", "Organization"


class Installation(_Model):
    id: int
    account: User | None = None


class RepositoryId(_Model):
    id: int
    name: str | None = None
    full_name: str | None = None


class Repository(_Model):
    id: int
    name: str
    full_name: str
    owner: User


class App(_Model):
    id: int
    slug: str | None = None


class RepositoryEvent(_Model):
    """Fields every repository event carries (``installation`` only for App deliveries)."""

    action: str | None = None
    repository: Repository | None = None
    installation: Installation | None = None
    sender: User | None = None


class Commit(_Model):
    sha: str
    ref: str | None = None
    repo: RepositoryId | None = None  # None when the fork was deleted


class PullRequest(_Model):
    number: int
    state: str = "open"
    draft: bool = False
    head: Commit
    base: Commit


class PullRequestEvent(RepositoryEvent):
    number: int
    pull_request: PullRequest


class IssueLinks(_Model):
    """``issue.pull_request``: present (with URLs) only when the issue is a pull request."""

    url: str | None = None


class Issue(_Model):
    number: int
    state: str = "open"
    pull_request: IssueLinks | None = None
    user: User | None = None


class Comment(_Model):
    id: int
    body: str | None = None
    user: User
    author_association: str | None = None


class IssueCommentEvent(RepositoryEvent):
    issue: Issue
    comment: Comment


class PullRequestRef(_Model):
    """An entry of ``check_run.pull_requests`` / ``check_suite.pull_requests``."""

    number: int
    head: Commit | None = None
    base: Commit | None = None


class CheckSuite(_Model):
    id: int
    head_sha: str
    pull_requests: list[PullRequestRef] = Field(default_factory=list)
    app: App | None = None


class CheckRun(_Model):
    id: int
    head_sha: str
    name: str | None = None
    pull_requests: list[PullRequestRef] = Field(default_factory=list)
    app: App | None = None
    check_suite: CheckSuite | None = None


class RequestedAction(_Model):
    identifier: str


class CheckRunEvent(RepositoryEvent):
    check_run: CheckRun
    requested_action: RequestedAction | None = None


class CheckSuiteEvent(RepositoryEvent):
    check_suite: CheckSuite


class InstallationEvent(RepositoryEvent):
    installation: Installation
    repositories: list[RepositoryId] | None = None


class InstallationRepositoriesEvent(RepositoryEvent):
    installation: Installation
    repository_selection: str | None = None
    repositories_added: list[RepositoryId] = Field(default_factory=list)
    repositories_removed: list[RepositoryId] = Field(default_factory=list)
