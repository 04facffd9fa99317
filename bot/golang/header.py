"""The top of a Go file, as far as the package clause: the one place comments are skipped.

Build constraints (``bot.golang.constraints``), the package name (``bot.golang.source``), the
bytes a constraint can be read from (``bot.analyse.package``) and whether a change touched the
header (``bot.scope.scope``) all read the header through these two functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What Go's unicode.IsSpace accepts, for a TrimSpace that matches bytes.TrimSpace.
SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)

_CLAUSE = re.compile(r"package[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
_LIMIT = 65536  # the clause is searched for in the first 64 KiB


def strip_comments(line: str, in_block: bool) -> tuple[str, bool]:
    """Remove leading comments from a trimmed line: (the code left, still inside ``/* */``)."""
    while line:
        if in_block:
            i = line.find("*/")
            if i < 0:
                return "", True
            in_block, line = False, line[i + 2 :].strip(SPACE)
        elif line.startswith("//"):
            return "", False
        elif line.startswith("/*"):
            in_block, line = True, line[2:].strip(SPACE)
        else:
            return line, in_block
    return "", in_block


@dataclass(frozen=True)
class Clause:
    """Where the first code of a file is: its 1-based line, the offset just past that line, and
    the package name when that code is a package clause (None otherwise)."""

    line: int
    end: int
    name: str | None


#: The common header in one match: blank lines and ``//`` comment lines (ASCII spacing only),
#: then the first line that starts otherwise. Anything else (``/*``, other spaces, no line
#: of code within the limit) is read line by line by ``_first_code_slowly``.
_PLAIN_HEADER = re.compile(rb"(?:[ \t\r\f\v]*(?://[^\n]*)?\n)*[ \t\r\f\v]*")
_PLAIN_START = re.compile(rb"[A-Za-z0-9_]")


def first_code(source: bytes) -> Clause | None:
    """The file's first line of code after comments and blank lines; None when there is none
    in the first 64 KiB."""
    limit = min(len(source), _LIMIT)
    m = _PLAIN_HEADER.match(source, 0, limit)
    start = m.end() if m is not None else 0
    if m is None or start >= limit or not _PLAIN_START.match(source, start, limit):
        return _first_code_slowly(source)
    nl = source.find(b"\n", start, limit)
    nl = limit if nl < 0 else nl
    code = source[start:nl].decode("latin-1").strip(SPACE)
    clause = _CLAUSE.match(code)
    number = source.count(b"\n", 0, start) + 1
    return Clause(number, min(nl + 1, len(source)), clause.group(1) if clause else None)


def _first_code_slowly(source: bytes) -> Clause | None:
    in_block = False
    pos, limit, number = 0, min(len(source), _LIMIT), 0
    while pos < limit:  # line by line, lazily: the clause is usually within the first lines
        nl = source.find(b"\n", pos, limit)
        nl = limit if nl < 0 else nl
        raw, pos, number = source[pos:nl], nl + 1, number + 1
        code, in_block = strip_comments(raw.decode("latin-1").strip(SPACE), in_block)
        if code:
            m = _CLAUSE.match(code)
            return Clause(number, min(pos, len(source)), m.group(1) if m else None)
    return None
