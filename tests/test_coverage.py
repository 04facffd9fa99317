"""Every directive the compiler reads is listed: ports follow the files, versions outside the
window are explained, ports without standard-library facts get a notice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.analyse.engine import Report, Workspace, analyse
from bot.analyse.review import ReviewRequest, run_review
from bot.golang.ports import all_port_names, port_names
from bot.policy.config import parse_config
from bot.stdlib.loader import load_stdlib
from bot.testing.toolchains import go_env, goroot

U = 'package p\n\nimport _ "unsafe"\n\n'
GOMOD = "module example.com/m\n\ngo 1.21\n"
PULL = "//go:linkname nt runtime.nanotime\nfunc nt() int64\n"
DEFAULT = ("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64")


def run(files: dict[str, str], versions: tuple[int, ...] = (23,), **kw: object) -> Report:
    ws = Workspace({"go.mod": GOMOD.encode()} | {p: s.encode() for p, s in files.items()})
    return analyse(ws, versions, DEFAULT, **kw)  # type: ignore[arg-type]


def listed(report: Report) -> list[tuple[str, int, str, tuple[str, ...], tuple[str, ...]]]:
    return [(d.path, d.line, d.kind, d.go, d.platforms) for d in report.directives]


def test_file_for_another_os_is_judged_on_its_ports() -> None:
    report = run({"a_openbsd.go": U + PULL})
    openbsd = tuple(sorted(p for p in port_names(23) if p.startswith("openbsd/")))
    assert listed(report) == [("a_openbsd.go", 5, "pull", ("1.23",), openbsd)]
    assert report.platforms == tuple(sorted(DEFAULT + openbsd))


def test_build_constraint_on_a_port_outside_the_defaults() -> None:
    report = run({"aix.go": "//go:build aix\n\n" + U + PULL})
    assert listed(report) == [("aix.go", 7, "pull", ("1.23",), ("aix/ppc64",))]


def test_file_that_builds_on_a_default_platform_stays_on_the_defaults() -> None:
    report = run({"unix.go": "//go:build unix\n\n" + U + PULL})
    assert listed(report) == [
        ("unix.go", 7, "pull", ("1.23",), ("darwin/arm64", "linux/amd64", "linux/arm64"))
    ]
    assert report.platforms == DEFAULT


def test_declaration_in_a_sibling_is_found_on_the_widened_ports() -> None:
    files = {
        "decl.go": "package p\n\nfunc nt() int64\n",
        "a_freebsd.go": U + "//go:linkname nt runtime.nanotime\n",
    }
    report = run(files)
    assert [(d.kind, d.decl_path) for d in report.directives] == [("pull", "decl.go")]
    assert report.findings == []


def test_ports_exist_per_version() -> None:
    """windows/arm is a port up to Go 1.23 (go tool dist list)."""
    report = run({"a_windows_arm.go": U + PULL}, (23, 24, 25))
    assert listed(report) == [("a_windows_arm.go", 5, "pull", ("1.23",), ("windows/arm",))]


def test_file_for_a_port_gone_from_the_window_is_explained() -> None:
    report = run({"a_windows_arm.go": U + PULL}, (24, 25))
    assert listed(report) == [("a_windows_arm.go", 5, "pull", (), ())]
    assert report.findings[0].message == (
        "not checked: this file builds only on windows/arm, a port of Go < 1.24 "
        "(go tool dist list); the review covers Go 1.24–1.25"
    )


def test_contradictory_constraint_is_read_by_no_compiler() -> None:
    report = run({"never.go": "//go:build linux && windows\n\n" + U + PULL})
    assert (report.directives, report.findings) == ([], [])


@pytest.mark.parametrize(
    ("header", "described"),
    [
        ("//go:build !go1.21\n\n", "builds only with Go < 1.21 (`//go:build !go1.21`)"),
        (
            "// +build go1.12,!go1.14\n\n",
            "builds only with Go 1.12–1.13 (`//go:build go1.12 && !go1.14`)",
        ),
        ("//go:build go1.30\n\n", "builds only with Go ≥ 1.30 (`//go:build go1.30`)"),
        (
            "//go:build openbsd && !go1.20\n\n",
            "builds only with Go < 1.20 (`//go:build openbsd && !go1.20`)",
        ),
    ],
)
def test_file_outside_the_known_versions_is_listed_and_explained(
    header: str, described: str
) -> None:
    report = run({"old.go": header + U + PULL}, (21, 22, 23, 24, 25, 26, 27))
    line = header.count("\n") + 5
    assert listed(report) == [("old.go", line, "pull", (), ())]
    assert [(f.rule, f.severity.value, f.line, f.go) for f in report.findings] == [
        ("unchecked-directive", "notice", line, ())
    ]
    assert report.findings[0].message == (
        f"not checked: this file {described}; linkname-bot has facts for 1.21–1.27"
    )


def test_file_outside_a_narrower_window_names_the_window() -> None:
    report = run({"old.go": "//go:build !go1.23\n\n" + U + PULL}, (23, 24))
    assert listed(report) == [("old.go", 7, "pull", (), ())]
    assert report.findings[0].message.endswith(
        "builds only with Go < 1.23 (`//go:build !go1.23`); the review covers Go 1.23–1.24"
    )


def test_outside_the_window_the_local_is_looked_up_in_old_siblings() -> None:
    files = {
        "decl.go": "//go:build !go1.21\n\npackage p\n\nfunc nt() int64\n",
        "old.go": "//go:build !go1.21\n\n" + U + "//go:linkname nt runtime.nanotime\n",
        "new.go": "//go:build go1.21\n\n" + U + PULL,
    }
    report = run(files, (21, 22))
    assert [(d.path, d.kind, d.object, d.go) for d in report.directives] == [
        ("new.go", "pull", "func", ("1.21", "1.22")),
        ("old.go", "pull", "func", ()),
    ]


def test_ports_without_facts_get_a_notice_and_no_link_verdict() -> None:
    loaded = load_stdlib((23,))
    assert loaded is not None
    window = loaded[0]
    facts_ports = set(window[23].platforms)
    files = {
        "a_openbsd.go": U + "//go:linkname gc runtime.gcount\nfunc gc() int32\n\nvar n = gc()\n",
        "b.go": U + "//go:linkname gc2 runtime.gcount\nfunc gc2() int32\n\nvar n2 = gc2()\n",
    }
    report = run(files, stdlib=window)
    by_path = {(f.path, f.rule): f for f in report.findings}
    # linux etc.: the linker refuses the pull (1.23+), proven by the link oracle.
    assert by_path[("b.go", "invalid-reference")].severity.value == "error"
    # openbsd: the facts describe every port, so the link rules judge it there too.
    openbsd = {p for p in port_names(23) if p.startswith("openbsd/")}
    assert openbsd <= facts_ports
    refused = by_path[("a_openbsd.go", "invalid-reference")]
    assert refused.severity.value == "error" and set(refused.platforms) == openbsd
    assert ("a_openbsd.go", "unchecked-directive") not in by_path


def test_policy_platforms_all_means_every_port() -> None:
    policy = parse_config("platforms: all\n")
    assert policy.problems == [] and policy.platforms() == all_port_names()
    ws = Workspace({"go.mod": GOMOD.encode(), "a.go": (U + PULL).encode()})
    review = run_review(ReviewRequest(ws, "platforms: all\n", versions=(24,)))
    (d,) = review.report.directives
    assert d.platforms == tuple(sorted(port_names(24)))
    assert "windows/arm" not in d.platforms  # gone in 1.24


def _go_build(
    minor: int, files: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    go = goroot(minor) / "bin" / "go"
    return subprocess.run(
        [str(go), "build", "./..."],
        cwd=tmp_path,
        env=go_env(minor, tmp_path),
        capture_output=True,
        text=True,
    )


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
@pytest.mark.parametrize("decl", ["type g struct{}\n", "", "const g = 1\n"])
@pytest.mark.parametrize("go_line", [17, 18])
def test_inert_directive_against_the_toolchain(
    minor: int, decl: str, go_line: int, tmp_path: Path
) -> None:
    """Below go 1.18 the compiler reads and ignores a directive on a non-func/var; from 1.18 it
    fails. The analyzer lists it with a notice, or reports the compile error."""
    files = {
        "go.mod": f"module example.com/m\n\ngo 1.{go_line}\n",
        "p.go": U + "//go:linkname g runtime.g\n" + decl,
    }
    built = _go_build(minor, files, tmp_path)
    ws = Workspace({p: t.encode() for p, t in files.items()})
    report = analyse(ws, (minor,), ("linux/amd64",))
    rules = [(f.rule, f.severity.value) for f in report.findings]
    if go_line < 18:
        assert built.returncode == 0, built.stderr
        assert rules == [("inert-directive", "notice")]
        assert [(d.local, d.kind) for d in report.directives] == [("g", "unknown")]
    else:
        assert "must refer to declared function or variable" in built.stderr
        assert rules == [("unknown-local", "error")]


def test_review_comment_scope_of_a_directive_outside_the_window() -> None:
    from bot.report.groups import fact_text, group_findings

    report = run({"old.go": "//go:build !go1.21\n\n" + U + PULL}, (21, 22))
    (group,) = group_findings(report.findings)
    (fact,) = group.facts
    text = fact_text(fact, report.platforms)
    assert "all Go versions" not in text and "Go < 1.21" in text


def test_facts_for_more_ports_are_used_as_soon_as_they_exist() -> None:
    """The review asks the loaded facts which platforms they describe: a port the facts cover
    gets the link rules, one they lack (openbsd/arm64 here, taken out) a notice instead."""
    import copy

    loaded = load_stdlib((23,))
    assert loaded is not None
    facts = copy.copy(loaded[0][23])
    assert "openbsd/amd64" in facts.platforms  # the facts describe every port
    # Masks decode against the facts' own port order; only the advertised list shrinks.
    facts.platforms = tuple(p for p in facts.platforms if p != "openbsd/arm64")
    facts._cache = {}
    files = {"a_openbsd.go": U + "//go:linkname gc runtime.gcount\nfunc gc() int32\n"}
    report = run(files, stdlib={23: facts})
    judged = {p for f in report.findings if f.rule != "unchecked-directive" for p in f.platforms}
    (notice,) = [f for f in report.findings if f.rule == "unchecked-directive"]
    assert "openbsd/amd64" in judged
    assert "openbsd/amd64" not in notice.platforms and "openbsd/arm64" in notice.platforms


def test_check_run_lists_the_ports_analysed_and_no_version_for_old_files() -> None:
    from bot.report.overview import matrix_sections, overview_sections

    files = {
        "go.mod": GOMOD,
        "old.go": "//go:build !go1.21\n\n" + U + PULL,
        "a_openbsd.go": U + PULL.replace("nt", "nt2"),
    }
    ws = Workspace({p: t.encode() for p, t in files.items()})
    review = run_review(ReviewRequest(ws, versions=(22, 23)))
    report = review.report
    sections = overview_sections(
        report.versions, report.platforms, report.directives, report.findings
    )
    headline = sections[0].head
    assert "openbsd/amd64" in headline and "× 10 platforms" in headline
    window = ("1.22", "1.23")
    rows = [r for s in matrix_sections(window, report.directives, report.findings) for r in s.rows]
    assert not any("old.go" in r for r in rows)  # a notice only: not a row claiming ✓
