"""The shared review pipeline: registry rules, suggestions that round-trip, policy, scope."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest, run_review
from bot.findings import Finding, Severity
from bot.report import github as github_report
from bot.report import sarif as sarif_report
from bot.scope.diff import from_contents
from bot.scope.scope import file_scope
from bot.stdlib.loader import load_stdlib
from tests.gofixtures import PULLS, workspace

SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"


def review(files: dict[str, str], config: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return run_review(ReviewRequest(workspace(files), config, **kw))  # type: ignore[arg-type]


def rules_at(r, rule: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [f.line for f in r.report.findings if f.rule == rule]


def test_unknown_target_is_a_notice_without_registry_and_carries_an_entry() -> None:
    r = review({"p.go": PULLS})
    found = [f for f in r.report.findings if f.rule == "unknown-target"]
    assert [(f.line, f.severity, f.target) for f in found] == [
        (5, Severity.NOTICE, "runtime.nanotime"),
        (8, Severity.NOTICE, "runtime.gcount"),
    ]
    assert found[0].suggestion is not None
    assert "local: func() int64" in found[0].suggestion
    assert r.conclusion == "success"


def test_suggestions_round_trip() -> None:
    r = review({"p.go": PULLS})
    entries = [f.suggestion for f in r.report.findings if f.rule == "unknown-target"]
    config = "known:\n" + "\n".join(textwrap.indent(e or "", "  ") for e in entries) + "\n"
    again = review({"p.go": PULLS}, config)
    assert again.policy.problems == []
    assert rules_at(again, "unknown-target") == []
    assert rules_at(again, "registry-mismatch") == []


def test_unknown_target_is_a_warning_once_a_registry_exists() -> None:
    r = review({"p.go": PULLS}, "known:\n  - target: runtime.nanotime\n")
    found = [f for f in r.report.findings if f.rule == "unknown-target"]
    assert [(f.line, f.severity) for f in found] == [(8, Severity.WARNING)]
    assert r.conclusion == "neutral"


def test_entry_go_range_limits_what_it_covers() -> None:
    config = "known:\n  - target: runtime.nanotime\n    go: '1.21-1.23'\n"
    r = review({"p.go": PULLS}, config, versions=(21, 22, 23, 24))
    found = [f for f in r.report.findings if f.rule == "unknown-target" and f.line == 5]
    assert [f.go for f in found] == [("1.24",)]


def test_registry_mismatch() -> None:
    config = "known:\n  - target: runtime.nanotime\n    local: func() uint64\n"
    r = review({"p.go": PULLS}, config)
    (f,) = [f for f in r.report.findings if f.rule == "registry-mismatch"]
    assert f.line == 5 and "func() uint64" in f.message and "func() int64" in f.message


def test_handshake_incomplete_inside_the_repository() -> None:
    files = {
        "a/a.go": 'package a\n\nimport _ "unsafe"\n\n//go:linkname hidden example.com/m/b.hidden\n'
        "func hidden() int\n",
        "b/b.go": "package b\n\nfunc hidden() int { return 1 }\n",
        "c/c.go": 'package c\n\nimport _ "unsafe"\n\n//go:linkname ok example.com/m/d.ok\n'
        "func ok() int\n",
        "d/d.go": 'package d\n\nimport _ "unsafe"\n\n//go:linkname ok\n'
        "func ok() int { return 2 }\n",
    }
    r = review(files)
    found = [(f.path, f.line) for f in r.report.findings if f.rule == "handshake-incomplete"]
    assert found == [("a/a.go", 5)]


def test_suppression_with_and_without_reason() -> None:
    src = PULLS.replace(
        "//go:linkname gcount", "//linkname:ignore unknown-target\n//go:linkname gcount"
    ).replace(
        "//go:linkname nanotime",
        "//linkname:ignore unknown-target ships with its own check\n//go:linkname nanotime",
    )
    r = review({"p.go": src})
    assert rules_at(r, "unknown-target") == []
    assert rules_at(r, "unjustified-suppression") == [9]


def test_severity_override_and_off_but_never_below_error_for_build_failures() -> None:
    src = PULLS.replace('import _ "unsafe"\n', "")
    config = "severity: {unknown-target: warning, missing-unsafe-import: notice}\n"
    r = review({"p.go": src}, config)
    sev = {(f.rule, f.line): f.severity for f in r.report.findings}
    assert sev[("missing-unsafe-import", 4)] is Severity.ERROR
    off = review({"p.go": PULLS}, "severity: {unknown-target: off}\n")
    assert rules_at(off, "unknown-target") == []


def test_ignore_globs_and_fail_on() -> None:
    r = review(
        {"gen/p.go": PULLS, "q.go": PULLS.replace("package m", "package m")},
        "ignore: ['gen/*']\nfail_on: [notice]\n",
    )
    assert {f.path for f in r.report.findings} == {"q.go"}
    assert r.conclusion == "failure"


def test_config_error_is_a_finding_and_the_review_goes_on() -> None:
    r = review({"p.go": PULLS}, "go: [1.22\n")
    assert [(f.path, f.line, f.rule) for f in r.report.findings if f.rule == "config-error"] == [
        (".github/linkname-bot.yml", 2, "config-error")
    ]
    assert rules_at(r, "unknown-target") == [5, 8]


def test_scope_keeps_only_touched_directives() -> None:
    base = PULLS
    head = PULLS.replace("func gcount() int32", "func gcount() uint32")  # signature line only
    scopes = {"p.go": file_scope(from_contents("p.go", base, head), head, base)}
    r = run_review(ReviewRequest(workspace({"p.go": head}), scopes=scopes))
    assert [d.line for d in r.report.directives] == [8]
    assert rules_at(r, "unknown-target") == [8]


def test_a_change_that_first_refers_to_a_refused_pull_brings_its_error_in_scope() -> None:
    pull = 'package m\n\nimport _ "unsafe"\n\n'
    pull += "//go:linkname gcount runtime.gcount\nfunc gcount() int32\n"
    base = "package m\n\nfunc one() int { return 1 }\n"

    def changed(head: str) -> list[Finding]:
        ws = workspace({"p.go": pull, "q.go": head}, go="1.23")
        scopes = {"q.go": file_scope(from_contents("q.go", base, head), head, base)}
        review = run_review(ReviewRequest(ws, scopes=scopes, versions=(23,)), load_stdlib)
        return review.report.findings

    # nothing refers to it: the whole tree links, and the change is elsewhere
    assert changed(base + "\nfunc two() int { return 2 }\n") == []
    # the first reference: the 1.23 linker now refuses the pull (only its errors come along)
    (error,) = changed(base + "\nfunc count() int32 { return gcount() }\n")
    assert (error.path, error.line, error.rule, error.severity) == (
        "p.go",
        5,
        "invalid-reference",
        Severity.ERROR,
    )
    assert error.message.endswith("(this change refers to `gcount` at q.go:5)")
    # without a diff the dormant pull is a warning
    r = run_review(ReviewRequest(workspace({"p.go": pull}, go="1.23"), versions=(23,)), load_stdlib)
    dormant = {f.rule: f.severity for f in r.report.findings if f.line == 5}
    assert dormant["invalid-reference"] is Severity.WARNING


@pytest.mark.parametrize("config", [None, "known:\n  - target: runtime.nanotime\n"])
def test_sarif_validates_against_the_official_schema(config: str | None) -> None:
    src = PULLS + "\n// go:linkname missed runtime.x\nfunc missed()\n"
    r = review({"p.go": src}, config)
    doc = json.loads(sarif_report.render(r.report))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    results = doc["runs"][0]["results"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert {res["ruleId"] for res in results} == {f.rule for f in r.report.findings}
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert rules[res["ruleIndex"]]["helpUri"].endswith(f"docs/rules/{res['ruleId']}.md")


def test_github_workflow_commands_escape_data() -> None:
    r = review({"p.go": PULLS})
    lines = github_report.render(r.report).splitlines()
    assert len(lines) == len({(f.path, f.line, f.rule) for f in r.report.findings})
    assert lines[0].startswith("::notice file=p.go,line=5,col=1,title=unknown-target (Go 1.")
    assert all("\n" not in line and "`" not in line for line in lines)


MOVING = """package m

