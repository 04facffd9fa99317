"""ABI flattening and struct layout per GOARCH (bot/golang/abi.py, bot/analyse/local_types.py).

The expected offsets and sizes are what ``types.SizesFor("gc", GOARCH)`` gives (the layouts the
generator records come from it; ``test_local_layout_matches_generated_facts`` ties the two)."""

from __future__ import annotations

import pytest

from bot.analyse.local_types import Resolver, parameters
from bot.analyse.package import Package, SourceFile
from bot.golang.abi import GoType, arch_of, basic, lay_out, ordinal, words

AMD64, ARM64, I386, ARM = (
    arch_of(p) for p in ("linux/amd64", "darwin/arm64", "linux/386", "linux/arm")
)


def shape(t: GoType) -> list[tuple[str, int, int]]:
    return [(w.cls, w.size, w.offset) for w in words(t)]


@pytest.mark.parametrize("arch", [AMD64, ARM64])
def test_words_64_bit(arch: object) -> None:
    a = arch_of("linux/amd64") if arch == AMD64 else arch_of("linux/arm64")
    assert a.word == 8
    assert shape(basic("string", a)) == [("pointer", 8, 0), ("int", 8, 8)]
    assert shape(basic("int", a)) == [("int", 8, 0)]
    assert shape(basic("complex128", a)) == [("float", 8, 0), ("float", 8, 8)]
    s = lay_out([("a", basic("uint8", a), False), ("b", basic("int64", a), False)])
    assert (s.size, s.align) == (16, 8)
    assert shape(s) == [("int", 1, 0), ("int", 8, 8)]


def test_words_32_bit() -> None:
    for a in (I386, ARM):
        assert a.word == 4
        assert shape(basic("string", a)) == [("pointer", 4, 0), ("int", 4, 4)]
        # gc aligns 64-bit values to 4 bytes on 32-bit ports.
        s = lay_out([("a", basic("uint8", a), False), ("b", basic("int64", a), False)])
        assert (s.size, s.align) == (12, 4)
        assert [f.offset for f in s.fields] == [0, 4]
        f = lay_out([("a", basic("int32", a), False), ("b", basic("float64", a), False)])
        assert (f.size, f.fields[1].offset) == (12, 4)


def test_trailing_zero_size_field_is_padded() -> None:
    empty = lay_out([])
    s = lay_out([("a", basic("int64", AMD64), False), ("z", empty, False)])
    assert s.size == 16  # gc pads a trailing zero-size field so &s.z stays inside s
    assert lay_out([("z", empty, False)]).size == 0


def test_ordinal() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
    ]


SOURCE = b"""package p

import "unsafe"

const (
	small = iota + 2
	big
	size = 1 << 10
)

type slice struct {
	data unsafe.Pointer
	len  int
	cap  int
}

type Alias = slice

type rtype struct {
	size  uintptr
	hash  uint32
	kind  uint8
	equal func(unsafe.Pointer, unsafe.Pointer) bool
	next  *rtype
	pad   [big]byte
	zero  [size]byte
}

func f(t *rtype, old Alias, n int, e error,
	m map[int]int, x any, s string, c chan int) (slice, bool)
"""


def resolver(platform: str) -> tuple[Resolver, SourceFile]:
    f = SourceFile("p/p.go", SOURCE, ((24,), (platform,)), "example.com/p")
    pkg = Package("p", "p", "example.com/p", [f])
    r = Resolver(
        pkg, (24, platform), arch_of(platform), lambda _: None, lambda _: False, lambda _: None
    )
    return r, f


@pytest.mark.parametrize(
    ("platform", "size", "offsets"),
    [
        ("linux/amd64", 8 + 8 + 8 + 8 + 8 + 1024, [0, 8, 12, 16, 24, 32, 35]),
        ("linux/arm64", 8 + 8 + 8 + 8 + 8 + 1024, [0, 8, 12, 16, 24, 32, 35]),
        ("linux/386", 4 + 4 + 4 + 4 + 4 + 1028, [0, 4, 8, 12, 16, 20, 23]),
    ],
)
def test_local_struct_layout(platform: str, size: int, offsets: list[int]) -> None:
    r, _ = resolver(platform)
    t = r.named("rtype")
    assert t.name == "example.com/p.rtype"
    assert [fl.offset for fl in t.fields] == offsets
    assert t.size == _round(offsets[-1] + 1024, arch_of(platform).word)
    assert t.fields[5].type.length == 3  # iota + 2, repeated: big = 1 + 2
    assert t.fields[6].type.length == 1024


def _round(n: int, a: int) -> int:
    return (n + a - 1) // a * a


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64", "linux/386"])
def test_local_signature_words(platform: str) -> None:
    r, f = resolver(platform)
    node = f.parsed.node("f")
    assert node is not None
    params = parameters(r, node.child_by_field_name("parameters"), f)
    results = parameters(r, node.child_by_field_name("result"), f)
    w = arch_of(platform).word
    got = [(x.cls, x.size) for _, t in params for x in words(t)]
    ptr, i = ("pointer", w), ("int", w)
    assert got == [ptr, ptr, i, i, i, ptr, ptr, ptr, ptr, ptr, ptr, i, ptr]
    assert [n for n, _ in params][:2] == ["t", "old"]
    assert [(x.cls, x.size) for _, t in results for x in words(t)] == [ptr, i, i, ("int", 1)]
    # the pointer's target resolves lazily, through the package's declarations
    target = params[0][1].target
    assert target is not None and target().name == "example.com/p.rtype"


def test_unknown_types_say_why() -> None:
    src = b'package p\nimport "example.org/other"\ntype T struct{ x other.T; y [n]int }\n'
    f = SourceFile("p/p.go", src, ((24,), ("linux/amd64",)), "example.com/p")
    pkg = Package("p", "p", "example.com/p", [f])
    r = Resolver(pkg, (24, "linux/amd64"), AMD64, lambda _: None, lambda _: False, lambda _: None)
    t = r.named("T")
    assert t.kind == "unknown"
    assert "example.org/other.T" in t.why
