"""The status page of a configured App, end to end on the fake GitHub: the App's name with
links to its settings and installation page, the queue's depth, the last reviews."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx

from bot.github import GitHubApp
from bot.queue import open_queue
from bot.service.server import build_app
from bot.settings import Settings
from bot.testing.fakegithub import FakeGitHub, Repo
from bot.webhook.app import WEBHOOK_PATH
from bot.webhook.signature import sign
from tests import test_e2e_review as _e2e
from tests.test_e2e_review import NEW_FILE, SECRET, pull_request_event

github = _e2e.github
repo = _e2e.repo


async def test_status_page_names_the_app_links_it_and_lists_reviews(
    gh: FakeGitHub, repo: Repo, github: GitHubApp
) -> None:
    settings = Settings(
        app_id=gh.app_id,
        private_key=gh.private_key,
        webhook_secret=SECRET,
        github_api_url=gh.url,
        docs_url="https://docs.example/linkname/",
    )
    app = build_app(
        settings,
        queue=open_queue("memory://"),
        github=github,
        stdlib=None,
        poll_interval=0.02,
        recovery_interval=0,
    )
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    body = json.dumps(pull_request_event(repo, pull, "opened")).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": sign(SECRET.encode(), body),
    }
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as http,
    ):
        before = (await http.get("/")).text
        assert "No review since this server started." in before
        assert (await http.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 202
        for _ in range(250):
            page = (await http.get("/")).text
            if "#7" in page:
                break
            await asyncio.sleep(0.02)
        health = await http.get("/healthz")

    assert health.status_code == 200 and health.json()["private_key"] == "ok"
    (title,) = re.findall(r"<title>(.*?)</title>", page)
    assert title == "Status · linkname-bot"
    assert f"<b id='app-name'>{gh.app_slug}</b>" in page
    (settings_link,) = re.findall(r"id='settings' href='([^']+)'", page)
    assert settings_link.endswith(f"/organizations/acme/settings/apps/{gh.app_slug}")
    (install,) = re.findall(r"id='install' href='([^']+)'", page)
    assert install.endswith(f"/apps/{gh.app_slug}/installations/new")
    assert re.search(r"<p id='queue'>\d+ jobs? waiting", page)
    assert "<td>acme/widgets</td><td>#7</td><td>review</td><td class='ok'>ok</td>" in page
    assert "<link" not in page and " src=" not in page
    # The review's rule links point at DOCS_URL.
    (run,) = [r for r in repo.check_runs.values() if r["head_sha"] == pull.head_sha]
    assert "https://docs.example/linkname/rules/unknown-target.md" in run["output"]["summary"]
