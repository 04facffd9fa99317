"""What the webhook hands to the worker: small, serialisable job payloads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter, model_validator

# Author associations that may run slash commands without asking the permission API.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


class RepoRef(BaseModel):
    installation_id: int
    owner: str
    repo: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


class InstallationJob(BaseModel):
    """A job for one repository of one installation."""

    repo: RepoRef

    @property
    def fair_key(self) -> str:
        """The queue's fairness key: GitHub paces an installation's writes, so workers spread
        their jobs over installations."""
        return f"installation:{self.repo.installation_id}"


class ReviewJob(InstallationJob):
    """Review one pull request at one head commit.

    Jobs from a slash command carry the comment (to acknowledge with a reaction) and who asked;
    the worker asks the collaborator-permission API when ``needs_permission_check`` is true.
    """

    kind: Literal["review"] = "review"
    pull_number: int | None  # None: find the PR by head_sha (fork check-suite re-runs)
    head_sha: str | None  # None: the PR's current head (slash commands carry no commit)
    reason: str  # "opened", "synchronize", "recheck", "rerequested", ...
    delivery_id: str
    check_run_id: int | None = None  # re-use this run (Re-run button)
    comment_id: int | None = None  # the slash-command comment
    requested_by: str | None = None  # login of the user who asked (command or button)
    author_association: str | None = None  # the comment's author_association

    @model_validator(mode="after")
    def _has_target(self) -> ReviewJob:
        if self.pull_number is None and self.head_sha is None:
            raise ValueError("a review job needs pull_number or head_sha")
        return self

    @property
    def coalesce_key(self) -> str:
        return f"review:{self.repo.full_name}#{self.pull_number or self.head_sha}"

    @property
    def needs_permission_check(self) -> bool:
        """True for a slash command whose author's association does not grant write access."""
        return self.comment_id is not None and (self.author_association not in TRUSTED_ASSOCIATIONS)


class CommandReplyJob(InstallationJob):
    """Answer a slash command that was refused or asked for help."""

    kind: Literal["reply"] = "reply"
    issue_number: int
    comment_id: int
    body: str
    delivery_id: str

    @property
    def coalesce_key(self) -> None:
        return None


class AddRegistryJob(InstallationJob):
    """Commit the suggested registry entries of a check run to the PR branch."""

    kind: Literal["add-registry"] = "add-registry"
    check_run_id: int
    head_sha: str
    delivery_id: str
    pull_number: int | None = None  # None: find the PR by head_sha
    requested_by: str | None = None  # login of the user who clicked the button

    @property
    def coalesce_key(self) -> None:
        return None


class RecheckJob(InstallationJob):
    """Review a repository's default branch as a whole tree for a window that includes the
    Go version ``go`` (a new release); one per repository, a newer request replaces it."""

    kind: Literal["recheck"] = "recheck"
    go: int  # the new version's minor number
    delivery_id: str  # the re-check request's id
    default_branch: str | None = None  # as listed; None: ask GitHub

    @property
    def coalesce_key(self) -> str:
        return f"recheck:{self.repo.full_name}"


Job = ReviewJob | CommandReplyJob | AddRegistryJob | RecheckJob

_JOB: TypeAdapter[Job] = TypeAdapter(Annotated[Job, Field(discriminator="kind")])


def parse_job(payload: dict[str, object]) -> Job:
    """The job a queue payload (``job.model_dump(mode="json")``) describes."""
    return _JOB.validate_python(payload)
