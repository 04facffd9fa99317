"""The built wheel carries the standard-library facts and the App manifest.

Built from the tree with pip (not editable), installed into a fresh virtual environment whose only
other entries are the dependencies, and run from an unrelated directory: a refused pull must
still be refused, which it cannot be without the packaged facts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REFUSED = """package main

import _ "unsafe"

//go:linkname gcount runtime.gcount
func gcount() int32

func main() { println(gcount()) }
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp)],
        check=True,
        cwd=tmp,
    )
    (wheel,) = tmp.glob("linkname_bot-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies come from the test's own environment; the package itself only from the
    # wheel (a path entry is not a site directory, so the editable install's finder stays out).
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
    )
    return python


def test_wheel_ships_facts_and_manifest(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    (tmp_path / "main.go").write_text(REFUSED)
    out = subprocess.run(
        [str(installed), "-m", "bot.cli", "check", ".", "--go", "1.23", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert [f["rule"] for f in doc["findings"] if f["severity"] == "error"] == ["invalid-reference"]
    where = subprocess.run(
        [
            str(installed),
            "-c",
            "import bot, bot.resources as r; print(bot.__file__); print(r.shipped('stdlib')); "
            "print(r.shipped('app.yml'))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(ROOT) not in p for p in where), where
    assert all("/_data/" in p for p in where[1:]), where
