"""The generated tables a plain build's evaluation rests on, checked against the toolchains:
``bot/golang/tool_tags.py`` (``go list -f '{{context.ToolTags}}'`` per version and port) and
``bot/stdlib/std_names.py`` (runtime/cgo's initialised pushes and the bare names std defines,
read from each GOROOT)."""

from __future__ import annotations

import pytest

from bot.golang.constraints import tool_tags as table_tags
from bot.golang.tool_tags import TOOL_TAGS
from bot.stdlib.std_names import CGO_DATA_VARS, UNQUALIFIED_NAMES
from bot.testing import toolchains
from tests import std_names
from tests import tool_tags as measured

SAMPLE_PORTS = ("linux/amd64", "darwin/arm64", "linux/386", "js/wasm", "windows/arm64")


def test_every_toolchain_is_in_the_tables() -> None:
    assert sorted(TOOL_TAGS) == sorted(toolchains.WHEELS) == sorted(CGO_DATA_VARS)


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_tool_tags_sample(minor: int) -> None:
    for port in SAMPLE_PORTS:
        assert table_tags(minor, port) == frozenset(measured.tool_tags(minor, port)), port


@pytest.mark.matrix
@pytest.mark.parametrize("minor", sorted(toolchains.WHEELS))
def test_tool_tags_every_port(minor: int) -> None:
    by_port = measured.measure(minor)
    assert sorted(by_port) == sorted(TOOL_TAGS[minor][1])
    for port, tags in by_port.items():
        assert table_tags(minor, port) == frozenset(tags), port


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", sorted(toolchains.WHEELS))
def test_cgo_data_vars(minor: int) -> None:
    assert frozenset(std_names.cgo_data_vars(minor)) == CGO_DATA_VARS[minor]
    assert "runtime.iscgo" in CGO_DATA_VARS[minor]


@pytest.mark.toolchain
def test_unqualified_names() -> None:
    assert std_names.measure_unqualified() == UNQUALIFIED_NAMES
    assert {"crosscall2", "_rt0_amd64_linux", "x_cgo_init"} <= UNQUALIFIED_NAMES
