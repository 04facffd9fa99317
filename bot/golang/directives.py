"""Linkname directives at the level of comment text, exactly as ``cmd/compile`` reads them.

The compiler's scanner hands a line comment to the pragma parser only when its text starts with
``//go:`` and the pragma parser takes it as a linkname only with the prefix ``go:linkname `` (one
space; ``go:linknamestd `` since Go 1.27). Everything else that merely looks like one — a space
after ``//``, a block comment, a tab after ``linkname``, a bare ``//go:linkname`` — is silently
ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

HONOURED_PREFIXES = ("//go:linkname ", "//go:linknamestd ")


@dataclass(frozen=True)
class DirectiveText:
    """A comment the compiler treats as a linkname directive."""

    line: int
    column: int
    fields: tuple[str, ...]  # as strings.Fields: fields[0] is "go:linkname" or "go:linknamestd"
    alone_on_line: bool  # False → "misplaced compiler directive"

    @property
    def std(self) -> bool:
        return self.fields[0] == "go:linknamestd"

    @property
    def well_formed(self) -> bool:
        return 2 <= len(self.fields) <= 3

    @property
    def local(self) -> str | None:
        return self.fields[1] if len(self.fields) >= 2 else None

    @property
    def target(self) -> str | None:
        return self.fields[2] if len(self.fields) == 3 else None


@dataclass(frozen=True)
class NearMiss:
    """A comment that looks like a linkname directive but that the compiler ignores."""

    line: int
    column: int
    text: str
    why: str
    local: str | None  # the name it seems meant for, if any


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def read_comment(
    text: str, line: int, column: int, alone_on_line: bool
) -> DirectiveText | NearMiss | None:
    """Classify one comment's text; None when it has nothing to do with linkname."""
    if text.startswith(HONOURED_PREFIXES):
        fields = tuple(_first_line(text)[2:].split())
        return DirectiveText(line, column, fields, alone_on_line)
    if not alone_on_line:
        if text.startswith("//go:"):
            # cmd/compile rejects any //go: comment after code as misplaced before reading it,
            # so `x := 1 //go:linkname` (bare, tab, linknamestd…) fails the build too.
            return DirectiveText(line, column, tuple(_first_line(text)[2:].split()), False)
        return None  # a trailing near miss (`_ "unsafe" // go:linkname`) is prose
    if text.startswith("//"):
        body, why = text[2:], ""
        if body.startswith("go:linkname"):
            rest = body[len("go:linkname") :]
            if rest.startswith("std"):
                rest = rest[3:]
            if rest.strip() == "":
                why = "a bare //go:linkname has no local name"
            elif rest[0] == "\t":
                why = "a tab after go:linkname: the compiler needs exactly one space"
            else:
                return None  # e.g. //go:linknamefoo: another word, not ours
        elif body.lstrip(" \t").startswith("go:linkname") and body[:1] in (" ", "\t"):
            why = "a space after //: directives must start with //go: and no space"
            body = body.lstrip(" \t")
        else:
            return None
    elif text.startswith("/*"):
        body = text[2:].removesuffix("*/").lstrip(" \t")
        if not body.startswith("go:linkname"):
            return None
        why = "a block comment: only // line comments can be directives"
    else:
        return None
    words = _first_line(body).split()
    local = words[1] if len(words) >= 2 else None
    return NearMiss(line, column, _first_line(text), why, local)
