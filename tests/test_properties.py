"""Robustness: no input makes reading or analysing raise, and broken tails spare earlier parts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.analyse.engine import Workspace, analyse
from bot.golang import header
from bot.golang.source import read_file

VALID = b"""\
package p

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname push example.com/q.push
func push() int { return 1 }

//go:linkname export
func export() {}

// go:linkname spaced runtime.spaced
func spaced() {}

//go:linkname v runtime.v
var v int32

func later() {
	x := 1
	_ = x
}
"""
PREFIX_DIRECTIVES = [(5, "nanotime"), (8, "push"), (11, "export"), (17, "v")]
LATER_BODY = VALID.index(b"\tx := 1")
GO_CHARS = st.sampled_from([*b"{}()[]/*`\"'\n\r\t ;:=.,+-_ab01", 0, 0xFF, 0xC3])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyse_one(data: bytes) -> None:
    ws = Workspace({"go.mod": b"module example.com/m\n\ngo 1.21\n", "a.go": data})
    report = analyse(ws, (23, 27), ("linux/amd64", "windows/amd64"))
    report.to_json()


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    read_file("a.go", data)
    analyse_one(data)
    analyse_one(b"package p\n//go:linkname " + data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()) and at < len(data):
            del data[at : at + draw(st.integers(1, 5))]
        else:
            data[at:at] = bytes(draw(st.lists(GO_CHARS, min_size=1, max_size=5)))
    return bytes(data)


@FAST
@given(mutated())
def test_mutated_files_never_raise(data: bytes) -> None:
    f = read_file("a.go", data)
    for i, _ in enumerate(f.methods):
        f.method_signature(i)
    for name in f.decls:
        f.signature(name)
    analyse_one(data)


@FAST
@given(st.lists(GO_CHARS, min_size=1, max_size=40).map(bytes))
def test_garbage_in_a_later_body_spares_earlier_directives(garbage: bytes) -> None:
    data = VALID[:LATER_BODY] + garbage + b"\n" + VALID[LATER_BODY:]
    f = read_file("a.go", data)
    early = [(d.line, d.local) for d in f.directives if d.line <= 17]
    assert early == PREFIX_DIRECTIVES
    assert [(m.line, m.local) for m in f.near_misses if m.line <= 17] == [(14, "spaced")]
    ws = Workspace({"a.go": data})
    report = analyse(ws, (23,), ("linux/amd64",))
    got = [(d.line, d.local, d.kind) for d in report.directives if d.line <= 17]
    assert got == [
        (5, "nanotime", "pull"),
        (8, "push", "push"),
        (11, "export", "export"),
        (17, "v", "pull"),
    ]


@FAST
@given(st.binary(min_size=1, max_size=300))
def test_binary_garbage_appended_at_the_end(garbage: bytes) -> None:
    f = read_file("a.go", VALID + b"\nfunc tail() {\n" + garbage)
    assert [(d.line, d.local) for d in f.directives if d.line <= 17] == PREFIX_DIRECTIVES


_HEADER_PIECES = st.sampled_from(
    [
        b"// Copyright 2024 The Go Authors.\n",
        b"//go:build linux && !race\n",
        b"// +build linux\n",
        b"\n",
        b"  \t\n",
        b"\r\n",
        b"/* block */\n",
        b"/*\n spanning\n*/ ",
        b"\xa0\n",
        b"\xc2\xa0// nbsp\n",
        b"package p\n",
        b"package  main // trailing\n",
        b"package\tx /* c */\n",
        b'import "C"\n',
        b"func f() {}\n",
        b"\t// indented comment\n",
        b"\x0b\x0c\n",
        b"//",
        b"package",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_HEADER_PIECES, max_size=8), st.binary(max_size=8))
def test_first_code_fast_path_agrees_with_line_by_line(pieces: list[bytes], tail: bytes) -> None:
    """The one-regex path of ``first_code`` answers exactly as the line-by-line reading."""
    source = b"".join(pieces) + tail
    assert header.first_code(source) == header._first_code_slowly(source)


def test_first_code_fast_path_at_the_64k_limit() -> None:
    for source in (
        b"//x\n" * 16384 + b"package p\n",
        b"//x\n" * 16383 + b"package p\n",
        b"\n" * 65535 + b"package p",
        b"//" + b"x" * 70000 + b"\npackage p\n",
    ):
        assert header.first_code(source) == header._first_code_slowly(source)
