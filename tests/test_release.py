"""What a new release breaks (pure), the release issue's text, and the settings and manifest
the re-check needs. The facts: `runtime.memhash32` is refused from Go 1.27 on, `runtime.gcount`
from 1.23 on (``linkname-bot explain``; tests/test_oracle_link.py builds such pulls)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace
from bot.analyse.release import issue_title, new_version_breaks
from bot.analyse.review import ReviewRequest, run_review
from bot.cli import main
from bot.publish.release_issue import marker, render_issue, render_resolved
from bot.queue import open_queue
from bot.service.recheck import InstallationPacer
from bot.settings import SettingsError, load_settings
from bot.setup.manifest import fill_manifest, load_manifest
from bot.stdlib.loader import load_stdlib
from bot.testing.fakegithub import FakeGitHub

SOURCE = b"""package a

import "unsafe"

//go:linkname memhash32 runtime.memhash32
func memhash32(p unsafe.Pointer, h uintptr) uintptr

//go:linkname gcount runtime.gcount
func gcount() int32

func use() { _, _ = memhash32, gcount }
"""


def review(versions: tuple[int, ...]) -> ReviewRequest:
    files = {"go.mod": b"module example.com/w\n\ngo 1.23\n", "a/a.go": SOURCE}
    return ReviewRequest(Workspace(files), versions=versions)


def test_only_directives_that_build_on_every_older_version_are_breaks() -> None:
    report = run_review(review((23, 24, 25, 26, 27)), load_stdlib).report
    (brk,) = new_version_breaks(report, 27)
    assert (brk.path, brk.line, brk.target) == ("a/a.go", 5, "runtime.memhash32")
    assert brk.rules == ("invalid-reference",)
    assert new_version_breaks(report, 26) == []  # gcount fails on 1.23-1.27: not news
    # Judged on 1.27 alone, gcount's failure looks new too: the window must hold old versions.
    alone = run_review(review((27,)), load_stdlib).report
    assert [b.target for b in new_version_breaks(alone, 27)] == [
        "runtime.memhash32",
        "runtime.gcount",
    ]


def test_issue_title_body_and_marker() -> None:
    report = run_review(review((23, 24, 25, 26, 27)), load_stdlib).report
    breaks = new_version_breaks(report, 27)
    title, body = render_issue(27, breaks, branch="main", sha="abc1234def")
    assert title == issue_title(27, breaks) == "Go 1.27 refuses 1 linkname pull"
    assert body.startswith(marker(27)) and marker(27) == (
        "<!-- linkname-bot:release-issue go1.27 -->"
    )
    assert "| `a/a.go:5` | `//go:linkname memhash32 runtime.memhash32` |" in body
    assert "invalid reference to runtime.memhash32" in body
    assert "`//go:build !go1.27`" in body and "-checklinkname=0" in body
    assert marker(27) in render_resolved(27, branch="main", sha="abc")


def test_settings_admin_token_and_release_issues() -> None:
    env = {"ADMIN_TOKEN": "0123456789abcdef0123", "RELEASE_ISSUES": "1"}
    settings = load_settings(env, env_file=None)
    assert settings.admin_token == "0123456789abcdef0123" and settings.release_issues
    assert "0123456789abcdef0123" not in repr(settings)
    assert load_settings({}, env_file=None).admin_token is None
    with pytest.raises(SettingsError, match="ADMIN_TOKEN"):
        load_settings({"ADMIN_TOKEN": "short"}, env_file=None)
    with pytest.raises(SettingsError, match="RELEASE_ISSUES"):
        load_settings({"RELEASE_ISSUES": "maybe"}, env_file=None)


def test_manifest_asks_for_issues_only_when_enabled() -> None:
    template = load_manifest()
    assert "issues" not in template["default_permissions"]
    plain = fill_manifest(template, "https://bot.example.com")
    assert "issues" not in plain["default_permissions"]
    raised = fill_manifest(template, "https://bot.example.com", release_issues=True)
    assert raised["default_permissions"]["issues"] == "write"
    assert raised["default_permissions"]["contents"] == "read"


def test_cli_recheck_installations_queues_one_job_per_repository(
    gh: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("acme/one", "acme/two", "globex/three"):
        gh.add_repo(name, installation_id=2 if name.startswith("globex") else 1)
    db = tmp_path / "q.db"
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "APP_ID": str(gh.app_id),
        "PRIVATE_KEY": gh.private_key,
        "WEBHOOK_SECRET": "s",
        "GITHUB_API_URL": gh.url,
        "QUEUE_URL": f"sqlite:///{db}",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["recheck-installations", "--go", "1.27"]) == 0
    out = capsys.readouterr().out
    assert "queued 3 re-check jobs for Go 1.27: 3 repositories in 2 installations" in out
    assert main(["recheck-installations", "--go", "1.99"]) == 2
    assert "no standard-library facts for Go 1.99" in capsys.readouterr().err

    async def depth() -> int:
        queue = open_queue(f"sqlite:///{db}")
        try:
            return await queue.depth()
        finally:
            await queue.close()

    assert asyncio.run(depth()) == 3


async def test_rechecks_of_one_installation_are_spaced() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = InstallationPacer(8.0, clock=lambda: now[0], sleep=sleep)
    for installation in (1, 1, 2, 1):
        await pacer.wait(installation)
    assert slept == [8.0, 8.0]  # the second and third start of installation 1
    assert now[0] == 16.0
