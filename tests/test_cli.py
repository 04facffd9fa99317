"""``linkname-bot check``: the JSON contract, exit codes, ``--go`` and ``--platform``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.rules import family

U = 'package p\n\nimport _ "unsafe"\n\n'
CLEAN = U + "//go:linkname nt runtime.nanotime\nfunc nt() int64\n"
BROKEN = U + "//go:linkname nosuch runtime.x\n"
DIRECTIVE_KEYS = ["path", "line", "column", "local", "target", "kind", "object", "go", "platforms"]
FINDING_KEYS = [
    "path",
    "line",
    "column",
    "rule",
    "severity",
    "target",
    "go",
    "platforms",
    "message",
    "suggestion",
    "settings",
    "end_line",
    "end_column",
    "related",
    "fixes",
]


COMPILE_RULES = family("compile") | family("parse")


def compile_level(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The compile-level findings (repository-policy notices such as unknown-target aside)."""
    return [f for f in doc["findings"] if f["rule"] in COMPILE_RULES]


def module(tmp_path: Path, files: dict[str, str], go: str = "1.22") -> Path:
    (tmp_path / "go.mod").write_text(f"module example.com/m\n\ngo {go}\n")
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = check(capsys, "--format", "json", "--no-stdlib", *args)
    assert err == ""
    return code, json.loads(out)


def assert_contract(doc: dict[str, Any]) -> None:
    assert list(doc) == ["version", "go", "platforms", "directives", "findings"]
    assert doc["version"] == 1
    assert doc["go"] and all(isinstance(v, str) and v.startswith("1.") for v in doc["go"])
    assert doc["platforms"] and all(p.count("/") == 1 for p in doc["platforms"])
    for d in doc["directives"]:
        assert list(d) == DIRECTIVE_KEYS
        assert isinstance(d["path"], str) and isinstance(d["local"], str)
        assert isinstance(d["line"], int) and isinstance(d["column"], int)
        assert isinstance(d["target"], str)
        assert d["kind"] in ("push", "pull", "export", "receive")
        assert d["object"] in ("func", "var")
        assert set(d["go"]) <= set(doc["go"]) and set(d["platforms"]) <= set(doc["platforms"])
    for f in doc["findings"]:
        assert list(f) == FINDING_KEYS
        assert isinstance(f["line"], int) and isinstance(f["column"], int)
        assert isinstance(f["rule"], str) and isinstance(f["message"], str) and f["message"]
        assert f["severity"] in ("error", "warning", "notice")
        assert f["target"] is None or isinstance(f["target"], str)
        assert f["suggestion"] is None or isinstance(f["suggestion"], str)
        assert all(isinstance(s, str) and s for s in f["settings"])
        assert all(set(r) == {"path", "line", "column", "message"} for r in f["related"])
        assert all(set(x) == {"message", "edits"} and x["edits"] for x in f["fixes"])
        assert set(f["go"]) <= set(doc["go"]) and set(f["platforms"]) <= set(doc["platforms"])


def test_clean_module_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = module(tmp_path, {"a.go": CLEAN})
    code, doc = check_json(capsys, str(root))
    assert code == 0
    assert_contract(doc)
    assert doc["go"] == ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]  # from the go line
    assert doc["platforms"] == ["darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64"]
    [d] = doc["directives"]
    assert d == {
        "path": "a.go",
        "line": 5,
        "column": 1,
        "local": "nt",
        "target": "runtime.nanotime",
        "kind": "pull",
        "object": "func",
        "go": doc["go"],
        "platforms": doc["platforms"],
    }
    assert compile_level(doc) == []
    assert all(f["severity"] != "error" for f in doc["findings"])


def test_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = module(tmp_path, {"a.go": BROKEN})
    code, doc = check_json(capsys, "--go", "1.23", "--platform", "linux/amd64", str(root))
    assert code == 1
    assert_contract(doc)
    [f] = compile_level(doc)
    assert (f["path"], f["line"], f["column"], f["rule"], f["severity"]) == (
        "a.go",
        5,
        1,
        "unknown-local",
        "error",
    )
    assert (f["target"], f["go"], f["platforms"]) == ("runtime.x", ["1.23"], ["linux/amd64"])


