"""``read_comment``: which comment texts the compiler honours as linkname directives."""

from __future__ import annotations

import pytest

from bot.golang.directives import DirectiveText, NearMiss, read_comment

# text, alone on its line → (fields joined by spaces, well formed, local, target, std)
HONOURED: list[tuple[str, bool, str, bool, str | None, str | None, bool]] = [
    ("//go:linkname f r.f", True, "go:linkname f r.f", True, "f", "r.f", False),
    ("//go:linkname f", True, "go:linkname f", True, "f", None, False),
    ("//go:linkname  f\tr.f ", True, "go:linkname f r.f", True, "f", "r.f", False),
    ("//go:linkname f r.f\r", True, "go:linkname f r.f", True, "f", "r.f", False),
    ("//go:linkname a b c", True, "go:linkname a b c", False, "a", None, False),
    ("//go:linkname f r.f // pull", True, "go:linkname f r.f // pull", False, "f", None, False),
    ("//go:linkname ", True, "go:linkname", False, None, None, False),
    ("//go:linkname   ", True, "go:linkname", False, None, None, False),
    ("//go:linknamestd f r.f", True, "go:linknamestd f r.f", True, "f", "r.f", True),
    # after code: still read, so that it can be reported as misplaced
    ("//go:linkname f r.f", False, "go:linkname f r.f", True, "f", "r.f", False),
    ("//go:linkname", False, "go:linkname", False, None, None, False),
    ("//go:linkname\tf r.f", False, "go:linkname f r.f", True, "f", "r.f", False),
    ("//go:linknamestd f g", False, "go:linknamestd f g", True, "f", "g", True),
]


@pytest.mark.parametrize(("text", "alone", "fields", "ok", "local", "target", "std"), HONOURED)
def test_honoured(
    text: str,
    alone: bool,
    fields: str,
    ok: bool,
    local: str | None,
    target: str | None,
    std: bool,
) -> None:
    got = read_comment(text, 7, 3, alone)
    assert isinstance(got, DirectiveText)
    assert (got.line, got.column, got.alone_on_line) == (7, 3, alone)
    assert got.fields == tuple(fields.split(" "))
    assert (got.well_formed, got.local, got.target, got.std) == (ok, local, target, std)


# text → (local, a word of the reason)
NEAR_MISSES: list[tuple[str, str | None, str]] = [
    ("// go:linkname f runtime.f", "f", "space after //"),
    ("//\tgo:linkname f runtime.f", "f", "space after //"),
    ("//   go:linkname f", "f", "space after //"),
    ("/*go:linkname f runtime.f*/", "f", "block comment"),
    ("/* go:linkname f runtime.f */", "f", "block comment"),
    ("//go:linkname\tf runtime.f", "f", "tab"),
    ("//go:linkname", None, "bare"),
    ("//go:linkname\r", None, "bare"),
    ("//go:linknamestd", None, "bare"),
    ("//go:linknamestd\tf runtime.f", "f", "tab"),
]


@pytest.mark.parametrize(("text", "local", "why"), NEAR_MISSES)
def test_near_miss(text: str, local: str | None, why: str) -> None:
    got = read_comment(text, 4, 1, True)
    assert isinstance(got, NearMiss)
    assert (got.line, got.column, got.local) == (4, 1, local)
    assert why in got.why
    assert got.text == text.rstrip("\r")


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("// go:linkname f runtime.f", False),  # prose after code
        ("/*go:linkname f g*/", False),
        ("//go:linknamefoo f g", True),  # another word
        ("// see go:linkname in the docs", True),
        ("// Package p uses //go:linkname", True),
        ("/* the go:linkname trick */", True),
        ("//linkname f g", True),
        ("/*\ngo:linkname f g\n*/", True),
    ],
)
def test_unrelated(text: str, alone: bool) -> None:
    assert read_comment(text, 1, 1, alone) is None


def test_multiline_block_reads_first_line_only() -> None:
    got = read_comment("/*go:linkname f runtime.f\nmore text*/", 2, 5, True)
    assert isinstance(got, NearMiss)
    assert got.text == "/*go:linkname f runtime.f"
