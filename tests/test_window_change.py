"""A go.mod whose go/toolchain line moves: windows, verdicts before and after, the check run.

`runtime.pprof_makeProfStack` and `runtime.setCrashFD` exist from Go 1.23 and are marked there
(``linkname-bot explain``): pulled by a module whose window starts at 1.21 they fail to link on
1.21–1.22 (``undefined-target``, proven by tests/test_oracle_link.py's removed/added cases).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.analyse.window_change import (
    GoModChange,
    lines_changed,
    module_window,
    module_workspace,
    review_with_window_changes,
)
from bot.findings import Severity
from bot.golang.gomod import parse_gomod
from bot.policy.config import parse_policy
from bot.publish.checkrun import render_check_run
from bot.stdlib.loader import load_stdlib
from bot.testing.toolchains import go_env

GO_121 = "module example.com/w\n\ngo 1.21\n"
GO_123 = "module example.com/w\n\ngo 1.23\n"
PULLS = b"""package a

import _ "unsafe"

//go:linkname makeProfStack runtime.pprof_makeProfStack
func makeProfStack() []uintptr

//go:linkname setCrashFD runtime.setCrashFD
func setCrashFD(fd uintptr) uintptr

func use() { _, _ = makeProfStack, setCrashFD }
"""
STABLE = b"""package b

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

