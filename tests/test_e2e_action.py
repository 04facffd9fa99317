"""The GitHub Action (action.yml + action/run.sh), offline: its script runs against a local git
repository with a stub interpreter standing in for pip, and linkname-bot from this checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "action" / "run.sh"
GIT = [
    "git",
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@example.com",
    "-c",
    "init.defaultBranch=main",
]
REFUSED = (
    'package main\n\nimport _ "unsafe"\n\n//go:linkname gcount runtime.gcount\n'
    "func gcount() int32\n\nfunc main() { println(gcount()) }\n"
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
    return done.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose head adds a pull the linker refuses from Go 1.23; returns the base."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    (r / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "base")
    base = git(r, "rev-parse", "HEAD")
    (r / "main.go").write_text(REFUSED)
    git(r, "add", "-A")
    git(r, "commit", "-qm", "head")
    return r, base


def run_action(
    tmp_path: Path, repo: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], Path]:
    pip_log = tmp_path / "pip-args"
    stub = tmp_path / "python-stub"
    stub.write_text(f'#!/bin/sh\necho "$@" > {pip_log}\n')
    stub.chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path),
        "INPUT_PATH": str(repo),
        "INPUT_PYTHON": str(stub),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items() if k != "pr_base_sha"},
    }
    if "pr_base_sha" in inputs:
        env["PR_BASE_SHA"] = inputs["pr_base_sha"]
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    outputs = dict(
        line.split("=", 1) for line in (output.read_text().splitlines() if output.exists() else [])
    )
    outputs["pip"] = pip_log.read_text().strip() if pip_log.exists() else ""
    return done, outputs, summary


def test_action_yml_is_a_composite_action_running_the_script() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert 'bash "$GITHUB_ACTION_PATH/action/run.sh"' in steps[0]["run"]
    assert steps[0]["env"]["PR_BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    assert {"version", "base", "format", "go", "min-severity", "fail-on-findings"} <= set(
        action["inputs"]
    )


def test_annotations_and_job_summary_for_a_pull_request(
    tmp_path: Path, repo: tuple[Path, str]
) -> None:
    path, base = repo
    done, outputs, summary = run_action(tmp_path, path, pr_base_sha=base, go="1.22-1.27")
    assert done.returncode == 0, done.stderr  # the failing step is action.yml's last one
    assert outputs["exit-code"] == "1"
    assert outputs["pip"] == "-m pip install --disable-pip-version-check --quiet linkname-bot"
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert errors and errors[0].startswith(
        "::error file=main.go,line=5,col=1,title=invalid-reference (Go 1.23–1.27)::"
    )
    text = summary.read_text()
    assert text.startswith("## linkname-bot") and "invalid-reference" in text
    assert "Not suggested for the registry, invalid-reference" in text


def test_sarif_with_a_pinned_version(tmp_path: Path, repo: tuple[Path, str]) -> None:
    path, base = repo
    done, outputs, summary = run_action(
        tmp_path, path, base=base, format="sarif", version="0.1.0", go="1.23"
    )
    assert done.returncode == 0, done.stderr
    assert outputs["pip"].endswith("linkname-bot==0.1.0")
    doc = json.loads(Path(outputs["sarif-file"]).read_text())
    rules = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert "invalid-reference" in rules
    assert outputs["exit-code"] == "1" and summary.read_text().startswith("## linkname-bot")


def test_no_base_is_a_clear_error(tmp_path: Path, repo: tuple[Path, str]) -> None:
    path, _ = repo
    done, _, _ = run_action(tmp_path, path)
    assert done.returncode == 2 and "no base revision" in done.stdout


def test_clean_change_passes(tmp_path: Path, repo: tuple[Path, str]) -> None:
    path, base = repo
    head = git(path, "rev-parse", "HEAD")
    done, outputs, _ = run_action(tmp_path, path, base=head)  # nothing changed since
    assert done.returncode == 0 and outputs["exit-code"] == "0"
    assert base != head
