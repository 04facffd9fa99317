"""Git data: enough to commit one file to a branch (ref, commit, tree, blob, ref update)."""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .http import ApiError, Call, endpoint, unprocessable
from .schemas import validation_errors
from .state import Commit, FakeGitHub, Repo, git_sha, next_id


def _validate(operation: str, body: Any) -> None:
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    if errors := validation_errors(operation, body):
        raise unprocessable(*errors, message="Invalid request.")


def _ref_json(repo: Repo, ref: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "node_id": f"REF_{ref}",
        "object": {"type": "commit", "sha": repo.refs[ref]},
    }


async def get_ref(call: Call) -> Response:
    repo = call.repo()
    ref = "refs/" + call.param("ref")
    if ref not in repo.refs:
        raise ApiError(404, "Not Found")
    return JSONResponse(_ref_json(repo, ref))


async def get_commit(call: Call) -> Response:
    repo = call.repo()
    commit = repo.commits.get(call.param("sha"))
    if commit is None:
        raise ApiError(404, "Not Found")
    return JSONResponse(
        {
            "sha": commit.sha,
            "message": commit.message,
            "tree": {"sha": commit.tree},
            "parents": [{"sha": p} for p in commit.parents],
        }
    )


async def create_blob(call: Call) -> Response:
    repo = call.repo()
    _validate("POST /repos/{owner}/{repo}/git/blobs", call.body)
    raw = call.body["content"]
    data = base64.b64decode(raw) if call.body.get("encoding") == "base64" else raw.encode()
    sha = git_sha("blob", data)
    repo.blobs[sha] = data
    return JSONResponse({"sha": sha}, status_code=201)


async def create_tree(call: Call) -> Response:
    repo = call.repo()
    _validate("POST /repos/{owner}/{repo}/git/trees", call.body)
    base_tree = call.body.get("base_tree")
    if base_tree is not None and base_tree not in repo.trees:
        raise unprocessable("base_tree is not a valid tree oid", message="Invalid request.")
    files = dict(repo.trees[base_tree]) if base_tree else {}
    for entry in call.body["tree"]:
        path = entry.get("path", "")
        if "content" in entry and entry.get("sha") is not None:
            raise unprocessable("Must supply either tree.sha or tree.content, not both")
        if "content" in entry:
            files[path] = entry["content"].encode()
        elif entry.get("sha") is None:
            files.pop(path, None)
        elif entry["sha"] in repo.blobs:
            files[path] = repo.blobs[entry["sha"]]
        else:
            raise unprocessable("tree.sha is not a valid blob", message="GitRPC::BadObjectState")
    sha = repo.put_tree(files)
    return JSONResponse({"sha": sha, "truncated": False}, status_code=201)


async def create_commit(call: Call) -> Response:
    repo = call.repo()
    _validate("POST /repos/{owner}/{repo}/git/commits", call.body)
    tree, parents = call.body["tree"], call.body.get("parents", [])
    if tree not in repo.trees or any(p not in repo.commits for p in parents):
        raise unprocessable("Tree SHA does not exist", message="Invalid request.")
    sha = git_sha("commit", f"{tree}{parents}{call.body['message']}{next_id()}".encode())
    repo.commits[sha] = Commit(sha, tree, list(parents), call.body["message"])
    return JSONResponse(
        {
            "sha": sha,
            "tree": {"sha": tree},
            "message": call.body["message"],
            "parents": [{"sha": p} for p in parents],
        },
        status_code=201,
    )


def _is_ancestor(repo: Repo, old: str, new: str) -> bool:
    todo = [new]
    while todo:
        sha = todo.pop()
        if sha == old:
            return True
        todo.extend(repo.commits[sha].parents if sha in repo.commits else [])
    return False


async def update_ref(call: Call) -> Response:
    repo = call.repo()
    _validate("PATCH /repos/{owner}/{repo}/git/refs/{ref}", call.body)
    ref = "refs/" + call.param("ref")
    if ref not in repo.refs:
        raise unprocessable("Reference does not exist")
    new = call.body["sha"]
    if new not in repo.commits:
        raise unprocessable("Object does not exist")
    if not call.body.get("force") and not _is_ancestor(repo, repo.refs[ref], new):
        raise unprocessable("Update is not a fast forward")
    repo.refs[ref] = new
    return JSONResponse(_ref_json(repo, ref))


def routes(gh: FakeGitHub) -> list[Route]:
    base = "/repos/{owner}/{repo}/git"
    return [
        endpoint(gh, "GET", base + "/ref/{ref:path}", get_ref),
        endpoint(gh, "GET", base + "/commits/{sha}", get_commit),
        endpoint(gh, "POST", base + "/blobs", create_blob),
        endpoint(gh, "POST", base + "/trees", create_tree),
        endpoint(gh, "POST", base + "/commits", create_commit),
        endpoint(gh, "PATCH", base + "/refs/{ref:path}", update_ref),
    ]
