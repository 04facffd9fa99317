"""The committed port table against ``go tool dist list -json`` of the real toolchains."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.golang.ports import all_port_names, exists, from_dist_list_json, port_names, ports
from bot.testing.toolchains import go_env, goroot
from bot.versions import KNOWN_VERSIONS


def _dist_list(minor: int, tmp_path: Path) -> str:
    go = goroot(minor) / "bin" / "go"
    env = go_env(minor, tmp_path)
    done = subprocess.run(
        [str(go), "tool", "dist", "list", "-json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _compare(minor: int, tmp_path: Path) -> None:
    assert ports(minor) == from_dist_list_json(_dist_list(minor, tmp_path))


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_table_matches_dist_list(minor: int, tmp_path: Path) -> None:
    _compare(minor, tmp_path)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", KNOWN_VERSIONS)
def test_table_matches_dist_list_every_version(minor: int, tmp_path: Path) -> None:
    _compare(minor, tmp_path)


def test_first_class_ports_exist_in_every_version() -> None:
    for v in KNOWN_VERSIONS:
        first = {p.name for p in ports(v) if p.first_class}
        assert {"linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64"} <= first


def test_ports_come_and_go() -> None:
    assert "openbsd/riscv64" not in port_names(22) and "openbsd/riscv64" in port_names(23)
    assert exists(23, "windows/arm") and not exists(24, "windows/arm")
    assert "windows/arm" in all_port_names()
    # Versions the bot has no table for use the nearest known one; unknown ports are allowed.
    assert ports(30) == ports(KNOWN_VERSIONS[-1]) and ports(3) == ports(KNOWN_VERSIONS[0])
    assert exists(23, "plan10/amd64")