func use() { _ = nanotime }
"""


def window(text: str) -> tuple[int, ...]:
    return module_window(parse_gomod(text))


def test_window_floor_is_go_line_raised_by_toolchain() -> None:
    assert window(GO_121) == (21, 22, 23, 24, 25, 26, 27)
    assert window(GO_121 + "toolchain go1.23.4\n") == (23, 24, 25, 26, 27)
    assert window(GO_123 + "toolchain go1.22.1\n") == (23, 24, 25, 26, 27)
    assert window("module x\n\ngo 1.16\n") == (21, 22, 23, 24, 25, 26, 27)
    assert window("module x\n\ngo 1.21\ntoolchain default\n") == window(GO_121)
    assert module_window(None) == (21, 22, 23, 24, 25, 26, 27)


def test_only_go_and_toolchain_lines_count_as_a_change() -> None:
    require = GO_121 + "\nrequire golang.org/x/sys v0.20.0\n"
    assert not lines_changed(GoModChange("go.mod", GO_121, require))
    assert not lines_changed(GoModChange("go.mod", GO_121, GO_121 + "// go 1.25\n"))
    assert lines_changed(GoModChange("go.mod", GO_121, GO_123))
    assert lines_changed(GoModChange("go.mod", GO_121, GO_121 + "toolchain go1.24.0\n"))
    assert lines_changed(GoModChange("sub/go.mod", None, GO_123))  # a new module
    assert not lines_changed(GoModChange("go.mod", GO_121, None))


def request(gomod: str, *, policy: str | None = None, **more: bytes) -> ReviewRequest:
    files = {"go.mod": gomod.encode(), "a/a.go": PULLS, "b/b.go": STABLE}
    files |= {path.replace("__", "/"): data for path, data in more.items()}
    return ReviewRequest(
        Workspace(files),
        config_text=policy,
        policy=parse_policy(policy, ".github/linkname-bot.yml"),
        scopes={},  # a go.mod-only change: no Go line in scope
        full_tree=False,
    )


def test_raising_the_go_line_clears_errors_of_the_old_versions() -> None:
    change = GoModChange("go.mod", GO_121, GO_123)
    review = review_with_window_changes(_with(request(GO_123), change), load_stdlib)
    (w,) = review.window_changes
    assert (w.base_window[0], w.head_window[0]) == (21, 23)
    assert (w.base_lines, w.head_lines) == ("go 1.21", "go 1.23")
    assert w.directives == 3
    assert [(c.path, c.line) for c in w.changes] == [("a/a.go", 5), ("a/a.go", 8)]
    for c in w.changes:
        assert c.before.severity is Severity.ERROR
        assert c.before.rules == ("undefined-target",)
        assert c.before.failing == ("1.21", "1.22")
        assert c.after.severity is Severity.NOTICE and not c.worse
    assert review.conclusion == "success"

    rendered = render_check_run(review, head_sha="0123456789abcdef")
    assert rendered.title == "The Go window changed: 2 directives with a new verdict"
    assert "`go.mod` changed the Go window**: go 1.21 → go 1.23" in rendered.summary
    assert "| `a/a.go:5` `//go:linkname makeProfStack runtime.pprof_makeProfStack` |" in (
        rendered.summary
    )
    assert "error: undefined-target (fails on Go 1.21–1.22)" in rendered.summary


def test_lowering_the_floor_fails_the_review() -> None:
    change = GoModChange("go.mod", GO_121 + "toolchain go1.23.4\n", GO_121)
    review = review_with_window_changes(_with(request(GO_121), change), load_stdlib)
    (w,) = review.window_changes
    assert [c.worse for c in w.changes] == [True, True]
    assert all(c.after.failing == ("1.21", "1.22") for c in w.changes)
    assert review.conclusion == "failure"
    rendered = render_check_run(review, head_sha="0123456789abcdef")
    assert rendered.conclusion == "failure"
    assert "go 1.21, toolchain go1.23.4 → go 1.21" in rendered.summary
    assert "✗ error: undefined-target" in rendered.summary


def test_a_policy_that_names_the_versions_pins_the_window() -> None:
    policy = "go: 1.23-1.27\n"
    change = GoModChange("go.mod", GO_121, GO_123)
    review = review_with_window_changes(_with(request(GO_123, policy=policy), change), None)
    (w,) = review.window_changes
    assert w.pinned and w.changes == ()
    rendered = render_check_run(review, head_sha="0123456789abcdef")
    assert "The policy names the Go versions" in rendered.summary


def test_only_the_module_of_the_go_mod_is_judged() -> None:
    nested = {"tools__go.mod": b"module example.com/w/tools\n\ngo 1.21\n", "tools__t.go": PULLS}
    ws = request(GO_123, **nested).workspace
    mine = module_workspace(ws, "", GO_121)
    assert set(mine.files) == {"go.mod", "a/a.go", "b/b.go"}
    assert mine.files["go.mod"] == GO_121.encode()
    sub = module_workspace(ws, "tools", None)
    assert set(sub.files) == {"tools/t.go"}


def test_no_change_without_a_moved_line() -> None:
    review = review_with_window_changes(request(GO_123), load_stdlib)
    assert review.window_changes == ()
    assert render_check_run(review, head_sha="0123456789abcdef").title.startswith("No ")


def _with(req: ReviewRequest, change: GoModChange) -> ReviewRequest:
    return replace(req, gomod_changes=(change,))


@pytest.mark.toolchain
def test_toolchain_line_hands_older_go_over_to_the_named_toolchain(tmp_path: Path) -> None:
    """Why the toolchain line raises the floor: with ``GOTOOLCHAIN=auto`` (the default) Go
    1.22 does not build a ``toolchain go1.23.4`` module itself, it switches (here offline: the
    download fails); 1.23.9 builds it. ``GOTOOLCHAIN=local`` 1.22 builds it (a user's choice)."""
    (tmp_path / "go.mod").write_text("module example.com/tc\n\ngo 1.21\n\ntoolchain go1.23.4\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")

    def build(minor: int, mode: str) -> subprocess.CompletedProcess[str]:
        env = go_env(minor, tmp_path) | {"GOTOOLCHAIN": mode}
        argv = ["go", "build", "-o", os.devnull, "."]
        return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)

    switched = build(22, "auto")
    assert switched.returncode != 0 and "go1.23.4" in switched.stderr
    assert build(23, "auto").returncode == 0
    assert build(22, "local").returncode == 0
    assert module_window(parse_gomod((tmp_path / "go.mod").read_text()))[0] == 23
