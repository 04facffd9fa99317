"""The fake's world: repositories, pull requests and everything the App writes."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .auth import AppKeys, TokenStore
from .diff import count_changes, make_patch
from .faults import FaultQueue

_ids = itertools.count(1000)


def next_id() -> int:
    """A fresh numeric id, unique across the process."""
    return next(_ids)


def git_sha(kind: str, data: bytes) -> str:
    """A git-style object id."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


@dataclass
class Commit:
    sha: str
    tree: str
    parents: list[str]
    message: str


@dataclass
class PullFile:
    """One entry of `GET /pulls/{n}/files`; `patch` is None for huge or binary files."""

    filename: str
    status: str = "modified"
    patch: str | None = None
    previous_filename: str | None = None
    additions: int = 0
    deletions: int = 0


@dataclass
class Pull:
    number: int
    head_sha: str
    head_ref: str
    head_repo: str
    base_sha: str
    base_ref: str
    files: list[PullFile]
    user: str = "octocat"
    title: str = "A pull request"
    state: str = "open"
    draft: bool = False
    id: int = field(default_factory=next_id)


@dataclass
class Repo:
    owner: str
    name: str
    installation_id: int
    default_branch: str = "main"
    private: bool = False
    id: int = field(default_factory=next_id)
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    review_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    issue_comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # routes_repos.py
    archived: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def put_tree(self, files: dict[str, bytes]) -> str:
        """Store a flat tree (path → bytes) and return its sha."""
        listing = "".join(f"{p}\0{git_sha('blob', b)}\n" for p, b in sorted(files.items()))
        sha = git_sha("tree", listing.encode())
        self.trees[sha] = dict(files)
        return sha

    def commit(
        self,
        files: dict[str, str | bytes | None],
        *,
        parent: str | None = None,
        branch: str | None = None,
        message: str = "commit",
    ) -> str:
        """Commit `files` on top of `parent` (None removes a path); move `branch` if given."""
        tree = dict(self.trees[self.commits[parent].tree]) if parent else {}
        for path, content in files.items():
            if content is None:
                tree.pop(path, None)
            else:
                tree[path] = content.encode() if isinstance(content, str) else content
        tree_sha = self.put_tree(tree)
        sha = git_sha("commit", f"{tree_sha}{parent}{message}{next_id()}".encode())
        self.commits[sha] = Commit(sha, tree_sha, [parent] if parent else [], message)
        if branch:
            self.refs[f"refs/heads/{branch}"] = sha
        return sha

    def files_at(self, ref: str) -> dict[str, bytes] | None:
        """The tree of a commit sha or branch name, or None."""
        sha = self.refs.get(f"refs/heads/{ref}", self.refs.get(ref, ref))
        commit = self.commits.get(sha)
        return self.trees[commit.tree] if commit else None

    def resolve(self, ref: str) -> str | None:
        sha = self.refs.get(f"refs/heads/{ref}", self.refs.get(ref, ref))
        return sha if sha in self.commits else None


@dataclass
class Delivery:
    id: int
    guid: str
    event: str
    action: str | None
    status_code: int
    delivered_at: str
    redelivery: bool = False
    installation_id: int | None = None
    repository_id: int | None = None

    @property
    def status(self) -> str:
        return (
            "OK" if 200 <= self.status_code < 300 else f"Invalid HTTP Response: {self.status_code}"
        )


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    json: Any
    route: str
    status: int = 0
    at: float = field(default_factory=time.monotonic)  # when it arrived


