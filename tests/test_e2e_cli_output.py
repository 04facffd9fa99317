"""``linkname-bot check`` as a user sees it: grouped text, --min-severity, --no-suggestions,
--version, --format github (GitHub's per-step annotation limit, the job summary), plain help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main

U = 'package p\n\nimport _ "unsafe"\n\n'


def module(root: Path, source: str) -> Path:
    # The pulled packages are requirements: a pull of a package outside the module and its
    # requirements cannot link (undefined-target).
    (root / "go.mod").write_text(
        "module example.com/m\n\ngo 1.23\n\n"
        "require (\n\texample.com/o v1.0.0\n\texample.com/other v1.0.0\n)\n"
    )
    (root / "p.go").write_text(source)
    return root


def pulls(n: int) -> str:
    return U + "".join(
        f"//go:linkname f{i} example.com/other.f{i}\nfunc f{i}()\n\n" for i in range(n)
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and re.fullmatch(r"linkname-bot \d+\.\d+\.\d+\S*\n", out)


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["registry", "--help"]])
def test_help_is_plain_text(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "``" not in out and "<bool>" not in out and "╭" not in out and "[/" not in out


def test_check_help_names_the_new_options(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--help")
    assert "--min-severity" in out and "--no-suggestions" in out


def test_text_groups_by_file_and_directive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(tmp_path, U + "//go:linkname f example.com/o.f\nfunc f()\n")
    (tmp_path / "q.go").write_text(U + "//go:linkname g example.com/o.g\nfunc g()\n")
    code, out, _ = run(capsys, "check", str(root), "--no-stdlib")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "p.go:5:1: //go:linkname f example.com/o.f (pull of func f)"
    assert lines[1].startswith("  notice: example.com/o.f is not in the registry")
    assert lines[1].endswith("[unknown-target]")
    assert lines[2] == ""  # a blank line between files
    assert lines[3] == "q.go:5:1: //go:linkname g example.com/o.g (pull of func g)"
    assert "Suggested registry entries (under known: in .github/linkname-bot.yml):" in lines
    assert "  - target: example.com/o.f" in lines and "  - target: example.com/o.g" in lines
    assert "`" not in out


def test_min_severity_and_no_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = module(tmp_path, pulls(2) + "//go:linkname missing runtime.x\n")
    code, out, _ = run(capsys, "check", str(root), "--no-stdlib", "--format", "json")
    rules = sorted(f["rule"] for f in json.loads(out)["findings"])
    assert code == 1 and rules == ["unknown-local", "unknown-target", "unknown-target"]

    code, out, _ = run(
        capsys, "check", str(root), "--no-stdlib", "--format", "json", "--min-severity", "error"
    )
    assert code == 1 and [f["rule"] for f in json.loads(out)["findings"]] == ["unknown-local"]

    code, out, _ = run(capsys, "check", str(root), "--no-stdlib", "--no-suggestions")
    assert "Suggested registry entries" not in out and "- target:" not in out
    code, out, _ = run(
        capsys, "check", str(root), "--no-stdlib", "--no-suggestions", "--format", "json"
    )
    assert all(f["suggestion"] is None and f["fixes"] == [] for f in json.loads(out)["findings"])

    code, out, err = run(capsys, "check", str(root), "--min-severity", "loud")
    assert code == 2 and "loud" in err


def test_github_format_caps_annotations_and_writes_the_job_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = module(tmp_path, pulls(25))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run(capsys, "check", str(root), "--no-stdlib", "--format", "github")
    assert code == 0
    lines = out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == 10  # GitHub shows 10 notices per step
    assert all(c.startswith("::notice file=p.go,line=") for c in commands)
    assert all("title=unknown-target (Go 1.23–1.27)::" in c and "`" not in c for c in commands)
    assert lines[-1].startswith("linkname-bot: 15 notice(s) not annotated")
    text = summary.read_text()
    assert text.startswith("earlier step\n## linkname-bot\n\nReviewed Go 1.23–1.27")
    assert text.count("```yaml") == 1 and text.count("- target: ") == 25
    assert "<details><summary>ℹ️ 25 notices · 25 suggested registry entries</summary>" in text


def test_github_format_without_a_summary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    root = module(tmp_path, pulls(1))
    code, out, _ = run(capsys, "check", str(root), "--no-stdlib", "--format", "github")
    assert code == 0 and out.count("::notice ") == 1


def test_docs_url_points_rule_links_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCS_URL", "https://docs.internal/linkname")
    root = module(tmp_path, pulls(1))
    _, out, _ = run(capsys, "check", str(root), "--no-stdlib")
    assert "[unknown-target]: https://docs.internal/linkname/rules/unknown-target.md" in out
