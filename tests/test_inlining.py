"""The inlining facts: which callable standard-library functions carry a symbol when inlined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.stdlib.facts import REGISTRY, Window
from bot.stdlib.inlining import FILE, PLATFORMS, Inlined, body_refers, carriers, inlined
from bot.testing.toolchains import goroot

MANIFEST = json.loads((REGISTRY / "MANIFEST.json").read_text())


def test_every_packaged_version_is_measured() -> None:
    facts = Inlined(REGISTRY / FILE)
    for minor, entry in MANIFEST["versions"].items():
        version = facts.measured(int(minor))
        assert version is not None
        assert version["go"] == entry["go"]
        assert version["platforms"] == list(PLATFORMS)
        assert facts.carriers(int(minor), "runtime.gcount") == (("runtime.NumGoroutine", 1),)
        assert facts.compiler_calls(int(minor), "runtime.racefuncenter")
        assert not facts.compiler_calls(int(minor), "runtime.gcount")


def test_an_unmeasured_version_is_unknown(tmp_path: Path) -> None:
    facts = Inlined(tmp_path / FILE)
    assert facts.carriers(23, "runtime.gcount") is None
    assert facts.compiler_calls(23, "runtime.gcount") is None
    # an overlay registry without the file falls back to the packaged one
    assert inlined(tmp_path).carriers(23, "runtime.gcount") == (("runtime.NumGoroutine", 1),)


def test_body_refers(tmp_path: Path) -> None:
    source = tmp_path / "src" / "p" / "p.go"
    source.parent.mkdir(parents=True)
    source.write_text(
        "package p\n\n"
        'import (\n\t"sync/atomic"\n\tx "golang.org/x/sys/cpu"\n)\n\n'
        "func F(n int) int {\n"
        "\tm := n + 1\n"
        "\tfor i := range m {\n\t\t_ = i\n\t}\n"
        "\treturn g(m) + int(atomic.LoadInt32(&v)) + x.Y\n"
        "}\n"
    )
    refs = body_refers(source, 8, "p")
    assert {"p.g", "p.v", "sync/atomic.LoadInt32", "vendor/golang.org/x/sys/cpu.Y"} <= refs
    assert not refs & {"p.n", "p.m", "p.i"}  # parameters and locals hide package names


@pytest.mark.toolchain
def test_measured_again_the_same(tmp_path: Path) -> None:
    """One port of 1.23 measured afresh: its carriers are among the committed ones."""
    root = goroot(23)
    facts = Window([23])[23]
    fresh = carriers(root, ["linux/amd64"], facts.__contains__)
    measured = Inlined(REGISTRY / FILE).measured(23)
    assert measured is not None
    committed = measured["carriers"]
    assert fresh["runtime.gcount"] == [["runtime.NumGoroutine", 1]]
    for symbol, found in fresh.items():
        assert {c for c, _ in found} <= {c for c, _ in committed[symbol]}, symbol
