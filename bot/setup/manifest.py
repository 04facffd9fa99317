"""The App manifest (``app.yml``) and the GitHub web URLs the setup page posts it to."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

from bot.resources import shipped

PLACEHOLDER = "${PUBLIC_URL}"
MANIFEST_NAME = "app.yml"
_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


class ManifestError(ValueError):
    """``app.yml`` is missing or malformed, or a URL the manifest needs is invalid."""


def manifest_candidates() -> list[Path]:
    """Where ``app.yml`` is looked for: the working directory, then the one the package ships."""
    return [Path.cwd() / MANIFEST_NAME, shipped(MANIFEST_NAME)]


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """The manifest template (with ``${PUBLIC_URL}`` placeholders) from ``app.yml``."""
    paths = [path] if path is not None else manifest_candidates()
    for candidate in paths:
        if candidate.is_file():
            data = yaml.safe_load(candidate.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("hook_attributes"), dict):
                raise ManifestError(f"{candidate}: not an App manifest (no hook_attributes)")
            return data
    raise ManifestError(f"{MANIFEST_NAME} not found (looked in {', '.join(map(str, paths))})")


def fill_manifest(
    template: dict[str, Any],
    base_url: str,
    *,
    add_registry_button: bool = False,
    release_issues: bool = False,
) -> dict[str, Any]:
    """The manifest to post: placeholders replaced by ``base_url``; ``contents: write`` for the
    *Add registry entries* button, ``issues: write`` for release issues, on request."""
    base = public_base_url(base_url)

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(PLACEHOLDER, base)
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    manifest: dict[str, Any] = fill(copy.deepcopy(template))
    if add_registry_button:
        manifest.setdefault("default_permissions", {})["contents"] = "write"
    if release_issues:
        manifest.setdefault("default_permissions", {})["issues"] = "write"
    return manifest


def public_base_url(raw: str) -> str:
    """``raw`` as a base URL without a trailing slash, query or fragment (http/https only)."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ManifestError(f"expected an http(s) base URL, got {raw!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def github_web_url(api_url: str, override: str | None = None) -> str:
    """GitHub's web URL for an API URL.

    ``https://api.github.com`` → ``https://github.com``; GitHub Enterprise Server
    ``https://host/api/v3`` → ``https://host``; GHE.com ``https://api.acme.ghe.com`` →
    ``https://acme.ghe.com``; anything else is taken as both. ``override`` (GITHUB_WEB_URL) wins.
    """
    if override:
        return public_base_url(override)
    parts = urlsplit(api_url.strip())
    host, path = parts.netloc, parts.path.rstrip("/")
    if path.endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    elif host == "api.github.com":
        host = "github.com"
    elif host.startswith("api.") and host.endswith(".ghe.com"):
        host = host[len("api.") :]
    return public_base_url(urlunsplit((parts.scheme, host, path, "", "")))


def valid_org(org: str) -> bool:
    """A GitHub organization login: letters, digits and hyphens, at most 39 characters."""
    return _ORG.fullmatch(org) is not None


def new_app_url(web_url: str, state: str, org: str | None = None) -> str:
    """Where the manifest form posts: the user's or ``org``'s "new App" page, with ``state``."""
    if org is not None and not valid_org(org):
        raise ManifestError(f"not an organization name: {org!r}")
    base = web_url.rstrip("/")
    path = f"/organizations/{org}/settings/apps/new" if org else "/settings/apps/new"
    return f"{base}{path}?state={quote(state, safe='')}"
