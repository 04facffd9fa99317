"""Setup mode in a real headless Chromium: register the App with the fake GitHub, get a .env.

Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`) and Playwright for Python
(`pip install playwright`; its own browser download is not used). Skipped without either.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from bot.queue import open_queue
from bot.service.server import build_app
from bot.settings import load_settings, read_env_file
from bot.testing.fakegithub import FakeGitHub
from bot.testing.fakegithub.routes_manifest import manifest_flow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SETUP_ENV = ("PUBLIC_URL", "GITHUB_WEB_URL", "ADD_REGISTRY_BUTTON", "SETUP_OVERWRITE_ENV")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"{CHROMIUM} not found: apt-get install -y chromium",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the server writes ./.env, as `linkname-bot serve` does
    for name in (*SETUP_ENV, "APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def bot_url(gh: FakeGitHub, workdir: Path) -> Iterator[str]:
    """The App as `linkname-bot serve` runs it, in setup mode, under uvicorn on 127.0.0.1.

    GITHUB_API_URL is the fake's GHES-style `/api/v3`, so the setup page derives the web URL.
    """
    settings = load_settings({"GITHUB_API_URL": f"{gh.url}/api/v3"}, env_file=workdir / ".env")
    assert not settings.configured
    app = build_app(settings, queue=open_queue("memory://"), stdlib=None)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="bot", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the App did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_register_app_in_a_browser(bot_url: str, gh: FakeGitHub, workdir: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(bot_url + "/")
            assert "setup mode" in page.content()
            page.get_by_role("button", name="Register GitHub App").click()

            # the fake GitHub's "new App" page shows what it received
            page.wait_for_url(f"{gh.url}/settings/apps/new?state=*")
            shown = json.loads(page.locator("#manifest").inner_text())
            assert shown["hook_attributes"]["url"] == f"{bot_url}/api/github/webhooks"
            assert shown["redirect_url"] == f"{bot_url}/setup/callback"
            assert shown["default_permissions"]["contents"] == "read"
            page.get_by_role("button", name="Create GitHub App").click()

            # back at the App: the callback exchanged the code and wrote .env
            page.wait_for_url(f"{bot_url}/setup/callback?*")
            assert page.locator("h1").inner_text() == "GitHub App registered"
            install = page.locator("#install")
            install.click()
            page.wait_for_url(f"{gh.url}/apps/linkname-bot/installations/new")
        finally:
            browser.close()

    flow = manifest_flow(gh)
    (issued,) = flow.issued
    (received,) = flow.received
    assert received == shown and flow.states[0]  # the form carried a state
    env = workdir / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    settings = load_settings({}, env_file=env)  # a fresh read, as a restarted server does
    assert settings.configured
    assert settings.app_id == issued["id"]
    assert settings.private_key == issued["pem"]
    assert settings.webhook_secret == issued["webhook_secret"]
    values = read_env_file(env)
    assert values["GITHUB_CLIENT_ID"] == issued["client_id"]
    assert values["GITHUB_CLIENT_SECRET"] == issued["client_secret"]
