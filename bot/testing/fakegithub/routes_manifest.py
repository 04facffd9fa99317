"""GitHub's App-manifest flow: the "new App" web pages and `POST /app-manifests/{code}/conversions`.

The web page at `/settings/apps/new` (or `/organizations/{org}/settings/apps/new`) takes the form
field `manifest` and the query parameter `state`, shows the manifest and a "Create GitHub App"
button; the button sends the browser to the manifest's `redirect_url` with `?code=…&state=…`.
The conversion (unauthenticated, each code once, within an hour) answers with the App's
credentials: the fake's own App id and key, so the new App can talk to this fake at once.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .http import ApiError, Call, endpoint, unprocessable
from .state import FakeGitHub

CODE_TTL = 3600.0
REQUIRED = ("name", "url", "hook_attributes", "redirect_url")


@dataclass
class Conversion:
    """One created App, waiting for its code to be exchanged."""

    code: str
    manifest: dict[str, Any]
    owner: str
    created: float = field(default_factory=time.monotonic)
    converted: dict[str, Any] | None = None


@dataclass
class ManifestFlow:
    """What the fake saw of the manifest flow (read by tests)."""

    received: list[dict[str, Any]] = field(default_factory=list)  # manifests posted to the form
    states: list[str] = field(default_factory=list)  # their `state` parameters
    pending: dict[str, Conversion] = field(default_factory=dict)  # by confirmation token
    codes: dict[str, Conversion] = field(default_factory=dict)
    issued: list[dict[str, Any]] = field(default_factory=list)  # conversion answers
    lock: threading.Lock = field(default_factory=threading.Lock)


_FLOWS: weakref.WeakKeyDictionary[FakeGitHub, ManifestFlow] = weakref.WeakKeyDictionary()


def manifest_flow(gh: FakeGitHub) -> ManifestFlow:
    """The manifest-flow state of `gh` (created on first use)."""
    flow = _FLOWS.get(gh)
    if flow is None:
        flow = _FLOWS.setdefault(gh, ManifestFlow())
    return flow


def _problems(manifest: Any) -> list[str]:
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    problems = [f"{key} is missing" for key in REQUIRED if not manifest.get(key)]
    hook = manifest.get("hook_attributes")
    if isinstance(hook, dict) and not isinstance(hook.get("url"), str):
        problems.append("hook_attributes.url is missing")
    for key in ("url", "redirect_url"):
        value = manifest.get(key)
        if isinstance(value, str) and urlsplit(value).scheme not in ("http", "https"):
            problems.append(f"{key} is not a URL")
    return problems


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (without python-multipart), first value of each field."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def web_routes(gh: FakeGitHub) -> list[BaseRoute]:
    flow = manifest_flow(gh)

    async def new_app(request: Request) -> Response:
        org = request.path_params.get("org")
        form = await _form(request)
        raw = form.get("manifest")
        state = request.query_params.get("state", "")
        try:
            manifest = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            manifest = None
        problems = _problems(manifest)
        if problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            return _page("Invalid GitHub App manifest", f"<ul>{items}</ul>", 422)
        assert isinstance(manifest, dict)
        token = secrets.token_urlsafe(16)
        with flow.lock:
            flow.received.append(manifest)
            flow.states.append(state)
            flow.pending[token] = Conversion("", manifest, org or "octocat")
        owner = f"organization {org}" if org else "octocat"
        body = (
            f"<p id='owner'>Owner: {html.escape(owner)}</p>"
            f"<pre id='manifest'>{html.escape(json.dumps(manifest, indent=2))}</pre>"
            f"<form method='post' action='/settings/apps/new/confirm'>"
            f"<input type='hidden' name='token' value='{token}'>"
            f"<input type='hidden' name='state' value='{html.escape(state)}'>"
            f"<button type='submit'>Create GitHub App for {html.escape(owner)}</button></form>"
        )
        return _page(f"Create GitHub App {manifest['name']}", body)

    async def confirm(request: Request) -> Response:
        form = await _form(request)
        token, state = form.get("token", ""), form.get("state", "")
        with flow.lock:
            pending = flow.pending.pop(token, None)
            if pending is None:
                return _page("Unknown confirmation", "", 404)
            pending.code = secrets.token_hex(10)
            flow.codes[pending.code] = pending
        query = urlencode({"code": pending.code, "state": state})
        return RedirectResponse(f"{pending.manifest['redirect_url']}?{query}", status_code=302)

    async def install(request: Request) -> Response:
        slug = html.escape(request.path_params["slug"])
        return _page(f"Install {slug}", "<p id='install'>Choose repositories.</p>")

    return [
        Route("/settings/apps/new", new_app, methods=["POST"]),
        Route("/organizations/{org}/settings/apps/new", new_app, methods=["POST"]),
        Route("/settings/apps/new/confirm", confirm, methods=["POST"]),
        Route("/apps/{slug}/installations/new", install, methods=["GET"]),
    ]


def api_routes(gh: FakeGitHub) -> list[BaseRoute]:
    flow = manifest_flow(gh)

    async def conversion(call: Call) -> Response:
        code = call.param("code")
        with flow.lock:
            pending = flow.codes.pop(code, None)
        if pending is None or time.monotonic() - pending.created > CODE_TTL:
            raise ApiError(404, "Not Found")
        manifest = pending.manifest
        slug = str(manifest["name"]).lower().replace(" ", "-")
        hook = manifest["hook_attributes"]
        if not isinstance(hook, dict) or not hook.get("url"):
            raise unprocessable({"resource": "Integration", "code": "invalid", "field": "hook"})
        answer = {
            "id": gh.app_id,
            "slug": slug,
            "node_id": f"A_{gh.app_id}",
            "owner": {"login": pending.owner, "type": "User"},
            "name": manifest["name"],
            "description": manifest.get("description", ""),
            "external_url": manifest["url"],
            "html_url": f"{gh.url}/apps/{slug}",
            "permissions": manifest.get("default_permissions", {}),
            "events": manifest.get("default_events", []),
            "client_id": f"Iv1.{secrets.token_hex(8)}",
            "client_secret": secrets.token_hex(20),
            "webhook_secret": secrets.token_hex(20),
            "pem": gh.keys.private_pem,
        }
        with flow.lock:
            pending.converted = answer
            flow.issued.append(answer)
        return JSONResponse(answer, status_code=201)

    return [
        endpoint(gh, "POST", "/app-manifests/{code}/conversions", conversion, auth="none"),
    ]


def routes(gh: FakeGitHub) -> list[BaseRoute]:
    """The web pages (plain routes: they take forms, not JSON) and the conversion endpoint."""
    return [*web_routes(gh), *api_routes(gh)]
