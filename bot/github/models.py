"""Small, tolerant records of the GitHub fields the App uses (not githubkit's strict models)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Side = Literal["LEFT", "RIGHT"]
AnnotationLevel = Literal["notice", "warning", "failure"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    state: str
    draft: bool
    title: str
    author: str
    head_sha: str
    head_ref: str
    head_repo: str | None
    base_sha: str
    base_ref: str
    base_repo: str

    @property
    def is_fork(self) -> bool:
        return self.head_repo != self.base_repo

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PullRequest:
        head, base = data["head"], data["base"]
        head_repo = (head.get("repo") or {}).get("full_name")
        return cls(
            number=int(data["number"]),
            state=str(data.get("state", "open")),
            draft=bool(data.get("draft", False)),
            title=str(data.get("title", "")),
            author=str((data.get("user") or {}).get("login", "")),
            head_sha=str(head["sha"]),
            head_ref=str(head.get("ref", "")),
            head_repo=head_repo,
            base_sha=str(base["sha"]),
            base_ref=str(base.get("ref", "")),
            base_repo=str((base.get("repo") or {}).get("full_name", "")),
        )


@dataclass(frozen=True)
class PullFile:
    """A changed file; `patch` is None for binary files and very large diffs."""

    filename: str
    status: str
    patch: str | None
    previous_filename: str | None
    additions: int
    deletions: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PullFile:
        return cls(
            filename=str(data["filename"]),
            status=str(data.get("status", "modified")),
            patch=data.get("patch"),
            previous_filename=data.get("previous_filename"),
            additions=int(data.get("additions", 0)),
            deletions=int(data.get("deletions", 0)),
        )


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    annotation_level: AnnotationLevel
    message: str
    title: str | None = None
    raw_details: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": self.annotation_level,
            "message": self.message,
        }
        if self.title is not None:
            out["title"] = self.title
        if self.raw_details is not None:
            out["raw_details"] = self.raw_details
        return out


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    text: str | None = None
    annotations: Sequence[Annotation] = ()

    def to_json(self, annotations: Sequence[Annotation]) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "summary": self.summary}
        if self.text is not None:
            out["text"] = self.text
        if annotations:
            out["annotations"] = [a.to_json() for a in annotations]
        return out


@dataclass(frozen=True)
class CheckAction:
    """A button on the check run: label ≤ 20, description ≤ 40, identifier ≤ 20 characters."""

    label: str
    description: str
    identifier: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "description": self.description, "identifier": self.identifier}


@dataclass(frozen=True)
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    html_url: str
    external_id: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckRun:
        return cls(
            id=int(data["id"]),
            head_sha=str(data.get("head_sha", "")),
            name=str(data.get("name", "")),
            status=str(data.get("status", "")),
            conclusion=data.get("conclusion"),
            html_url=str(data.get("html_url", "")),
            external_id=data.get("external_id"),
        )


@dataclass(frozen=True)
class NewReviewComment:
    """An inline comment to post: `line` (and `start_line`) on `side` of the file's diff."""

    path: str
    body: str
    line: int
    side: Side = "RIGHT"
    start_line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "body": self.body,
            "line": self.line,
            "side": self.side,
        }
        if self.start_line is not None:
            out["start_line"] = self.start_line
            out["start_side"] = self.side
        return out


@dataclass(frozen=True)
class Review:
    id: int
    state: str
    html_url: str
    body: str
    commit_id: str | None
    author: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Review:
        return cls(
            id=int(data["id"]),
            state=str(data.get("state", "")),
            html_url=str(data.get("html_url", "")),
            body=str(data.get("body") or ""),
            commit_id=data.get("commit_id"),
            author=str((data.get("user") or {}).get("login", "")),
        )


@dataclass(frozen=True)
class ReviewComment:
    id: int
    path: str
    line: int | None
    body: str
    author: str
    review_id: int | None
    commit_id: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewComment:
        return cls(
            id=int(data["id"]),
            path=str(data.get("path", "")),
            line=data.get("line"),
            body=str(data.get("body") or ""),
            author=str((data.get("user") or {}).get("login", "")),
            review_id=data.get("pull_request_review_id"),
            commit_id=data.get("commit_id"),
        )


@dataclass(frozen=True)
class ReviewThread:
    """A review thread and its first comment (where the App's fingerprint lives)."""

    id: str
    is_resolved: bool
    path: str | None
    line: int | None
    body: str
    comment_id: int | None


@dataclass(frozen=True)
class IssueComment:
    id: int
    html_url: str
    body: str


@dataclass(frozen=True)
class Delivery:
    id: int
    guid: str
    delivered_at: datetime
    status_code: int
    event: str
    action: str | None
    redelivery: bool

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Delivery:
        return cls(
            id=int(data["id"]),
            guid=str(data["guid"]),
            delivered_at=datetime.fromisoformat(str(data["delivered_at"]).replace("Z", "+00:00")),
            status_code=int(data.get("status_code") or 0),
            event=str(data.get("event", "")),
            action=data.get("action"),
            redelivery=bool(data.get("redelivery", False)),
        )


@dataclass(frozen=True)
class Installation:
    """An installation of the App (``GET /app/installations``)."""

    id: int
    account: str
    suspended: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Installation:
        account = str((data.get("account") or {}).get("login", ""))
        return cls(int(data["id"]), account, data.get("suspended_at") is not None)


@dataclass(frozen=True)
class Repository:
    """A repository as ``GET /repos/{owner}/{repo}`` and installation listings give it."""

    owner: str
    name: str
    default_branch: str
    archived: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Repository:
        owner, _, name = str(data["full_name"]).partition("/")
        return cls(
            owner=owner,
            name=name,
            default_branch=str(data.get("default_branch") or "main"),
            archived=bool(data.get("archived", False)),
        )


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a recursive git tree: ``blob``, ``tree`` or ``commit`` (a submodule)."""

    path: str
    type: str


@dataclass(frozen=True)
class GitTree:
    """A commit's tree listed recursively; ``truncated``: GitHub left entries out."""

    sha: str
    entries: tuple[TreeEntry, ...]
    truncated: bool

    @property
    def blobs(self) -> list[str]:
        return [e.path for e in self.entries if e.type == "blob"]


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str
    html_url: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Issue:
        return cls(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data.get("state") or "open"),
            html_url=str(data.get("html_url") or ""),
        )
