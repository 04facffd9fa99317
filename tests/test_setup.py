"""Setup mode without a browser: manifest, GitHub URLs, one-time states, .env writing, the flow."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from structlog.testing import capture_logs

from bot.queue import open_queue
from bot.service.server import build_app
from bot.settings import Settings, load_settings, read_env_file
from bot.setup import (
    EnvFileConfigured,
    SetupFlow,
    SetupOptions,
    StateStore,
    fill_manifest,
    github_web_url,
    load_manifest,
    new_app_url,
    setup_routes,
    write_credentials,
)
from bot.setup.envfile import quote_value
from bot.testing.fakegithub import FakeGitHub
from bot.testing.fakegithub.auth import AppKeys
from bot.testing.fakegithub.routes_manifest import manifest_flow

ROOT = Path(__file__).resolve().parents[1]
SETUP_ENV = ("PUBLIC_URL", "GITHUB_WEB_URL", "ADD_REGISTRY_BUTTON", "SETUP_OVERWRITE_ENV")


# --- GitHub URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com"),
        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_web_url_from_api_url(api: str, web: str) -> None:
    assert github_web_url(api) == web


def test_web_url_override_wins() -> None:
    assert github_web_url("https://ghe.example.com/api/v3", "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9"
    )


def test_new_app_url_for_user_and_org() -> None:
    assert new_app_url("https://github.com", "s t") == (
        "https://github.com/settings/apps/new?state=s%20t"
    )
    assert new_app_url("https://ghe.example.com", "abc", "acme-inc") == (
        "https://ghe.example.com/organizations/acme-inc/settings/apps/new?state=abc"
    )
    with pytest.raises(ValueError, match="organization"):
        new_app_url("https://github.com", "abc", "../evil")


# --- the manifest -----------------------------------------------------------------------------


def test_app_yml_is_the_minimal_manifest() -> None:
    template = yaml.safe_load((ROOT / "app.yml").read_text())
    assert load_manifest(ROOT / "app.yml") == template
    assert template["public"] is False
    assert template["default_events"] == [
        "pull_request",
        "issue_comment",
        "check_run",
        "check_suite",
    ]
    assert template["default_permissions"] == {
        "checks": "write",
        "pull_requests": "write",
        "contents": "read",
        "metadata": "read",
    }
    for key in ("name", "url", "description", "redirect_url", "callback_urls", "setup_url"):
        assert template[key], key
    assert template["hook_attributes"]["active"] is True


def test_fill_manifest_uses_the_public_url() -> None:
    template = load_manifest(ROOT / "app.yml")
    manifest = fill_manifest(template, "https://bot.example.com/")
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/api/github/webhooks"
    assert manifest["redirect_url"] == "https://bot.example.com/setup/callback"
    assert "${PUBLIC_URL}" not in json.dumps(manifest)
    assert manifest["default_permissions"]["contents"] == "read"
    raised = fill_manifest(template, "https://bot.example.com", add_registry_button=True)
    assert raised["default_permissions"]["contents"] == "write"
    assert template["default_permissions"]["contents"] == "read"  # the template is untouched


# --- one-time states --------------------------------------------------------------------------


def test_state_is_accepted_once() -> None:
    states = StateStore()
    state = states.issue()
    assert len(state) >= 32
    assert states.take(state)
    assert not states.take(state)
    assert not states.take("never-issued")
    assert not states.take("")


def test_state_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("bot.setup.state.time.monotonic", lambda: clock[0])
    states = StateStore(ttl=3600)
    state = states.issue()
    clock[0] += 3601
    assert not states.take(state)


def test_state_store_forgets_the_oldest_past_its_size() -> None:
    states = StateStore(size=2)
    first, second, third = states.issue(), states.issue(), states.issue()
    assert not states.take(first)
    assert states.take(second) and states.take(third)


# --- .env -------------------------------------------------------------------------------------


def credentials(pem: str | None = None) -> dict[str, str]:
    return {
        "APP_ID": "4242",
        "PRIVATE_KEY": pem or AppKeys.shared().private_pem,
        "WEBHOOK_SECRET": "0123abcd",
        "GITHUB_CLIENT_ID": "Iv1.0123456789abcdef",
        "GITHUB_CLIENT_SECRET": "feedface" * 5,
    }


def test_written_env_round_trips_through_load_settings(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    pem = AppKeys.shared().private_pem
    assert write_credentials(env, credentials(pem)) is None
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    text = env.read_text()
    assert "\\n" in text and "-----BEGIN PRIVATE KEY-----\\nMII" in text  # escaped, one line
    assert len([line for line in text.splitlines() if line.startswith("PRIVATE_KEY=")]) == 1
    settings = load_settings({}, env_file=env)
    assert settings.configured
    assert (settings.app_id, settings.private_key, settings.webhook_secret) == (
        4242,
        pem,
        "0123abcd",
    )
    values = read_env_file(env)
    assert values["GITHUB_CLIENT_ID"] == "Iv1.0123456789abcdef"
    assert values["GITHUB_CLIENT_SECRET"] == "feedface" * 5


def test_written_env_is_shell_sourceable(tmp_path: Path) -> None:
    """`set -a; . ./.env` (the Kubernetes guide) sees the values bot.settings sees."""
    env = tmp_path / ".env"
    write_credentials(env, credentials())
    script = 'set -a; . "$1"; set +a; env -0'
    out = subprocess.run(["bash", "-c", script, "_", str(env)], capture_output=True, check=True)
    shell = dict(item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item)
    for key, value in read_env_file(env).items():
        assert shell[key] == value, key
    assert load_settings({"PRIVATE_KEY": shell["PRIVATE_KEY"]}, env_file=env).configured


@pytest.mark.parametrize(
    "value",
    ["plain", "with space", "it's", 'say "hi" $HOME \\ # not a comment', "a\nb", "", "x=y"],
)
def test_quoted_values_read_back(tmp_path: Path, value: str) -> None:
    env = tmp_path / ".env"
    env.write_text(f"KEY={quote_value(value)}\n")
    assert read_env_file(env)["KEY"].replace("\\n", "\n") == value


def test_unconfigured_env_is_kept_and_extended(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# mine\nLOG_LEVEL=debug\nQUEUE_URL=memory://")  # no final newline
    env.chmod(0o644)
    write_credentials(env, credentials())
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert env.read_text().startswith("# mine\nLOG_LEVEL=debug\nQUEUE_URL=memory://\n")
    settings = load_settings({}, env_file=env)
    assert settings.configured and settings.log_level == "DEBUG"
    assert settings.queue_url == "memory://"


@pytest.mark.parametrize("line", ["APP_ID=1", "WEBHOOK_SECRET=x", "PRIVATE_KEY_PATH=/k.pem"])
def test_configured_env_is_never_overwritten(tmp_path: Path, line: str) -> None:
    env = tmp_path / ".env"
    env.write_text(line + "\n")
    with pytest.raises(EnvFileConfigured):
        write_credentials(env, credentials())
    assert env.read_text() == line + "\n"
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left


def test_overwrite_keeps_a_backup_and_other_settings(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    old = "APP_ID=1\nPRIVATE_KEY_PATH=/old.pem\nWEBHOOK_SECRET=old\nLOG_LEVEL=WARNING\n"
    env.write_text(old)
    backup = write_credentials(env, credentials(), overwrite=True)
    assert backup == tmp_path / ".env.bak"
    assert backup.read_text() == old and stat.S_IMODE(backup.stat().st_mode) == 0o600
    values = read_env_file(env)
    assert "PRIVATE_KEY_PATH" not in values and values["LOG_LEVEL"] == "WARNING"
    assert "old" not in env.read_text().replace("# GitHub", "")
    assert load_settings({}, env_file=env).app_id == 4242


# --- the flow against the fake GitHub ---------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action, method and input values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[a["name"]] = a.get("value") or ""


def register_form(page: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page)
    (form,) = [f for f in parser.forms if f["method"] == "post"]
    assert isinstance(form["action"], str) and isinstance(form["fields"], dict)
    return form["action"], form["fields"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in SETUP_ENV:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def setup_app(gh: FakeGitHub, env_file: Path, **environ: str) -> Starlette:
    settings = Settings(github_api_url=f"{gh.url}/api/v3")
    return Starlette(routes=setup_routes(settings, environ=environ, env_file=env_file))


@pytest.fixture
async def bot(gh: FakeGitHub, workdir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = setup_app(gh, workdir / ".env")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot.test"
    ) as client:
        yield client


async def run_flow(bot: httpx.AsyncClient, gh: FakeGitHub, path: str = "/") -> httpx.Response:
    """What the browser does: form to GitHub, confirm, follow the redirect to the callback."""
    index = await bot.get(path)
    assert index.status_code == 200, index.text
    action, fields = register_form(index.text)
    async with httpx.AsyncClient() as browser:
        shown = await browser.post(action, data=fields)
        assert shown.status_code == 200, shown.text
        confirm_action, confirm = register_form(shown.text)
        back = await browser.post(gh.url + confirm_action, data=confirm)
    assert back.status_code == 302
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == "http://bot.test"
    return await bot.get(f"{location.path}?{location.query}")


async def test_index_posts_the_manifest_with_a_state(
    bot: httpx.AsyncClient, gh: FakeGitHub
) -> None:
    page = await bot.get("/")
    assert "Register GitHub App" in page.text
    assert page.headers["cache-control"] == "no-store"
    action, fields = register_form(page.text)
    parts = urlsplit(action)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{gh.url}/settings/apps/new"
    (state,) = parse_qs(parts.query)["state"]
    manifest = json.loads(fields["manifest"])
    assert manifest["hook_attributes"] == {
        "url": "http://bot.test/api/github/webhooks",
        "active": True,
    }
    assert manifest["redirect_url"] == "http://bot.test/setup/callback"
    second = register_form((await bot.get("/")).text)[0]
    assert parse_qs(urlsplit(second).query)["state"] != [state]  # fresh per page


async def test_index_for_an_org(bot: httpx.AsyncClient, gh: FakeGitHub) -> None:
    action, _ = register_form((await bot.get("/?org=acme")).text)
    assert action.startswith(f"{gh.url}/organizations/acme/settings/apps/new?state=")
    bad = await bot.get("/?org=acme/../x")
    assert bad.status_code == 400


async def test_public_url_and_registry_button_options(gh: FakeGitHub, workdir: Path) -> None:
    app = setup_app(
        gh, workdir / ".env", PUBLIC_URL="https://bot.example.com/", ADD_REGISTRY_BUTTON="1"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as c:
        page = (await c.get("/")).text
    manifest = json.loads(register_form(page)[1]["manifest"])
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/api/github/webhooks"
    assert manifest["default_permissions"]["contents"] == "write"
    assert "cannot reach" not in page  # a public URL draws no loopback warning


async def test_full_flow_writes_env(bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path) -> None:
    with capture_logs() as logs:
        done = await run_flow(bot, gh, "/?org=acme")
    assert done.status_code == 200, done.text
    flow = manifest_flow(gh)
    (issued,) = flow.issued
    install = f"{issued['html_url']}/installations/new"
    assert f"href='{install}'" in done.text
    assert done.headers["referrer-policy"] == "no-referrer"
    env = workdir / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    settings = load_settings({}, env_file=env)
    assert settings.configured
    assert settings.app_id == issued["id"] == gh.app_id
    assert settings.private_key == issued["pem"]
    assert settings.webhook_secret == issued["webhook_secret"]
    values = read_env_file(env)
    assert values["GITHUB_CLIENT_ID"] == issued["client_id"]
    assert values["GITHUB_CLIENT_SECRET"] == issued["client_secret"]
    secrets = [issued[k] for k in ("webhook_secret", "client_secret", "client_id")]
    secrets += [line for line in issued["pem"].splitlines() if "-----" not in line][:3]
    shown = done.text + repr(logs)
    assert not [s for s in secrets if s in shown]
    assert any(entry["event"] == "app registered" for entry in logs)
    # the conversion went to the GHES-style API path, unauthenticated
    (call,) = [r for r in gh.requests if "app-manifests" in r.path]
    assert call.path.startswith("/api/v3/app-manifests/") and "authorization" not in call.headers
    # the server now says to restart instead of offering the button again
    assert "Restart linkname-bot" in (await bot.get("/")).text


async def test_unknown_state_is_refused(
    bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path
) -> None:
    page = await bot.get("/setup/callback?code=abc123&state=forged")
    assert page.status_code == 400
    assert "Unknown or expired setup link" in page.text
    assert not [r for r in gh.requests if "app-manifests" in r.path]
    assert not (workdir / ".env").exists()


async def test_state_cannot_be_replayed(
    bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path
) -> None:
    done = await run_flow(bot, gh)
    assert done.status_code == 200
    conversions = gh.calls("POST /app-manifests/{code}/conversions")
    env = (workdir / ".env").read_text()
    # Reloading the success page shows it again; nothing is exchanged or written twice.
    again = await bot.get(done.request.url.path + "?" + done.request.url.query.decode())
    assert again.status_code == 200 and "expired" not in again.text
    assert "GitHub App registered" in again.text and "Install the App" in again.text
    assert gh.calls("POST /app-manifests/{code}/conversions") == conversions
    assert (workdir / ".env").read_text() == env
    # Another state (or a guessed one) is still refused.
    other = await bot.get(done.request.url.path + "?code=abc&state=guessed")
    assert other.status_code == 400


async def test_pages_have_one_title_and_no_external_assets(
    bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path
) -> None:
    for response in (await bot.get("/"), await run_flow(bot, gh), await bot.get("/")):
        text = response.text
        (title,) = re.findall(r"<title>(.*?)</title>", text)
        assert title.count("linkname-bot") == 1, title
        assert "<style>" in text and "<link" not in text and "<script" not in text
        assert " src=" not in text and "@import" not in text and "url(" not in text


async def test_expired_state_is_refused(gh: FakeGitHub, workdir: Path) -> None:
    settings = Settings(github_api_url=gh.url)
    flow = SetupFlow(SetupOptions.load(settings, {}, workdir / ".env"), states=StateStore(ttl=-1))
    app = Starlette(routes=flow.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        action, _ = register_form((await c.get("/")).text)
        (state,) = parse_qs(urlsplit(action).query)["state"]
        page = await c.get(f"/setup/callback?code=abc&state={state}")
    assert page.status_code == 400 and "expired" in page.text


async def test_bad_code_is_reported_and_nothing_written(
    bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path
) -> None:
    action, _ = register_form((await bot.get("/")).text)
    (state,) = parse_qs(urlsplit(action).query)["state"]
    page = await bot.get(f"/setup/callback?code=deadbeef&state={state}")
    assert page.status_code == 502
    assert "GitHub answered 404" in page.text
    assert not (workdir / ".env").exists()


async def test_configured_env_is_not_overwritten_by_the_flow(
    bot: httpx.AsyncClient, gh: FakeGitHub, workdir: Path
) -> None:
    env = workdir / ".env"
    env.write_text("APP_ID=7\n")
    index = await bot.get("/")
    assert "Register GitHub App" not in index.text and "SETUP_OVERWRITE_ENV=1" in index.text
    # a state issued before the file appeared is still refused at the callback
    env.unlink()
    action, _ = register_form((await bot.get("/")).text)
    (state,) = parse_qs(urlsplit(action).query)["state"]
    env.write_text("APP_ID=7\n")
    page = await bot.get(f"/setup/callback?code=abc123&state={state}")
    assert page.status_code == 409
    assert env.read_text() == "APP_ID=7\n"
    assert not [r for r in gh.requests if "app-manifests" in r.path]  # the code was not spent


async def test_overwrite_flag_replaces_credentials(gh: FakeGitHub, workdir: Path) -> None:
    env = workdir / ".env"
    env.write_text("APP_ID=7\nWEBHOOK_SECRET=old\nPRIVATE_KEY_PATH=/nope.pem\n")
    app = setup_app(gh, env, SETUP_OVERWRITE_ENV="1")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot.test"
    ) as bot:
        done = await run_flow(bot, gh)
    assert done.status_code == 200 and ".env.bak" in done.text
    assert load_settings({}, env_file=env).app_id == gh.app_id
    assert (workdir / ".env.bak").read_text().startswith("APP_ID=7\n")


async def test_server_wiring(workdir: Path) -> None:
    pem = AppKeys.shared().private_pem
    for settings, setup in [
        (Settings(), True),
        (Settings(app_id=1, private_key=pem, webhook_secret="s"), False),
    ]:
        app = build_app(settings, queue=open_queue("memory://"), stdlib=None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bot"
        ) as client:
            index = await client.get("/")
            callback = await client.get("/setup/callback?code=a&state=b")
        assert ("Register GitHub App" in index.text) is setup
        assert callback.status_code == (400 if setup else 404)


def test_no_secrets_in_repr() -> None:
    from bot.setup import RegisteredApp

    app = RegisteredApp(1, "s", "n", "https://x/apps/s", "PEM", "whs", "cid", "csec")
    assert not re.search(r"PEM|whs|csec", repr(app))
