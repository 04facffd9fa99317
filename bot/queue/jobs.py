"""What the webhook hands to the worker: small, serialisable job payloads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class RepoRef(BaseModel):
    installation_id: int
    owner: str
    repo: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


class ReviewJob(BaseModel):
    """Review one pull request at one head commit."""

    kind: Literal["review"] = "review"
    repo: RepoRef
    pull_number: int | None  # None: find the PR by head_sha (fork check-suite re-runs)
    head_sha: str
    reason: str  # "opened", "synchronize", "recheck", "rerequested", ...
    delivery_id: str
    check_run_id: int | None = None  # re-use this run (Re-run button)

    @property
    def coalesce_key(self) -> str:
        return f"review:{self.repo.full_name}#{self.pull_number or self.head_sha}"


class CommandReplyJob(BaseModel):
    """Answer a slash command that was refused or asked for help."""

    kind: Literal["reply"] = "reply"
    repo: RepoRef
    issue_number: int
    comment_id: int
    body: str
    delivery_id: str


class AddRegistryJob(BaseModel):
    """Commit the suggested registry entries of a check run to the PR branch."""

    kind: Literal["add-registry"] = "add-registry"
    repo: RepoRef
    check_run_id: int
    head_sha: str
    delivery_id: str


Job = ReviewJob | CommandReplyJob | AddRegistryJob
