"""The committed standard-library layouts (registry/stdlib/layouts-go1.N.json.gz)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from bot.golang.abi import words
from bot.stdlib.facts import registry_dir
from bot.stdlib.layouts import LAYOUTS_MANIFEST, StdSignature, VersionLayouts, load_layouts
from bot.stdlib.layouts_gen import (
    LAYOUT_PLATFORMS,
    _existing,
    merge,
    run_program,
    write_layouts,
)
from bot.testing.toolchains import WHEELS, goroot
from bot.versions import KNOWN_VERSIONS

L = load_layouts(KNOWN_VERSIONS)


def test_every_version_is_laid_out_for_six_platforms() -> None:
    manifest = json.loads((registry_dir() / LAYOUTS_MANIFEST).read_text())
    assert {int(m): e["go"] for m, e in manifest["versions"].items()} == {
        m: f"go{v}" for m, v in WHEELS.items()
    }
    for minor in KNOWN_VERSIONS:
        assert sorted(L[minor].platforms) == sorted(LAYOUT_PLATFORMS)
    size = sum(p.stat().st_size for p in registry_dir().glob("layouts-*.json.gz"))
    assert size < 2**19  # types and signatures shared by all versions and platforms


def fields(name: str, minor: int, platform: str) -> list[tuple[str, int, int]]:
    t = L[minor].named_type(name, platform)
    assert t is not None
    return [(f.name, f.offset, f.type.size) for f in t.fields]


@pytest.mark.parametrize(
    ("platform", "hash_at", "size"),
    [("linux/amd64", 16, 48), ("darwin/arm64", 16, 48), ("linux/386", 8, 32), ("linux/arm", 8, 32)],
)
def test_type_descriptor_per_port(platform: str, hash_at: int, size: int) -> None:
    t = L[24].named_type("internal/abi.Type", platform)
    assert t is not None and t.size == size
    assert ("Hash", hash_at, 4) in fields("internal/abi.Type", 24, platform)


def test_constants_are_evaluated_and_contracts_read() -> None:
    (sig, *_) = L[24].signatures("runtime.zeroVal", "linux/amd64")
    assert sig.var is not None and sig.var.kind == "array" and sig.var.length == 1024
    assert L[24].contracts.get("runtime.linknameIter") == "caller-allocated"
    assert "runtime.linknameIter" not in L[23].contracts


def test_signatures_keep_names_and_the_receiver_first() -> None:
    (sig, *_) = L[24].signatures("runtime.growslice", "linux/amd64")
    assert [n for n, _ in sig.params] == ["oldPtr", "newLen", "oldCap", "num", "et"]
    (stw, *_) = L[22].signatures("runtime.stopTheWorld", "linux/amd64")
    assert [t.name for _, t in stw.results] == ["runtime.worldStop"]
    assert L[21].signatures("runtime.stopTheWorld", "linux/amd64")[0].results == ()


def test_shared_tables_round_trip(tmp_path: Path) -> None:
    """Rewriting the committed layouts (as a rebuild of some versions does) changes nothing."""
    manifest = json.loads((registry_dir() / LAYOUTS_MANIFEST).read_text())
    documents = _existing(registry_dir(), manifest)
    assert sorted(documents) == list(KNOWN_VERSIONS)
    write_layouts(tmp_path, documents)
    for name in [LAYOUTS_MANIFEST, *(p.name for p in registry_dir().glob("layouts-*.json.gz"))]:
        assert (tmp_path / name).read_bytes() == (registry_dir() / name).read_bytes(), name


def shape(sig: StdSignature) -> list[object]:
    parts = [*sig.params, *sig.results] + ([("", sig.var)] if sig.var is not None else [])
    return [(n, [(w.cls, w.size, w.offset, w.path, w.what) for w in words(t)]) for n, t in parts]


@pytest.mark.toolchain
def test_regenerated_linux_amd64_equals_committed() -> None:
    platform = "linux/amd64"
    with tempfile.TemporaryDirectory() as tmp:
        document = merge("go1.23.9", run_program(goroot(23), [platform], Path(tmp)))
    fresh = VersionLayouts(document)
    names = document["names"].split("\n")
    assert len(names) > 1000
    for name in names:
        assert [shape(s) for s in fresh.signatures(name, platform)] == [
            shape(s) for s in L[23].signatures(name, platform)
        ], name