import (
	"unsafe"
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname gcount runtime.gcount
func gcount() int32

//go:linkname fastrand runtime.fastrand
func fastrand() uint32

//go:linkname memhash32 runtime.memhash32
func memhash32(p unsafe.Pointer, h uintptr) uintptr

//go:linkname ncpu runtime.ncpu
var ncpu int32

//go:linkname typelinks reflect.typelinks
func typelinks() (sections []unsafe.Pointer, offset [][]int32)
"""


def test_suggestions_round_trip_with_standard_library_facts() -> None:
    from bot.stdlib.loader import load_stdlib

    first = run_review(ReviewRequest(workspace({"p.go": MOVING})), load_stdlib)
    unknown = [f for f in first.report.findings if f.rule == "unknown-target"]
    assert {f.target for f in unknown} >= {"runtime.nanotime", "runtime.fastrand"}
    entries = [f.suggestion or "" for f in unknown]
    assert all("note: standard library" in e for e in entries)
    config = "known:\n" + "\n".join(textwrap.indent(e, "  ") for e in entries) + "\n"
    again = run_review(ReviewRequest(workspace({"p.go": MOVING}), config), load_stdlib)
    assert again.policy.problems == []
    left = {f.rule for f in again.report.findings}
    assert not left & {"unknown-target", "registry-mismatch", "stale-registry-entry"}
    # What the linker refuses is still an error: the registry does not hide it.
    assert {f.rule for f in first.report.findings if f.severity is Severity.ERROR} == {
        f.rule for f in again.report.findings if f.severity is Severity.ERROR
    }


def test_text_output_links_every_rule_it_names() -> None:
    from bot.report import text as text_report

    r = review({"p.go": PULLS.replace('import _ "unsafe"\n', "")})
    out = text_report.render(r.report).splitlines()
    rules = {f.rule for f in r.report.findings}
    assert rules == {"missing-unsafe-import"}
    assert "[missing-unsafe-import]: " in "\n".join(out)
    links = [ln for ln in out if ln.startswith("[")]
    assert [ln.split("]")[0][1:] for ln in links] == sorted(rules)
    assert all(ln.endswith(f"docs/rules/{ln.split(']')[0][1:]}.md") for ln in links)
    assert out[-1].endswith("0 notice(s)")


def _apply(text: str, replacements: list[dict[str, Any]]) -> str:
    """Apply SARIF replacements made against ``text`` (last offset first)."""
    for rep in sorted(replacements, key=lambda r: -r["deletedRegion"]["charOffset"]):
        offset, length = rep["deletedRegion"]["charOffset"], rep["deletedRegion"]["charLength"]
        text = text[:offset] + rep["insertedContent"]["text"] + text[offset + length :]
    return text


@pytest.mark.parametrize(
    "config",
    [
        None,
        "# our policy\ngo: '1.21-1.27'\n",
        "known:\n  - target: runtime.other  # keep this comment\n    note: x\nfail_on: [error]\n",
        "known: []\n",
    ],
)
def test_sarif_fixes_insert_entries_that_round_trip(config: str | None) -> None:
    r = review({"p.go": PULLS}, config)
    doc = json.loads(sarif_report.render(r.report, config=(".github/linkname-bot.yml", config)))
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    results = [res for res in doc["runs"][0]["results"] if res["ruleId"] == "unknown-target"]
    assert len(results) == 2
    fixes = [fix for res in results for fix in res.get("fixes", [])]
    original = config or ""
    # A file with a known: block list gets one insertion per entry; otherwise inserting the
    # first entry writes the known: key, so one fix adds both.
    assert len(fixes) == (2 if config and "keep this comment" in config else 1)
    for fix in fixes:  # each fix alone, against the original file
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == ".github/linkname-bot.yml"
        again = review({"p.go": PULLS}, _apply(original, change["replacements"]))
        assert again.policy.problems == []
    # All fixes together compose: one known: key, every entry once, nothing left to add.
    every = [rep for fix in fixes for rep in fix["artifactChanges"][0]["replacements"]]
    fixed = _apply(original, every)
    if config and "keep this comment" in config:
        assert "# keep this comment" in fixed
    assert sum(1 for line in fixed.splitlines() if line.startswith("known:")) == 1
    again = review({"p.go": PULLS}, fixed)
    assert again.policy.problems == []
    assert not [f for f in again.report.findings if f.rule == "unknown-target"]


def test_stand_ins_are_warnings_and_the_registry_pair_covers_its_go_range() -> None:
    from bot.stdlib.loader import load_stdlib

    src = """package m

import "unsafe"

//go:linkname unsafe_New reflect.unsafe_New
func unsafe_New(t unsafe.Pointer) unsafe.Pointer

//go:linkname unsafe_NewArray reflect.unsafe_NewArray
func unsafe_NewArray(t uintptr, n int) unsafe.Pointer

//go:linkname nanotime runtime.nanotime
func nanotime() int32

var started = nanotime()
"""
    ws = workspace({"go.mod": "module example.com/m\n\ngo 1.23\n", "p.go": src})
    r = run_review(ReviewRequest(ws), load_stdlib)
    found = [f for f in r.report.findings if f.rule == "signature-mismatch"]
    # unsafe.Pointer for a typed pointer: the call works; uintptr: the GC cannot see it;
    # a 4-byte result for an 8-byte one: real drift.
    sev = {f.line: f.severity for f in found}
    assert sev == {5: Severity.WARNING, 8: Severity.WARNING, 11: Severity.ERROR}
    (stand_in,) = [f for f in found if f.line == 5]
    assert "unsafe.Pointer" in stand_in.message
    # A recorded pair silences the rule, only for the versions its go range covers.
    config = (
        "known:\n  - target: reflect.unsafe_New\n"
        "    local: func(unsafe.Pointer) unsafe.Pointer\n"
        "    remote: func(*internal/abi.Type) unsafe.Pointer\n"
        "    go: 1.23-1.25\n"
    )
    again = run_review(ReviewRequest(ws, config), load_stdlib)
    left = [f for f in again.report.findings if f.rule == "signature-mismatch" and f.line == 5]
    assert [f.go for f in left] == [("1.26", "1.27")]


def test_text_output_of_a_finding_without_versions_has_no_empty_scope() -> None:
    from bot.report import text as text_report

    r = review({"p.go": PULLS}, "go: [1.22\n")
    out = text_report.render(r.report).splitlines()
    (line,) = [ln for ln in out if ln.endswith("[config-error]")]
    assert line.startswith(".github/linkname-bot.yml:2:1: error: invalid YAML")
    assert "(Go" not in line and line.endswith("could not be read [config-error]")


def test_suggested_entries_say_what_the_symbol_is_not_who_else_pulls_it() -> None:
    ws = Workspace(
        {
            "go.mod": b"module example.com/m\n\ngo 1.23\n",
            "a.go": b'package a\n\nimport _ "unsafe"\n\n'
            b"//go:linkname memhash32 runtime.memhash32\n"
            b"func memhash32(p unsafe.Pointer, h uintptr) uintptr\n",
        }
    )
    review = run_review(ReviewRequest(ws, versions=(23, 24)), load_stdlib)
    (f,) = [f for f in review.report.findings if f.rule == "unknown-target"]
    assert f.suggestion is not None and "note: standard library" in f.suggestion
    assert "shame" not in f.suggestion and "parquet" not in f.suggestion


def test_no_entry_is_offered_for_a_directive_with_an_error() -> None:
    ws = Workspace(
        {
            "go.mod": b"module example.com/m\n\ngo 1.22\n",
            "a.go": b'package a\n\nimport _ "unsafe"\n\n'
            b"//go:linkname gcount runtime.gcount\nfunc gcount() int32\n\n"
            b"func count() int32 { return gcount() }\n",
        }
    )
    review = run_review(ReviewRequest(ws, versions=(22, 23)), load_stdlib)
    rules = {f.rule: f for f in review.report.findings}
    assert rules["invalid-reference"].go == ("1.23",)
    unknown = rules["unknown-target"]
    assert unknown.go == ("1.22",) and not unknown.fixes
    assert "no entry is suggested while this directive has an error" in unknown.message
    assert "add the entry below" not in unknown.message
