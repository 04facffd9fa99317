"""Start-up stays light: the CLI and a plain ``check`` import none of the App's stack.

Deterministic (no timing): a fresh interpreter reports which modules it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Imported by the App, the typer application or a policy file, never by a plain check.
HEAVY = (
    "pydantic",
    "typer",
    "click",
    "yaml",
    "starlette",
    "uvicorn",
    "githubkit",
    "saq",
    "redis",
    "httpx",
    "structlog",
    "prometheus_client",
    "unidiff",
    "importlib.metadata",
    "multiprocessing",
    "bot.cli.commands",
    "bot.policy.schema",
    "bot.scope.diff",
)

PROBE = """
import io, json, sys
{setup}
loaded = [m for m in json.loads(sys.argv[1]) if m in sys.modules]
print(json.dumps({{"loaded": loaded, "status": status}}))
"""


def _loaded(setup: str, cwd: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup), json.dumps(HEAVY)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_cli_is_light(tmp_path: Path) -> None:
    assert _loaded("import bot.cli\nstatus = 0", tmp_path)["loaded"] == []


def test_a_plain_check_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.23\n")
    (tmp_path / "m.go").write_text(
        'package m\n\nimport _ "unsafe"\n\n'
        "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"
    )
    setup = (
        "from bot.cli import main\n"
        "sys.stdout, real = io.StringIO(), sys.stdout\n"
        "status = main(['check', '.', '--format', 'json', '--go', '1.23'])\n"
        "sys.stdout = real"
    )
    assert _loaded(setup, tmp_path) == {"loaded": [], "status": 0}


def test_a_policy_file_brings_the_schema(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.23\n")
    (tmp_path / "m.go").write_text("package m\n")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "linkname-bot.yml").write_text('go: "1.23"\n')
    setup = (
        "from bot.cli import main\n"
        "sys.stdout, real = io.StringIO(), sys.stdout\n"
        "status = main(['check', '.'])\n"
        "sys.stdout = real"
    )
    loaded = _loaded(setup, tmp_path)["loaded"]
    assert isinstance(loaded, list)
    assert "bot.policy.schema" in loaded and "pydantic" in loaded
    assert not {"starlette", "githubkit", "saq", "uvicorn", "typer"} & set(loaded)
