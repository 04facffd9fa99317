"""``read_file``: declarations, imports, directives and near misses read with tree-sitter."""

from __future__ import annotations

import pytest

from bot.golang.header import first_code
from bot.golang.source import GoFile, package_clause, package_name_of, read_file

SRC = b"""\
// Package p does things.
package p

import (
	_ "unsafe"
	rt "runtime"
	"example.com/x/v2"
	"gopkg.in/yaml.v3"
	. "fmt"
)

//go:linkname pull runtime.pull
func pull() int64

//go:linkname push example.com/q.push
func push() {}

//go:linkname exp
func exp() {}

//go:linkname recv
func recv()

//go:linkname v1 runtime.v1
var v1 int

//go:linkname v2 example.com/q.v2
var v2 = 3

var (
	g1 int
	g2, g3 = 1, 2
)

const c = 1

type T struct{}

func (t *T) m() {}

func (T) n()

func gen[E any](e E)

func init() {}

func f() {
	//go:linkname inner runtime.inner
	var s = "//go:linkname notacomment x"
	_ = s
}

var trailing = 1 //go:linkname trailing runtime.t

// go:linkname spaced runtime.spaced
/*go:linkname block runtime.block*/
//go:linkname\ttabbed runtime.tabbed
//go:linkname

//go:linkname atend runtime.atend
"""


@pytest.fixture(scope="module")
def parsed() -> GoFile:
    return read_file("p/a.go", SRC, "example.com/m/p")


def test_package_and_imports(parsed: GoFile) -> None:
    assert parsed.package == "p"
    assert parsed.imports_unsafe
    assert parsed.imports == {"rt": "runtime", "x": "example.com/x/v2", "yaml": "gopkg.in/yaml.v3"}
    assert parsed.error_lines == ()


# name → (object, line, defined, generic)
DECLS = {
    "pull": ("func", 13, False, False),
    "push": ("func", 16, True, False),
    "exp": ("func", 19, True, False),
    "recv": ("func", 22, False, False),
    "v1": ("var", 25, False, False),
    "v2": ("var", 28, True, False),
    "g1": ("var", 31, False, False),
    "g2": ("var", 32, True, False),
    "g3": ("var", 32, True, False),
    "c": ("const", 35, True, False),
    "T": ("type", 37, True, False),
    "gen": ("func", 43, False, True),
    "f": ("func", 47, True, False),
    "trailing": ("var", 53, True, False),
}


def test_declarations(parsed: GoFile) -> None:
    got = {n: (d.object, d.line, d.defined, d.generic) for n, d in parsed.decls.items()}
    assert got == DECLS  # methods and init are not in package scope


def test_methods(parsed: GoFile) -> None:
    got = [(m.receiver, m.pointer, m.name, m.line, m.defined) for m in parsed.methods]
    assert got == [("T", True, "m", 39, True), ("T", False, "n", 41, False)]
    assert [m.symbol_suffix for m in parsed.methods] == ["(*T).m", "T.n"]


def test_directives(parsed: GoFile) -> None:
    got = [(d.line, d.column, d.local, d.target, d.alone_on_line) for d in parsed.directives]
    assert got == [
        (12, 1, "pull", "runtime.pull", True),
        (15, 1, "push", "example.com/q.push", True),
        (18, 1, "exp", None, True),
        (21, 1, "recv", None, True),
        (24, 1, "v1", "runtime.v1", True),
        (27, 1, "v2", "example.com/q.v2", True),
        (48, 2, "inner", "runtime.inner", True),
        (53, 18, "trailing", "runtime.t", False),
        (60, 1, "atend", "runtime.atend", True),
    ]


def test_near_misses(parsed: GoFile) -> None:
    got = [(m.line, m.local) for m in parsed.near_misses]
    assert got == [(55, "spaced"), (56, "block"), (57, "tabbed"), (58, None)]


def test_crlf_matches_lf() -> None:
    lf = read_file("a.go", SRC)
    crlf = read_file("a.go", SRC.replace(b"\n", b"\r\n"))
    assert crlf.directives == lf.directives
    assert crlf.near_misses == lf.near_misses
    assert {n: d.line for n, d in crlf.decls.items()} == {n: d.line for n, d in lf.decls.items()}


def test_broken_tail_keeps_earlier_directives() -> None:
    src = SRC + b"\nfunc broken() { if ( {\n"
    got = read_file("a.go", src)
    assert got.error_lines
    assert [d.local for d in got.directives][:6] == ["pull", "push", "exp", "recv", "v1", "v2"]
    assert got.decls["pull"].defined is False


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (b"package p\n", "p"),
        (b"// c\n/* a\n b */ package  q // x\n", "q"),
        (b"//go:build linux\n\npackage r_test\n", "r_test"),
        (b"/* package x */\npackage y\n", "y"),
        (b"func f() {}\n", None),
        (b"", None),
    ],
)
def test_package_clause(source: bytes, name: str | None) -> None:
    assert package_clause(source) == name


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("unsafe", "unsafe"),
        ("net/http", "http"),
        ("example.com/x/v2", "x"),
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/a/go-foo", "foo"),
        ("github.com/a/b-c", "b_c"),
    ],
)
def test_package_name_of(path: str, name: str) -> None:
    assert package_name_of(path) == name


@pytest.mark.parametrize(
    ("source", "line", "name"),
    [
        (b"package p\n", 1, "p"),
        (b"// c\n\n/* a\n b */ package q // x\nfunc f() {}\n", 4, "q"),
        (b"//go:build linux\n\npackage   r\n", 3, "r"),
        (b"/* unterminated\npackage p\n", None, None),
        (b"func f() {}\npackage p\n", 1, None),
        (b"packagex\n", 1, None),
    ],
)
def test_first_code_skips_comments_up_to_the_clause(
    source: bytes, line: int | None, name: str | None
) -> None:
    clause = first_code(source)
    assert (clause.line if clause else None, clause.name if clause else None) == (line, name)
    assert package_clause(source) == name
    if clause is not None:
        assert source[: clause.end].endswith(b"\n") or clause.end == len(source)
