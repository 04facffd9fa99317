"""Setup mode's web flow: register the GitHub App from its manifest and store its credentials.

``GET /`` offers a "Register GitHub App" form that posts ``app.yml`` (filled with this server's
public URL) to GitHub with a one-time ``state``. GitHub sends the browser back to
``GET /setup/callback?code=…&state=…``; the code is exchanged with
``POST /app-manifests/{code}/conversions`` and the credentials go to ``.env`` (mode 0600).
The process must then be restarted to leave setup mode. Secrets are never logged or shown.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.setup.conversion import CODE, ConversionError, RegisteredApp, convert_manifest_code
from bot.setup.envfile import EnvFileConfigured, env_file_configured, write_credentials
from bot.setup.manifest import (
    ManifestError,
    fill_manifest,
    load_manifest,
    new_app_url,
    public_base_url,
    valid_org,
)
from bot.setup.options import SetupOptions
from bot.setup.pages import page
from bot.setup.state import StateStore

__all__ = [
    "CALLBACK_PATH",
    "ConversionError",
    "RegisteredApp",
    "SetupFlow",
    "SetupOptions",
    "StateStore",
    "convert_manifest_code",
    "setup_routes",
]

logger = structlog.get_logger("bot.setup")

CALLBACK_PATH = "/setup/callback"
REGISTERED = "GitHub App registered"


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


class SetupFlow:
    """The setup pages, bound to one process's options and one-time states."""

    def __init__(
        self,
        options: SetupOptions,
        *,
        states: StateStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.states = states or StateStore()
        self.transport = transport
        self.lock = asyncio.Lock()
        self.registered: RegisteredApp | None = None
        self.done: tuple[str, str] | None = None  # the state that registered, its page body

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route(CALLBACK_PATH, self.callback, methods=["GET"]),
        ]

    def base_url(self, request: Request) -> str:
        if self.options.public_url:
            return self.options.public_url
        return public_base_url(str(request.base_url))

    async def index(self, request: Request) -> Response:
        env = html.escape(str(self.options.env_file))
        if self.registered is not None or (
            not self.options.overwrite_env and env_file_configured(self.options.env_file)
        ):
            return page(
                "Restart to finish setup",
                f"<p><code>{env}</code> already holds GitHub App credentials, but this process "
                "started without them. Restart linkname-bot to use them.</p>"
                "<p>To register a new App instead, restart with "
                "<code>SETUP_OVERWRITE_ENV=1</code> (the old file is kept as "
                f"<code>{env}.bak</code>).</p>",
            )
        org = request.query_params.get("org") or None
        if org is not None and not valid_org(org):
            return page("Not an organization name", "<p><a href='/'>Start again</a>.</p>", 400)
        try:
            base = self.base_url(request)
            manifest = fill_manifest(
                load_manifest(),
                base,
                add_registry_button=self.options.add_registry_button,
                release_issues=self.options.release_issues,
            )
        except ManifestError as exc:
            return page("Setup is broken", f"<p>{html.escape(str(exc))}</p>", 500)
        state = self.states.issue()
        action = new_app_url(self.options.web_url, state, org)
        owner = f"the organization <b>{html.escape(org)}</b>" if org else "your personal account"
        warning = ""
        if _loopback(base):
            warning = (
                f"<p><strong>Note:</strong> webhooks will go to <code>{html.escape(base)}</code>, "
                "which GitHub cannot reach. Set <code>PUBLIC_URL</code> to this server's public "
                "URL (or a tunnel to it) and restart before registering, unless that is what "
                "you want.</p>"
            )
        permissions = ", ".join(
            f"{html.escape(str(k))}: {html.escape(str(v))}"
            for k, v in manifest.get("default_permissions", {}).items()
        )
        body = f"""
<p>linkname-bot is running in <b>setup mode</b>: it has no GitHub App credentials yet.</p>
<p>The button below creates a GitHub App for {owner} on
<code>{html.escape(self.options.web_url)}</code> from <code>app.yml</code>, with webhooks sent to
<code>{html.escape(manifest["hook_attributes"]["url"])}</code> and these permissions:
{permissions}. GitHub then sends you back here and the App's credentials are written to
<code>{env}</code> (mode 0600).</p>
{warning}
<form id="register" action="{html.escape(action)}" method="post">
<input type="hidden" name="manifest" value="{html.escape(json.dumps(manifest))}">
<button type="submit">Register GitHub App</button>
</form>
<form method="get" action="/"><p>Register it for an organization instead:
<input name="org" placeholder="organization" value="{html.escape(org or "")}">
<button type="submit">Use organization</button></p></form>
<p>To configure the App by hand instead, set <code>APP_ID</code>, <code>PRIVATE_KEY</code> (or
<code>PRIVATE_KEY_PATH</code>) and <code>WEBHOOK_SECRET</code> in the environment or
<code>{env}</code> and restart.</p>
"""
        return page("Set up linkname-bot", body)

    async def callback(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        if self.done is not None and secrets.compare_digest(state, self.done[0]):
            return page(REGISTERED, self.done[1])  # reloaded: the App is registered
        if not self.states.take(state):
            return page(
                "Unknown or expired setup link",
                "<p>This setup link was not issued by this server, was already used, or is more "
                "than an hour old (or the server restarted since). "
                "<a href='/'>Start the registration again</a>.</p>",
                400,
            )
        if not CODE.fullmatch(code):
            return page(
                "Missing or malformed code",
                "<p>GitHub's answer had no usable <code>code</code>. "
                "<a href='/'>Start the registration again</a>.</p>",
                400,
            )
        env_file = self.options.env_file
        env = html.escape(str(env_file))
        async with self.lock:
            if not self.options.overwrite_env and env_file_configured(env_file):
                return self._refused(env)
            try:
                app = await convert_manifest_code(
                    self.options.api_url, code, transport=self.transport
                )
            except ConversionError as exc:
                logger.warning("manifest conversion failed", status=exc.status)
                return page(
                    "GitHub did not hand over the App's credentials",
                    f"<p>{html.escape(str(exc))}.</p><p>Codes are valid for one hour and only "
                    "once. <a href='/'>Start the registration again</a>.</p>",
                    502,
                )
            try:
                backup = write_credentials(
                    env_file, app.credentials(), overwrite=self.options.overwrite_env
                )
            except EnvFileConfigured:
                return self._refused(env)
            except OSError as exc:
                logger.error("cannot write env file", path=str(env_file), error=exc.strerror)
                settings_url = html.escape(f"{app.html_url}")
                return page(
                    "Could not write the credentials",
                    f"<p>The App <b>{html.escape(app.name)}</b> (id {app.id}) was created, but "
                    f"<code>{env}</code> could not be written: {html.escape(str(exc.strerror))}."
                    f"</p><p>Open <a href='{settings_url}'>its settings</a>, generate a private "
                    "key and a webhook secret, and configure linkname-bot by hand.</p>",
                    500,
                )
            self.registered = app
        logger.info(
            "app registered",
            app_id=app.id,
            slug=app.slug,
            env_file=str(env_file),
            backup=str(backup) if backup else None,
        )
        install = html.escape(f"{app.html_url.rstrip('/')}/installations/new")
        kept = f" The previous file was kept as <code>{env}.bak</code>." if backup else ""
        body = (
            f"<p>The App <b>{html.escape(app.name)}</b> (id {app.id}) was created and its "
            f"credentials were written to <code>{env}</code> (mode 0600).{kept}</p>"
            "<ol><li><b>Restart linkname-bot</b> so that it reads them (for example "
            "<code>systemctl restart linkname-bot</code>, <code>docker compose restart</code>, "
            "or stop <code>linkname-bot serve</code> and start it again).</li>"
            f"<li><a id='install' href='{install}'>Install the App</a> on the repositories "
            "it should review.</li></ol>"
        )
        self.done = (state, body)
        return page(REGISTERED, body)

    def _refused(self, env: str) -> HTMLResponse:
        return page(
            "Credentials already configured",
            f"<p><code>{env}</code> already holds GitHub App credentials; they were not "
            "replaced. Restart linkname-bot to use them, or restart it with "
            "<code>SETUP_OVERWRITE_ENV=1</code> to register a new App over them.</p>",
            409,
        )


def setup_routes(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    env_file: str | Path = ".env",
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[BaseRoute]:
    """The setup pages when ``settings`` has no App credentials; none otherwise."""
    if settings.configured:
        return []
    options = SetupOptions.load(settings, environ, env_file)
    return SetupFlow(options, transport=transport).routes()
