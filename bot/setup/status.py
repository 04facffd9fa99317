"""The status page of a configured App: its name with links to its GitHub settings and its
installation page, the queue's depth and the last reviews. Pure rendering; the server passes
what it knows (``None`` where it could not find out)."""

from __future__ import annotations

import html
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from bot.github.app_gateway import AppInfo

MAX_RECENT = 20


@dataclass(frozen=True)
class ReviewRecord:
    """One job the worker finished."""

    finished: float  # epoch seconds
    kind: str
    repository: str
    pull: int | None
    outcome: str  # "ok" or "error"


class RecentReviews:
    """The last ``size`` jobs, newest first (in memory: a restart starts the list again)."""

    def __init__(self, size: int = MAX_RECENT) -> None:
        self._items: deque[ReviewRecord] = deque(maxlen=size)

    def add(self, record: ReviewRecord) -> None:
        self._items.appendleft(record)

    def items(self) -> list[ReviewRecord]:
        return list(self._items)


def settings_url(app: AppInfo, web_url: str) -> str:
    """Where the App's owner edits it on GitHub."""
    base = web_url.rstrip("/")
    if app.owner_is_org and app.owner:
        return f"{base}/organizations/{app.owner}/settings/apps/{app.slug}"
    return f"{base}/settings/apps/{app.slug}"


def install_url(app: AppInfo) -> str:
    return f"{app.html_url.rstrip('/')}/installations/new"


def _ago(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    return f"{s // 3600} h ago"


def status_body(
    *,
    app: AppInfo | None,
    app_id: int | None,
    web_url: str,
    webhook_path: str,
    depth: int | None,
    oldest_age: float | None,
    recent: Sequence[ReviewRecord],
    now: float | None = None,
) -> str:
    """The page body (HTML)."""
    now = time.time() if now is None else now
    e = html.escape
    if app is not None:
        head = (
            f"<p>This server runs the GitHub App <b id='app-name'>{e(app.name)}</b> "
            f"(id {app_id}). <a id='settings' href='{e(settings_url(app, web_url))}'>Settings"
            f"</a> · <a id='install' href='{e(install_url(app))}'>Install on repositories</a>"
            f" · <a href='{e(app.html_url)}'>Public page</a></p>"
        )
    else:
        head = (
            f"<p>This server runs GitHub App id {app_id}. Its name could not be read from "
            "GitHub just now (see the logs).</p>"
        )
    head += f"<p class='muted'>Webhooks go to <code>{e(webhook_path)}</code>.</p>"
    if depth is None:
        queue = "<p class='bad'>The queue could not be read.</p>"
    else:
        waiting = f"{depth} job{'s' if depth != 1 else ''} waiting"
        if oldest_age:
            waiting += f", the oldest for {int(oldest_age)} s"
        queue = f"<p id='queue'>{waiting}.</p>"
    if recent:
        rows = "".join(
            f"<tr><td>{e(_ago(now - r.finished))}</td><td>{e(r.repository)}</td>"
            f"<td>{f'#{r.pull}' if r.pull is not None else ''}</td><td>{e(r.kind)}</td>"
            f"<td class='{'ok' if r.outcome == 'ok' else 'bad'}'>{e(r.outcome)}</td></tr>"
            for r in recent
        )
        reviews = (
            "<table id='recent'><thead><tr><th>When</th><th>Repository</th><th>Pull</th>"
            f"<th>Job</th><th>Outcome</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        reviews = "<p class='muted'>No review since this server started.</p>"
    return f"{head}<h2>Queue</h2>{queue}<h2>Last reviews</h2>{reviews}"
