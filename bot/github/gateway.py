"""RepoGateway: every call the App makes about one repository, typed and small."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import Conflict, NotFound, ValidationFailed
from .models import (
    Annotation,
    CheckAction,
    CheckOutput,
    CheckRun,
    GitTree,
    Issue,
    IssueComment,
    NewReviewComment,
    PullFile,
    PullRequest,
    Repository,
    Review,
    ReviewComment,
    ReviewThread,
    TreeEntry,
)
from .queries import blobs_query, resolve_thread_mutation, review_threads_query, trees_query
from .transport import Requester

ANNOTATIONS_PER_REQUEST = 50
MAX_PULL_FILES = 3000
FILES_PER_PAGE = 100
FILES_ENDPOINT = "GET /repos/{owner}/{repo}/pulls/{number}/files"


def _last_page(links: Mapping[str | None, Mapping[str, str]]) -> int | None:
    url = (links.get("last") or {}).get("url")
    if url is None:
        return None
    pages = parse_qs(urlsplit(url).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else None


def _chunks(items: Sequence[Annotation], size: int) -> list[Sequence[Annotation]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class RepoGateway:
    """An installation requester bound to `owner/repo`.

    `blob_batch` is the number of aliases per GraphQL blob query.
    """

    def __init__(
        self, requester: Requester, owner: str, repo: str, *, blob_batch: int = 50
    ) -> None:
        self.requester = requester
        self.owner = owner
        self.repo = repo
        self.blob_batch = blob_batch
        self._base = f"/repos/{owner}/{repo}"

    # -- pull requests -------------------------------------------------------------------

    async def pull(self, number: int, *, retry_not_found: bool = True) -> PullRequest:
        """The pull request; a 404 is retried once (GitHub lags right after `opened`)."""
        data = await self.requester.json(
            "GET",
            "GET /repos/{owner}/{repo}/pulls/{number}",
            f"{self._base}/pulls/{number}",
            retry_not_found=retry_not_found,
        )
        return PullRequest.from_json(data)

    async def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """Pull requests whose head is `sha` (for check suites of fork PRs, which list none)."""
        items = await self.requester.paginate(
            "GET /repos/{owner}/{repo}/commits/{sha}/pulls",
            f"{self._base}/commits/{sha}/pulls",
            params={"per_page": 100},
        )
        return [PullRequest.from_json(item) for item in items]

    async def list_pull_files(self, number: int, limit: int = MAX_PULL_FILES) -> list[PullFile]:
        """Changed files, 100 per page; GitHub lists at most 3 000."""
        items = await self.requester.paginate(
            "GET /repos/{owner}/{repo}/pulls/{number}/files",
            f"{self._base}/pulls/{number}/files",
            params={"per_page": 100},
            limit=limit,
        )
        return [PullFile.from_json(item) for item in items]

    async def pull_files(
        self,
        number: int,
        on_first_page: Callable[[list[PullFile]], None] | None = None,
        *,
        concurrency: int = 8,
    ) -> list[PullFile]:
        """The changed files: page 1, then every other page at once (GitHub's ``last`` link).

        ``on_first_page`` sees page 1 while the other pages are read (not called when GitHub
        gives no page count and the pages are followed one by one).
        """
        url = f"{self._base}/pulls/{number}/files"
        gate = asyncio.Semaphore(concurrency)

        async def page(n: int) -> list[Any]:
            async with gate:
                response = await self.requester.request(
                    "GET", FILES_ENDPOINT, url, params={"per_page": FILES_PER_PAGE, "page": n}
                )
            items: list[Any] = response.json()
            return items

        first = await self.requester.request(
            "GET", FILES_ENDPOINT, url, params={"per_page": FILES_PER_PAGE, "page": 1}
        )
        items: list[Any] = first.json()
        last = _last_page(first.links)
        if last is None and "next" in first.links:  # no page count: follow the links one by one
            return await self.list_pull_files(number)
        last = min(last or 1, -(-MAX_PULL_FILES // FILES_PER_PAGE))
        if on_first_page is not None:
            on_first_page([PullFile.from_json(item) for item in items[:MAX_PULL_FILES]])
        for chunk in await asyncio.gather(*(page(n) for n in range(2, last + 1))):
            items.extend(chunk)
        return [PullFile.from_json(item) for item in items[:MAX_PULL_FILES]]

    # -- contents ------------------------------------------------------------------------

    async def blobs(self, sha: str, paths: Sequence[str]) -> dict[str, str | None]:
        """Text of each path at commit `sha`: None for binary or missing files.

        Reads `blob_batch` paths per GraphQL query; truncated blobs are read again through
        the REST contents API (raw media type).
        """
        result: dict[str, str | None] = {}
        truncated: list[str] = []
        unique = list(dict.fromkeys(paths))
        for start in range(0, len(unique), self.blob_batch):
            batch = unique[start : start + self.blob_batch]
            data = await self.requester.graphql(blobs_query(self.owner, self.repo, sha, batch))
            repository = data.get("repository") or {}
            for i, path in enumerate(batch):
                blob = repository.get(f"f{i}")
                if not blob or blob.get("isBinary"):
                    result[path] = None
                elif blob.get("isTruncated") or blob.get("text") is None:
                    truncated.append(path)
                else:
                    result[path] = str(blob["text"])
        for path in truncated:
            result[path] = await self.file_text(sha, path)
        return result

    async def trees(self, sha: str, dirs: Sequence[str]) -> dict[str, list[str]]:
        """The names of the files (blob entries) directly in each directory at commit `sha`.

        `""` is the root directory. Subdirectories (and submodules) are not listed; a
        directory that is not a tree at `sha` is left out of the answer. Lists `blob_batch`
        directories per GraphQL query (`object(expression: "<sha>:<dir>") { ... on Tree }`).
        """
        result: dict[str, list[str]] = {}
        unique = list(dict.fromkeys(dirs))
        for start in range(0, len(unique), self.blob_batch):
            batch = unique[start : start + self.blob_batch]
            data = await self.requester.graphql(trees_query(self.owner, self.repo, sha, batch))
            repository = data.get("repository") or {}
            for i, directory in enumerate(batch):
                tree = repository.get(f"d{i}")
                entries = tree.get("entries") if tree else None
                if entries is None:  # missing, or not a tree (the fragment matched nothing)
                    continue
                result[directory] = [str(e["name"]) for e in entries if e.get("type") == "blob"]
        return result

    async def file_text(self, ref: str, path: str) -> str | None:
        """One file through REST contents (raw), None if missing or not UTF-8."""
        try:
            response = await self.requester.request(
                "GET",
                "GET /repos/{owner}/{repo}/contents/{path}",
                f"{self._base}/contents/{path}",
                params={"ref": ref},
                headers={"Accept": "application/vnd.github.raw+json"},
            )
        except NotFound:
            return None
        content = response.content
        if response.headers.get("content-type", "").startswith("application/json"):
            data: Any = response.json()
            if isinstance(data, dict) and data.get("encoding") == "base64":
                content = base64.b64decode(data.get("content", ""))
        if b"\0" in content:
            return None
        try:
            return content.decode()
        except UnicodeDecodeError:
            return None

    # -- check runs ----------------------------------------------------------------------

    async def create_check_run(
        self,
        head_sha: str,
        name: str,
        *,
        status: str = "in_progress",
        conclusion: str | None = None,
        output: CheckOutput | None = None,
        actions: Sequence[CheckAction] = (),
        external_id: str | None = None,
        details_url: str | None = None,
    ) -> CheckRun:
        """Create a check run. More than 50 annotations: 1 POST with the first 50, then PATCHes."""
        annotations = _chunks(list(output.annotations), ANNOTATIONS_PER_REQUEST) if output else []
        deferred = len(annotations) > 1  # the conclusion waits for the last batch
        if deferred and status == "completed":
            status = "in_progress"
        body: dict[str, Any] = {"head_sha": head_sha, "name": name, "status": status}
        if conclusion is not None and not deferred:
            body["conclusion"] = conclusion
        if output is not None:
            body["output"] = output.to_json(annotations[0] if annotations else ())
        if actions:
            body["actions"] = [a.to_json() for a in actions]
        if external_id is not None:
            body["external_id"] = external_id
        if details_url is not None:
            body["details_url"] = details_url
        data = await self.requester.json(
            "POST", "POST /repos/{owner}/{repo}/check-runs", f"{self._base}/check-runs", json=body
        )
        run = CheckRun.from_json(data)
        if len(annotations) > 1 and output is not None:
            run = await self._append_annotations(run.id, output, annotations[1:], conclusion)
        return run

    async def update_check_run(
        self,
        check_run_id: int,
        *,
        status: str | None = None,
        conclusion: str | None = None,
        output: CheckOutput | None = None,
        actions: Sequence[CheckAction] | None = None,
    ) -> CheckRun:
        """Update a check run: one PATCH per 50 annotations; the conclusion goes on the last.

        120 annotations → 3 PATCHes (50, 50, 20), each repeating title and summary.
        """
        batches = _chunks(list(output.annotations), ANNOTATIONS_PER_REQUEST) if output else []
        deferred = len(batches) > 1  # the conclusion waits for the last batch
        body: dict[str, Any] = {}
        if status is not None and not (deferred and status == "completed"):
            body["status"] = status
        if actions is not None:
            body["actions"] = [a.to_json() for a in actions]
        if output is not None:
            body["output"] = output.to_json(batches[0] if batches else ())
        if conclusion is not None and not deferred:
            body["conclusion"] = conclusion
        run = await self._patch_check_run(check_run_id, body)
        if len(batches) > 1 and output is not None:
            run = await self._append_annotations(check_run_id, output, batches[1:], conclusion)
        return run

    async def _append_annotations(
        self,
        check_run_id: int,
        output: CheckOutput,
        batches: Sequence[Sequence[Annotation]],
        conclusion: str | None,
    ) -> CheckRun:
        run: CheckRun | None = None
        for i, batch in enumerate(batches):
            body: dict[str, Any] = {"output": output.to_json(batch)}
            if conclusion is not None and i == len(batches) - 1:
                body["conclusion"] = conclusion
            run = await self._patch_check_run(check_run_id, body)
        assert run is not None
        return run

    async def _patch_check_run(self, check_run_id: int, body: dict[str, Any]) -> CheckRun:
        data = await self.requester.json(
            "PATCH",
            "PATCH /repos/{owner}/{repo}/check-runs/{id}",
            f"{self._base}/check-runs/{check_run_id}",
            json=body,
        )
        return CheckRun.from_json(data)

    async def check_runs_for(self, sha: str) -> list[CheckRun]:
        """Check runs on commit `sha` (first 100)."""
        data = await self.requester.json(
            "GET",
            "GET /repos/{owner}/{repo}/commits/{sha}/check-runs",
            f"{self._base}/commits/{sha}/check-runs",
            params={"per_page": 100},
        )
        return [CheckRun.from_json(item) for item in data.get("check_runs", [])]

    # -- reviews -------------------------------------------------------------------------

    async def create_review(
        self,
        number: int,
        commit_id: str,
        body: str,
        comments: Sequence[NewReviewComment] = (),
        *,
        event: str = "COMMENT",
    ) -> Review:
        """Post a review; GitHub refuses the whole review (422) if one comment is off the diff."""
        payload: dict[str, Any] = {"commit_id": commit_id, "event": event, "body": body}
        if comments:
            payload["comments"] = [c.to_json() for c in comments]
        data = await self.requester.json(
            "POST",
            "POST /repos/{owner}/{repo}/pulls/{number}/reviews",
            f"{self._base}/pulls/{number}/reviews",
            json=payload,
        )
        return Review.from_json(data)

    async def list_reviews(self, number: int) -> list[Review]:
        items = await self.requester.paginate(
            "GET /repos/{owner}/{repo}/pulls/{number}/reviews",
            f"{self._base}/pulls/{number}/reviews",
            params={"per_page": 100},
        )
        return [Review.from_json(item) for item in items]

    async def list_review_comments(self, number: int) -> list[ReviewComment]:
        items = await self.requester.paginate(
            "GET /repos/{owner}/{repo}/pulls/{number}/comments",
            f"{self._base}/pulls/{number}/comments",
            params={"per_page": 100},
        )
        return [ReviewComment.from_json(item) for item in items]

    async def review_threads(self, number: int) -> list[ReviewThread]:
        """All review threads of a pull request, with their first comment."""
        threads: list[ReviewThread] = []
        after: str | None = None
        while True:
            query = review_threads_query(self.owner, self.repo, number, after)
            data = await self.requester.graphql(query)
            pull = (data.get("repository") or {}).get("pullRequest")
            if pull is None:
                raise NotFound(404, f"pull request {number} not found", "POST /graphql")
            page = pull["reviewThreads"]
            for node in page["nodes"]:
                first = (node.get("comments", {}).get("nodes") or [{}])[0]
                threads.append(
                    ReviewThread(
                        id=str(node["id"]),
                        is_resolved=bool(node.get("isResolved")),
                        path=first.get("path"),
                        line=first.get("line"),
                        body=str(first.get("body") or ""),
                        comment_id=first.get("databaseId"),
                    )
                )
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return threads
            after = str(info["endCursor"])

    async def resolve_thread(self, thread_id: str) -> None:
        await self.requester.graphql(resolve_thread_mutation(thread_id), write=True)

    # -- comments, reactions, permissions -------------------------------------------------

    async def add_reaction(self, comment_id: int, content: str) -> None:
        """React to an issue comment (`+1`, `eyes`, `rocket`, …)."""
        await self.requester.request(
            "POST",
            "POST /repos/{owner}/{repo}/issues/comments/{id}/reactions",
            f"{self._base}/issues/comments/{comment_id}/reactions",
            json={"content": content},
        )

    async def create_issue_comment(self, number: int, body: str) -> IssueComment:
        data = await self.requester.json(
            "POST",
            "POST /repos/{owner}/{repo}/issues/{number}/comments",
            f"{self._base}/issues/{number}/comments",
            json={"body": body},
        )
        return IssueComment(int(data["id"]), str(data.get("html_url", "")), str(data["body"]))

    async def collaborator_permission(self, user: str) -> str:
        """`admin`, `maintain`, `write`, `triage`, `read` or `none` (also for non-collaborators)."""
        try:
            data = await self.requester.json(
                "GET",
                "GET /repos/{owner}/{repo}/collaborators/{user}/permission",
                f"{self._base}/collaborators/{user}/permission",
            )
        except NotFound:
            return "none"
        return str(data.get("role_name") or data.get("permission") or "none")

    # -- commits -------------------------------------------------------------------------

    async def commit_file(
        self, branch: str, path: str, content: str, message: str, expected_head_sha: str
    ) -> str:
        """Commit one file on `branch` on top of `expected_head_sha`; return the new sha.

        Git data API: read the ref and its commit, create a tree (inline content) and a
        commit, then fast-forward the ref. Raises Conflict if the branch is not (or no longer)
        at `expected_head_sha`.
        """
        ref = await self.requester.json(
            "GET",
            "GET /repos/{owner}/{repo}/git/ref/{ref}",
            f"{self._base}/git/ref/heads/{branch}",
        )
        head = ref["object"]["sha"]
        if head != expected_head_sha:
            raise Conflict(409, f"{branch} is at {head}", "GET /repos/{owner}/{repo}/git/ref/{ref}")
        commit = await self.requester.json(
            "GET", "GET /repos/{owner}/{repo}/git/commits/{sha}", f"{self._base}/git/commits/{head}"
        )
        tree = await self.requester.json(
            "POST",
            "POST /repos/{owner}/{repo}/git/trees",
            f"{self._base}/git/trees",
            json={
                "base_tree": commit["tree"]["sha"],
                "tree": [{"path": path, "mode": "100644", "type": "blob", "content": content}],
            },
        )
        new = await self.requester.json(
            "POST",
            "POST /repos/{owner}/{repo}/git/commits",
            f"{self._base}/git/commits",
            json={"message": message, "tree": tree["sha"], "parents": [head]},
        )
        try:
            await self.requester.request(
                "PATCH",
                "PATCH /repos/{owner}/{repo}/git/refs/{ref}",
                f"{self._base}/git/refs/heads/{branch}",
                json={"sha": new["sha"], "force": False},
            )
        except ValidationFailed as error:
            raise Conflict(409, error.message, error.endpoint, errors=error.errors) from error
        return str(new["sha"])

    # -- repository, whole trees, issues (re-checks of the default branch) -----------------

    async def repository(self) -> Repository:
        """The repository (its default branch)."""
        data = await self.requester.json("GET", "GET /repos/{owner}/{repo}", self._base)
        return Repository.from_json(data)

    async def branch_head(self, branch: str) -> str:
        """The commit `branch` points at."""
        ref = await self.requester.json(
            "GET", "GET /repos/{owner}/{repo}/git/ref/{ref}", f"{self._base}/git/ref/heads/{branch}"
        )
        return str(ref["object"]["sha"])

    async def git_tree(self, sha: str) -> GitTree:
        """Every entry of commit (or tree) `sha`, recursively, in one call; GitHub sets
        `truncated` past 100 000 entries or 7 MB."""
        data = await self.requester.json(
            "GET",
            "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
            f"{self._base}/git/trees/{sha}",
            params={"recursive": "1"},
        )
        entries = tuple(
            TreeEntry(str(e["path"]), str(e.get("type", "blob"))) for e in data.get("tree", [])
        )
        return GitTree(str(data.get("sha", sha)), entries, bool(data.get("truncated", False)))

    async def find_issue(self, marker: str) -> Issue | None:
        """The first issue (open or closed, newest first) whose body holds `marker`; pull
        requests are skipped. Pages are read only until it is found."""
        url: str | None = f"{self._base}/issues"
        params: dict[str, Any] | None = {"state": "all", "per_page": 100}
        while url is not None:
            response = await self.requester.request(
                "GET", "GET /repos/{owner}/{repo}/issues", url, params=params
            )
            for item in response.json():
                if "pull_request" not in item and marker in str(item.get("body") or ""):
                    return Issue.from_json(item)
            url = response.links.get("next", {}).get("url")
            params = None
        return None

    async def create_issue(self, title: str, body: str) -> Issue:
        data = await self.requester.json(
            "POST",
            "POST /repos/{owner}/{repo}/issues",
            f"{self._base}/issues",
            json={"title": title, "body": body},
        )
        return Issue.from_json(data)

    async def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> Issue:
        payload = {
            k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None
        }
        data = await self.requester.json(
            "PATCH",
            "PATCH /repos/{owner}/{repo}/issues/{number}",
            f"{self._base}/issues/{number}",
            json=payload,
        )
        return Issue.from_json(data)
