"""A parsed file lets go of its syntax tree when many others were read since, and parses
again, with the same answers, when its nodes are asked for."""

from __future__ import annotations

from bot.golang import source

GO = b"""package p

import "unsafe"

type T struct{ a, b int }

const C = 3

var V = map[string]*T{}

//go:linkname f runtime.f
func f(p unsafe.Pointer, n uintptr) (r1, r2 uintptr, err error)

func (t *T) M(x []byte) int { return 0 }
"""


def _answers(f: source.GoFile) -> tuple[object, ...]:
    spec = f.spec("T")
    node = f.node("V")
    return (
        f.signature("f"),
        f.signature("V"),
        f.method_signature(0),
        spec.text if spec is not None else None,
        node.text if node is not None else None,
        f.spec("C") is not None,
    )


def test_let_go_and_parsed_again() -> None:
    f = source.read_file("p/p.go", GO, "example.com/p")
    before = _answers(f)
    for i in range(source._HELD_MAX + 1):
        source.read_file(f"p/x{i}.go", b"package p\n", "example.com/p")
    assert not f._indexed and not f._nodes
    assert _answers(f) == before
    assert f._indexed


def test_reviews_in_threads_see_whole_tables() -> None:
    """Reviews run in threads (the App): one letting go of another's trees never leaves it
    half a table."""
    import threading

    expected = _answers(source.read_file("p/p.go", GO, "example.com/p"))
    wrong: list[object] = []

    def review(k: int) -> None:
        files = [source.read_file(f"p/{k}_{i}.go", GO, "example.com/p") for i in range(40)]
        for _ in range(5):
            for f in files:
                got = _answers(f)
                if got != expected:
                    wrong.append(got)

    threads = [threading.Thread(target=review, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
