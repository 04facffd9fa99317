"""GitHub's manifest conversion: a one-time ``code`` in, the new App's credentials out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

#: What a manifest code looks like (the callback refuses anything else before calling GitHub).
CODE = re.compile(r"[A-Za-z0-9_-]{1,200}")


class ConversionError(RuntimeError):
    """GitHub refused the manifest code, or answered something unusable."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RegisteredApp:
    """What ``POST /app-manifests/{code}/conversions`` returns (``repr`` hides the secrets)."""

    id: int
    slug: str
    name: str
    html_url: str
    pem: str
    webhook_secret: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"RegisteredApp(id={self.id}, slug={self.slug!r}, html_url={self.html_url!r})"

    def credentials(self) -> dict[str, str]:
        return {
            "APP_ID": str(self.id),
            "PRIVATE_KEY": self.pem,
            "WEBHOOK_SECRET": self.webhook_secret,
            "GITHUB_CLIENT_ID": self.client_id,
            "GITHUB_CLIENT_SECRET": self.client_secret,
        }


async def convert_manifest_code(
    api_url: str,
    code: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
) -> RegisteredApp:
    """Exchange a manifest ``code`` for the new App's credentials (no authentication)."""
    if not CODE.fullmatch(code):
        raise ConversionError("malformed code")
    url = f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "linkname-bot-setup",
    }
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            response = await client.post(url, headers=headers)
    except httpx.HTTPError as exc:
        raise ConversionError(f"could not reach GitHub ({type(exc).__name__})") from None
    if response.status_code != 201:
        raise ConversionError(_github_message(response), response.status_code)
    try:
        body = response.json()
        app = RegisteredApp(
            id=_field(body, "id", int),
            slug=_field(body, "slug", str),
            name=_field(body, "name", str),
            html_url=_field(body, "html_url", str),
            pem=_field(body, "pem", str),
            webhook_secret=_field(body, "webhook_secret", str),
            client_id=_field(body, "client_id", str),
            client_secret=_field(body, "client_secret", str),
        )
    except (ValueError, TypeError) as exc:
        raise ConversionError(f"unexpected answer from GitHub: {exc}", 201) from None
    if urlsplit(app.html_url).scheme not in ("http", "https"):
        raise ConversionError("unexpected answer from GitHub: html_url is not a URL", 201)
    return app


def _field(body: Any, name: str, kind: type) -> Any:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0):
        raise ValueError(f"{name} missing or not a {kind.__name__}")
    return value


def _github_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    text = str(message)[:200] if message else response.reason_phrase
    return f"GitHub answered {response.status_code}: {text}"
