"""Check runs: create, update (annotations append), list for a commit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import iso
from .http import ApiError, Call, endpoint, unprocessable
from .schemas import validation_errors
from .state import FakeGitHub, next_id

MAX_ANNOTATIONS = 50
MAX_TEXT = 65535


def _check_body(operation: str, body: Any) -> None:
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    if errors := validation_errors(operation, body):
        raise unprocessable(*errors, message="Invalid request.")
    output = body.get("output") or {}
    for key in ("summary", "text"):
        if len(output.get(key) or "") > MAX_TEXT:
            raise unprocessable(
                f"output.{key} is too long (maximum is {MAX_TEXT} characters)",
                message="Invalid request.",
            )
    if len(output.get("annotations") or []) > MAX_ANNOTATIONS:
        raise unprocessable(
            f"Only {MAX_ANNOTATIONS} annotations are allowed per request",
            message="Invalid request.",
        )
    if body.get("status") == "completed" and "conclusion" not in body:
        raise unprocessable("conclusion is required when status is completed")


def _apply(run: dict[str, Any], body: dict[str, Any]) -> None:
    for key in (
        "name",
        "details_url",
        "external_id",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
        "actions",
    ):
        if key in body:
            run[key] = body[key]
    if "conclusion" in body:
        run["status"] = "completed"
        run.setdefault("completed_at", iso(datetime.now(UTC)))
    if "output" in body:
        output = body["output"]
        for key in ("title", "summary", "text"):
            if key in output:
                run["output"][key] = output[key]
        run["annotations"].extend(output.get("annotations") or [])
        run["output"]["annotations_count"] = len(run["annotations"])


def _public(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in ("annotations",)}


async def create(call: Call) -> Response:
    repo = call.repo()
    _check_body("POST /repos/{owner}/{repo}/check-runs", call.body)
    if repo.resolve(call.body["head_sha"]) is None:
        raise unprocessable("No commit found for SHA: " + call.body["head_sha"])
    rid = next_id()
    run: dict[str, Any] = {
        "id": rid,
        "node_id": f"CR_{rid}",
        "head_sha": call.body["head_sha"],
        "name": call.body["name"],
        "status": "queued",
        "conclusion": None,
        "started_at": iso(datetime.now(UTC)),
        "completed_at": None,
        "details_url": None,
        "external_id": "",
        "html_url": f"https://github.com/{repo.full_name}/runs/{rid}",
        "app": {"id": call.gh.app_id, "slug": call.gh.app_slug},
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"/repos/{repo.full_name}/check-runs/{rid}/annotations",
        },
        "actions": [],
        "annotations": [],
        "pull_requests": [],
    }
    _apply(run, call.body)
    repo.check_runs[rid] = run
    return JSONResponse(_public(run), status_code=201)


async def update(call: Call) -> Response:
    repo = call.repo()
    run = repo.check_runs.get(int(call.param("check_run_id")))
    if run is None:
        raise ApiError(404, "Not Found")
    _check_body("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", call.body)
    _apply(run, call.body)
    return JSONResponse(_public(run))


async def for_commit(call: Call) -> Response:
    repo = call.repo()
    sha = repo.resolve(call.param("sha")) or call.param("sha")
    runs = [_public(r) for r in repo.check_runs.values() if r["head_sha"] == sha]
    per_page = max(1, min(call.query_int("per_page", 30), 100))
    return JSONResponse({"total_count": len(runs), "check_runs": runs[:per_page]})


def routes(gh: FakeGitHub) -> list[Route]:
    base = "/repos/{owner}/{repo}"
    return [
        endpoint(gh, "POST", base + "/check-runs", create),
        endpoint(gh, "PATCH", base + "/check-runs/{check_run_id:int}", update),
        endpoint(gh, "GET", base + "/commits/{sha}/check-runs", for_commit),
    ]
