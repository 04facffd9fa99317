"""Canonical signatures: names dropped, groups expanded, types resolved to import paths."""

from __future__ import annotations

import pytest

from bot.golang.source import read_file

HEADER = """\
package p

import (
	"unsafe"
	u "unsafe"
	tm "time"
	"example.com/x/v2"
	"gopkg.in/yaml.v3"
)

type g struct{}

"""

# declaration → canonical signature (in package example.com/m/p)
CASES: list[tuple[str, str]] = [
    ("func f()", "func()"),
    ("func f(a, b int, c string)", "func(int, int, string)"),
    ("func f(int, string) bool", "func(int, string) bool"),
    ("func f(s ...string)", "func(...string)"),
    ("func f(p *g, n int) (r int)", "func(*example.com/m/p.g, int) int"),
    ("func f() (n int, err error)", "func() (int, error)"),
    ("func f() (int)", "func() int"),
    ("func f() ()", "func()"),
    ("func f(b byte, r rune, a any) []byte", "func(uint8, int32, interface{}) []uint8"),
    ("func f(p unsafe.Pointer, q u.Pointer)", "func(unsafe.Pointer, unsafe.Pointer)"),
    ("func f(d tm.Duration) x.T", "func(time.Duration) example.com/x/v2.T"),
    ("func f(n yaml.Node)", "func(gopkg.in/yaml.v3.Node)"),
    ("func f(m map[string]*g)", "func(map[string]*example.com/m/p.g)"),
    ("func f(a [4]byte, s [][]int)", "func([4]uint8, [][]int)"),
    ("func f(a <-chan int, b chan<- int, c chan int)", "func(<-chan int, chan<- int, chan int)"),
    ("func f(cb func(int) error) func() bool", "func(func(int) error) func() bool"),
    ("func f(s struct{ a, b int; *g })", "func(struct{a int; b int; *example.com/m/p.g})"),
    ('func f(s struct{ t string `json:"t"` })', 'func(struct{t string `json:"t"`})'),
    ("func f(i interface{ M(int) string })", "func(interface{M(int) string})"),
    ("func f[T any, K comparable](t T, k []K) map[K]T", "func(T, []K) map[K]T"),
    ("func f(l List[int, g])", "func(example.com/m/p.List[int, example.com/m/p.g])"),
    ("func f(e error, x uintptr, c complex128)", "func(error, uintptr, complex128)"),
    ("var f int32", "int32"),
    ("var f *g", "*example.com/m/p.g"),
    ("var f = 1", None),
]


@pytest.mark.parametrize(("decl", "want"), CASES)
def test_signature(decl: str, want: str | None) -> None:
    f = read_file("p/a.go", (HEADER + decl + "\n").encode(), "example.com/m/p")
    assert f.error_lines == ()
    assert f.signature("f") == want


def test_same_signature_from_inside_and_outside_the_package() -> None:
    inside = read_file("a.go", b"package runtime\n\nfunc f(gp *g, b []byte) bool\n", "runtime")
    outside = read_file(
        "b.go",
        b'package q\n\nimport rt "runtime"\n\nfunc f(x *rt.g, y []uint8) (ok bool)\n',
        "example.com/q",
    )
    assert inside.signature("f") == outside.signature("f") == "func(*runtime.g, []uint8) bool"


def test_method_signature_takes_the_receiver_first() -> None:
    src = b"package p\n\ntype T[E any] struct{}\n\nfunc (t *T[E]) m(e E, n int) E\n"
    src += b"\nfunc (T[E]) k()\n"
    f = read_file("a.go", src, "example.com/p")
    assert [f.method_signature(i) for i in range(2)] == [
        "func(*example.com/p.T[E], E, int) E",
        "func(example.com/p.T[E])",
    ]


def test_unknown_name_has_no_signature() -> None:
    assert read_file("a.go", b"package p\n").signature("nosuch") is None


@pytest.mark.parametrize(
    ("local", "remote", "stand_in"),
    [
        ("func(unsafe.Pointer) unsafe.Pointer", "func(*internal/abi.Type) unsafe.Pointer", True),
        ("func(unsafe.Pointer, unsafe.Pointer)", "func(map[string]int, func(int) error)", True),
        ("unsafe.Pointer", "*runtime.g", True),
        ("func(unsafe.Pointer) unsafe.Pointer", "func(unsafe.Pointer) unsafe.Pointer", False),
        ("func(uintptr) unsafe.Pointer", "func(*internal/abi.Type) unsafe.Pointer", False),
        ("func(*m.hiter)", "func(*reflect.hiter)", False),  # a mirrored struct: layout unknown
        ("func() int32", "func(bool) int32", False),
        ("func(int) int", "func(int64) int", False),
        ("func(unsafe.Pointer) (int, bool)", "func(*p.T) int", False),
    ],
)
def test_abi_stand_in(local: str, remote: str, stand_in: bool) -> None:
    from bot.golang.signatures import abi_stand_in

    assert abi_stand_in(local, remote) is stand_in
