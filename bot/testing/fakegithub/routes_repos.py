"""Installations, repositories, recursive git trees and issues, as GitHub answers them.

- ``GET /app/installations`` (JWT) and ``GET /installation/repositories`` (installation token,
  an object ``{"total_count", "repositories": [...]}``) page by ``page``/``per_page`` with
  ``Link`` headers.
- ``GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1``: ``{sha}`` may be a commit or a
  tree; directories appear as ``tree`` entries; ``truncated`` past ``gh.tree_entry_limit``.
- Issues: list (``state``, newest first, pull requests included with a ``pull_request`` key),
  create (403 without ``issues: write``, 422 without a title), update (422 for a bad state).
"""

from __future__ import annotations

import posixpath
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .auth import iso
from .http import ApiError, Call, endpoint, paginate, unprocessable
from .state import FakeGitHub, Repo, git_sha


def _page(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """A page of ``items`` and its ``Link`` header (GitHub's rels), for object-shaped pages."""
    per_page = max(1, min(call.query_int("per_page", 30), 100))
    page = max(1, call.query_int("page", 1))
    last = max(1, -(-len(items) // per_page))
    url = call.request.url

    def link(n: int, rel: str) -> str:
        query = dict(call.request.query_params) | {"per_page": str(per_page), "page": str(n)}
        return f'<{url.replace(query=urlencode(query))}>; rel="{rel}"'

    links = []
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    chunk = items[(page - 1) * per_page : page * per_page]
    return chunk, ({"link": ", ".join(links)} if links else {})


def _repo_json(repo: Repo) -> dict[str, Any]:
    return shapes.repo(repo) | {"archived": repo.archived}


async def list_installations(call: Call) -> Response:
    items = [
        {
            "id": installation_id,
            "app_id": call.gh.app_id,
            "app_slug": call.gh.app_slug,
            "account": {"login": owner, "type": "Organization"},
            "target_type": "Organization",
            "repository_selection": "selected",
            "suspended_at": None,
        }
        for installation_id, owner in sorted(call.gh.installations.items())
    ]
    return paginate(call, items)


async def installation_repositories(call: Call) -> Response:
    repos = [call.gh.repos[name] for name in sorted(call.installation_repos)]
    chunk, headers = _page(call, [_repo_json(r) for r in repos])
    return JSONResponse(
        {"total_count": len(repos), "repository_selection": "selected", "repositories": chunk},
        headers=headers,
    )


async def get_repo(call: Call) -> Response:
    return JSONResponse(_repo_json(call.repo()))


async def git_tree(call: Call) -> Response:
    repo = call.repo()
    sha = call.param("tree_sha")
    commit = repo.commits.get(sha)
    tree_sha = commit.tree if commit is not None else sha
    files = repo.trees.get(tree_sha)
    if files is None:
        raise ApiError(404, "Not Found")
    recursive = call.request.query_params.get("recursive") not in (None, "", "0", "false")
    entries: dict[str, dict[str, Any]] = {}
    for path, data in sorted(files.items()):
        if not recursive and "/" in path:
            top = path.split("/", 1)[0]
            entries[top] = {
                "path": top,
                "mode": "040000",
                "type": "tree",
                "sha": git_sha("tree", top.encode()),
            }
            continue
        directory = posixpath.dirname(path)
        while recursive and directory:
            entries.setdefault(
                directory,
                {
                    "path": directory,
                    "mode": "040000",
                    "type": "tree",
                    "sha": git_sha("tree", directory.encode()),
                },
            )
            directory = posixpath.dirname(directory)
        entries[path] = {
            "path": path,
            "mode": "100644",
            "type": "blob",
            "sha": git_sha("blob", data),
            "size": len(data),
        }
    listed = [entries[p] for p in sorted(entries)]
    truncated = len(listed) > call.gh.tree_entry_limit
    return JSONResponse(
        {"sha": tree_sha, "tree": listed[: call.gh.tree_entry_limit], "truncated": truncated}
    )


def _issue_json(repo: Repo, issue: dict[str, Any]) -> dict[str, Any]:
    number = issue["number"]
    return issue | {"html_url": f"https://github.com/{repo.full_name}/issues/{number}"}


async def list_issues(call: Call) -> Response:
    repo = call.repo()
    state = call.request.query_params.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise unprocessable({"resource": "Issue", "field": "state", "code": "invalid"})
    items = [_issue_json(repo, i) for i in repo.issues.values()]
    items += [
        {
            "number": p.number,
            "title": p.title,
            "body": "",
            "state": p.state,
            "user": shapes.user(p.user),
            "pull_request": {"url": f"https://github.com/{repo.full_name}/pull/{p.number}"},
        }
        for p in repo.pulls.values()
    ]
    items = [i for i in items if state == "all" or i["state"] == state]
    items.sort(key=lambda i: i["number"], reverse=True)  # sort=created, direction=desc
    return paginate(call, items)


def _may_write_issues(call: Call) -> None:
    if call.gh.issues_permission != "write":
        raise ApiError(403, "Resource not accessible by integration")


async def create_issue(call: Call) -> Response:
    repo = call.repo()
    _may_write_issues(call)
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body["title"]:
        raise unprocessable(
            {"resource": "Issue", "field": "title", "code": "missing_field"},
            message="Validation Failed",
        )
    number = max([0, *repo.issues, *repo.pulls]) + 1
    issue = {
        "id": number * 1000 + 1,
        "number": number,
        "title": body["title"],
        "body": body.get("body") or "",
        "state": "open",
        "user": shapes.bot(call.gh),
        "created_at": iso(datetime.now(UTC)),
    }
    repo.issues[number] = issue
    return JSONResponse(_issue_json(repo, issue), status_code=201)


async def update_issue(call: Call) -> Response:
    repo = call.repo()
    _may_write_issues(call)
    issue = repo.issues.get(int(call.param("number")))
    if issue is None:
        raise ApiError(404, "Not Found")
    body = call.body if isinstance(call.body, dict) else {}
    if "state" in body and body["state"] not in ("open", "closed"):
        raise unprocessable(
            {"resource": "Issue", "field": "state", "code": "invalid"},
            message="Validation Failed",
        )
    for key in ("title", "body", "state"):
        if key in body and body[key] is not None:
            issue[key] = body[key]
    return JSONResponse(_issue_json(repo, issue))


def routes(gh: FakeGitHub) -> list[Route]:
    base = "/repos/{owner}/{repo}"
    return [
        endpoint(gh, "GET", "/app/installations", list_installations, auth="app"),
        endpoint(gh, "GET", "/installation/repositories", installation_repositories),
        endpoint(gh, "GET", base, get_repo),
        endpoint(gh, "GET", base + "/git/trees/{tree_sha}", git_tree),
        endpoint(gh, "GET", base + "/issues", list_issues),
        endpoint(gh, "POST", base + "/issues", create_issue),
        endpoint(gh, "PATCH", base + "/issues/{number:int}", update_issue),
    ]
