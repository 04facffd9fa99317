"""Pull requests, their files, contents, reviews, comments, reactions and permissions."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import shapes
from .auth import iso
from .http import ApiError, Call, endpoint, paginate, unprocessable
from .review_rules import comment_error
from .schemas import validation_errors
from .state import FakeGitHub, Pull, Repo, git_sha, next_id

MAX_FILES = 3000


def _pull(call: Call, repo: Repo) -> Pull:
    pull = repo.pulls.get(int(call.param("number")))
    if pull is None:
        raise ApiError(404, "Not Found")
    return pull


def _validate(operation: str, body: Any) -> None:
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    if errors := validation_errors(operation, body):
        raise unprocessable(*errors, message="Invalid request.")


async def get_pull(call: Call) -> Response:
    repo = call.repo()
    return JSONResponse(shapes.pull(repo, _pull(call, repo)))


async def pull_files(call: Call) -> Response:
    repo = call.repo()
    pull = _pull(call, repo)
    files = [shapes.pull_file(repo, pull, f) for f in pull.files]
    return paginate(call, files, cap=MAX_FILES)


async def commit_pulls(call: Call) -> Response:
    repo = call.repo()
    sha = call.param("sha")
    found = [shapes.pull(repo, p) for p in repo.pulls.values() if p.head_sha == sha]
    return paginate(call, found)


async def contents(call: Call) -> Response:
    repo = call.repo()
    path = call.param("path")
    ref = call.request.query_params.get("ref", repo.default_branch)
    tree = repo.files_at(ref)
    if tree is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    if path not in tree:
        raise ApiError(404, "Not Found")
    data = tree[path]
    if "raw" in call.request.headers.get("accept", ""):
        return Response(data, media_type="application/vnd.github.raw")
    encoded = base64.encodebytes(data).decode()
    return JSONResponse(
        {
            "type": "file",
            "encoding": "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": encoded,
            "sha": git_sha("blob", data),
        }
    )


def _comment_json(
    call: Call, repo: Repo, pull: Pull, c: dict[str, Any], review_id: int, commit_id: str
) -> dict[str, Any]:
    cid = next_id()
    return {
        "id": cid,
        "node_id": f"PRRC_{cid}",
        "pull_request_review_id": review_id,
        "path": c["path"],
        "line": c.get("line"),
        "side": c.get("side", "RIGHT"),
        "start_line": c.get("start_line"),
        "body": c["body"],
        "commit_id": commit_id,
        "user": shapes.bot(call.gh),
        "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}#discussion_r{cid}",
        "created_at": iso(datetime.now(UTC)),
    }


async def create_review(call: Call) -> Response:
    repo = call.repo()
    pull = _pull(call, repo)
    _validate("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", call.body)
    body = call.body
    commit_id = body.get("commit_id", pull.head_sha)
    if commit_id not in repo.commits:
        raise unprocessable(f"No commit found for SHA: {commit_id}")
    comments = body.get("comments", [])
    if (
        body.get("event") in ("COMMENT", "REQUEST_CHANGES")
        and not body.get("body")
        and not comments
    ):
        raise unprocessable("Review Comment is missing")
    for comment in comments:
        if (problem := comment_error(pull, comment)) is not None:
            raise unprocessable(problem)
    review_id = next_id()
    review = {
        "id": review_id,
        "node_id": f"PRR_{review_id}",
        "user": shapes.bot(call.gh),
        "body": body.get("body", ""),
        "state": {
            "COMMENT": "COMMENTED",
            "APPROVE": "APPROVED",
            "REQUEST_CHANGES": "CHANGES_REQUESTED",
        }.get(body.get("event", ""), "PENDING"),
        "commit_id": commit_id,
        "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}#pullrequestreview-{review_id}",
        "submitted_at": iso(datetime.now(UTC)),
    }
    repo.reviews.setdefault(pull.number, []).append(review)
    for comment in comments:
        stored = _comment_json(call, repo, pull, comment, review_id, commit_id)
        repo.review_comments.setdefault(pull.number, []).append(stored)
        thread_id = f"PRRT_{stored['id']}"
        repo.threads[thread_id] = {
            "id": thread_id,
            "pull": pull.number,
            "isResolved": False,
            "comments": [stored],
        }
    return JSONResponse(review)


async def list_reviews(call: Call) -> Response:
    repo = call.repo()
    return paginate(call, repo.reviews.get(_pull(call, repo).number, []))


async def list_review_comments(call: Call) -> Response:
    repo = call.repo()
    return paginate(call, repo.review_comments.get(_pull(call, repo).number, []))


async def create_issue_comment(call: Call) -> Response:
    repo = call.repo()
    number = int(call.param("number"))
    if number not in repo.pulls:
        raise ApiError(404, "Not Found")
    _validate("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", call.body)
    if len(call.body["body"]) > 65536:
        raise unprocessable(
            {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": "body is too long (maximum is 65536 characters)",
            },
            message="Validation Failed",
        )
    cid = next_id()
    comment = {
        "id": cid,
        "node_id": f"IC_{cid}",
        "body": call.body["body"],
        "user": shapes.bot(call.gh),
        "issue_number": number,
        "html_url": f"https://github.com/{repo.full_name}/pull/{number}#issuecomment-{cid}",
        "created_at": iso(datetime.now(UTC)),
    }
    repo.issue_comments[cid] = comment
    return JSONResponse(comment, status_code=201)


async def add_reaction(call: Call) -> Response:
    repo = call.repo()
    comment_id = int(call.param("comment_id"))
    if comment_id not in repo.issue_comments:
        raise ApiError(404, "Not Found")
    _validate("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", call.body)
    reactions = repo.reactions.setdefault(comment_id, [])
    for existing in reactions:
        if existing["content"] == call.body["content"]:
            return JSONResponse(existing, status_code=200)
    reaction = {
        "id": next_id(),
        "content": call.body["content"],
        "user": shapes.bot(call.gh),
        "created_at": iso(datetime.now(UTC)),
    }
    reactions.append(reaction)
    return JSONResponse(reaction, status_code=201)


async def permission(call: Call) -> Response:
    repo = call.repo()
    login = call.param("user")
    level = repo.collaborators.get(login)
    if level is None:
        raise ApiError(404, f"{login} is not a user")
    return JSONResponse({"permission": level, "role_name": level, "user": shapes.user(login)})


def routes(gh: FakeGitHub) -> list[Route]:
    base = "/repos/{owner}/{repo}"
    return [
        endpoint(gh, "GET", base + "/pulls/{number:int}", get_pull),
        endpoint(gh, "GET", base + "/pulls/{number:int}/files", pull_files),
        endpoint(gh, "GET", base + "/commits/{sha}/pulls", commit_pulls),
        endpoint(gh, "GET", base + "/contents/{path:path}", contents),
        endpoint(gh, "POST", base + "/pulls/{number:int}/reviews", create_review),
        endpoint(gh, "GET", base + "/pulls/{number:int}/reviews", list_reviews),
        endpoint(gh, "GET", base + "/pulls/{number:int}/comments", list_review_comments),
        endpoint(gh, "POST", base + "/issues/{number:int}/comments", create_issue_comment),
        endpoint(gh, "POST", base + "/issues/comments/{comment_id:int}/reactions", add_reaction),
        endpoint(gh, "GET", base + "/collaborators/{user}/permission", permission),
    ]