class FakeGitHub:
    """State of one fake GitHub host. Seed it from tests; the server reads and writes it."""

    def __init__(
        self, app_id: int = 4242, app_slug: str = "linkname-bot", *, key_index: int = 0
    ) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.keys = AppKeys.shared(key_index)
        self.tokens = TokenStore()
        self.repos: dict[str, Repo] = {}
        self.installations: dict[int, str] = {}
        self.deliveries: list[Delivery] = []
        self.requests: list[LoggedRequest] = []
        self.counters: Counter[str] = Counter()
        self.faults = FaultQueue()
        self.rate_limit = 5000
        self.rate_used: Counter[str] = Counter()
        self.graphql_blob_limit = 512 * 1024
        self.redelivery_status = 200
        self.latency = 0.0  # seconds added to every answer (GitHub is ~100 ms away)
        self.issues_permission = "write"  # the App's `issues` permission: write, read, none
        self.tree_entry_limit = 100_000  # recursive trees past this are truncated
        self.url = ""
        self.lock = threading.RLock()

    @property
    def private_key(self) -> str:
        """PEM of the App's private key, for the App under test."""
        return self.keys.private_pem

    # -- seeding -------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        installation_id: int = 1,
        files: dict[str, str | bytes | None] | None = None,
        default_branch: str = "main",
    ) -> Repo:
        """Create a repository with one commit on its default branch, installed for the App."""
        owner, name = full_name.split("/")
        repo = Repo(owner, name, installation_id, default_branch)
        repo.commit(files or {"README.md": "hello\n"}, branch=default_branch, message="initial")
        self.repos[full_name] = repo
        self.installations.setdefault(installation_id, owner)
        return repo

    def add_pull(
        self,
        repo: Repo,
        number: int,
        head_files: dict[str, str | bytes | None],
        *,
        head_ref: str = "feature",
        fork: str | None = None,
        huge: frozenset[str] = frozenset(),
        renames: dict[str, str] | None = None,
        user: str = "octocat",
    ) -> Pull:
        """Open PR `number`: a head commit on the default branch changing `head_files`.

        Patches are computed from the base and head contents; paths in `huge` (and binary
        files) get no patch, like GitHub. `renames` maps new path → previous path. A fork PR
        (`fork="someone/repo"`) is reachable in the base repo only through `refs/pull/N/head`.
        """
        base_sha = repo.refs[f"refs/heads/{repo.default_branch}"]
        base = repo.trees[repo.commits[base_sha].tree]
        changes: dict[str, str | bytes | None] = dict(head_files)
        for old in (renames or {}).values():
            changes[old] = None
        head_sha = repo.commit(changes, parent=base_sha, message=f"PR {number}")
        head = repo.trees[repo.commits[head_sha].tree]
        repo.refs[f"refs/pull/{number}/head"] = head_sha
        if fork is None:
            repo.refs[f"refs/heads/{head_ref}"] = head_sha
        files = []
        for path in head_files:
            files.append(self._pull_file(path, base, head, huge, (renames or {}).get(path)))
        pull = Pull(
            number,
            head_sha,
            head_ref,
            fork or repo.full_name,
            base_sha,
            repo.default_branch,
            files,
            user=user,
        )
        repo.pulls[number] = pull
        return pull

    @staticmethod
    def _pull_file(
        path: str,
        base: dict[str, bytes],
        head: dict[str, bytes],
        huge: frozenset[str],
        previous: str | None,
    ) -> PullFile:
        old_bytes = base.get(previous or path)
        new_bytes = head.get(path)
        if previous:
            status = "renamed"
        elif old_bytes is None:
            status = "added"
        elif new_bytes is None:
            status = "removed"
        else:
            status = "modified"
        pf = PullFile(path, status, previous_filename=previous)
        blobs = [b for b in (old_bytes, new_bytes) if b is not None]
        if path in huge or any(b"\0" in b for b in blobs):
            return pf
        try:
            old = (old_bytes or b"").decode()
            new = (new_bytes or b"").decode()
        except UnicodeDecodeError:
            return pf
        pf.patch = make_patch(old, new)
        pf.additions, pf.deletions = count_changes(pf.patch)
        return pf

    def add_delivery(
        self, guid: str, event: str, action: str | None, status_code: int, delivered_at: str
    ) -> Delivery:
        delivery = Delivery(next_id(), guid, event, action, status_code, delivered_at)
        self.deliveries.append(delivery)
        return delivery

    # -- lookups for tests -----------------------------------------------------------

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name]

    def calls(self, route: str) -> int:
        """Requests that hit `route`, e.g. `"GET /repos/{owner}/{repo}/pulls/{number}"`."""
        return self.counters[route]

    def logged(self, route: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.route == route]