def test_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = module(tmp_path, {"a.go": U + "// go:linkname f r.f\nfunc f() {}\n"})
    code, doc = check_json(capsys, str(root))
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in compile_level(doc)] == [
        ("ignored-directive", "warning")
    ]


def test_contract_holds_with_stdlib_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(
        tmp_path, {"a.go": CLEAN + "\n//go:linkname gc runtime.gcount\nfunc gc() int32\n"}
    )
    code, out, _ = check(capsys, "--format", "json", "--go", "1.22-1.23", str(root))
    assert code in (0, 1)
    assert_contract(json.loads(out))


@pytest.mark.parametrize(
    ("spec", "versions"),
    [
        ("1.23", ["1.23"]),
        ("go1.24", ["1.24"]),
        ("1.22-1.24", ["1.22", "1.23", "1.24"]),
        ("1.27,1.22", ["1.22", "1.27"]),
        ("1.23.4", ["1.23"]),
    ],
)
def test_go_spec(
    spec: str, versions: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = check_json(capsys, "--go", spec, str(module(tmp_path, {"a.go": CLEAN})))
    assert (code, doc["go"], doc["directives"][0]["go"]) == (0, versions, versions)


def test_platforms_and_per_platform_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(
        tmp_path,
        {
            "a.go": U + "//go:linkname nt runtime.nanotime\n",
            "x_linux.go": "package p\nfunc nt() int64\n",
        },
    )
    args = ["--go", "1.23", "--platform", "windows/amd64", "--platform", "linux/amd64", str(root)]
    code, doc = check_json(capsys, *args)
    assert code == 1
    assert doc["platforms"] == ["linux/amd64", "windows/amd64"]
    assert [(d["kind"], d["platforms"]) for d in doc["directives"]] == [("pull", ["linux/amd64"])]
    assert [(f["rule"], f["platforms"]) for f in compile_level(doc)] == [
        ("unknown-local", ["windows/amd64"])
    ]
    code, doc = check_json(capsys, "--go", "1.23", "--platform", "linux/arm64", str(root))
    assert (code, compile_level(doc)) == (0, [])


def test_named_file_reports_only_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(tmp_path, {"a.go": CLEAN, "b.go": U + "//go:linkname nosuch r.x\n"})
    code, doc = check_json(capsys, str(root / "a.go"))
    assert (code, [d["path"] for d in doc["directives"]]) == (0, ["a.go"])
    assert {f["path"] for f in doc["findings"]} <= {"a.go"}
    code, doc = check_json(capsys, str(root / "b.go"))
    assert (code, [f["path"] for f in compile_level(doc)]) == (1, ["b.go"])


def test_text_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = module(tmp_path, {"a.go": BROKEN})
    code, out, err = check(capsys, "--no-stdlib", "--go", "1.23", str(root))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith("a.go:5:1: error: //go:linkname must refer to declared function")
    assert lines[0].endswith("[unknown-local]")
    assert lines[-1] == "0 directive(s); 1 error(s), 0 warning(s), 0 notice(s)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--go", "1.x"], "not a Go 1.x version"),
        (["--go", "1.25-1.22"], "empty version range"),
        (["--platform", "linux"], "a platform is GOOS/GOARCH"),
        (["--format", "xml"], "xml"),
        (["--bogus"], "--bogus"),
        (["NOSUCH"], "no such file or directory"),
    ],
)
def test_usage_errors_exit_2_on_stderr(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(tmp_path, {"a.go": CLEAN})
    args = [str(root / "nosuch") if a == "NOSUCH" else a for a in args]
    code, out, err = check(capsys, *args, *([] if "NOSUCH" in args else [str(root)]))
    assert code == 2
    assert out == ""
    assert message in err
