"""Symbols a Go assembly (.s) file defines: ``TEXT`` (functions) and ``GLOBL`` (data).

``TEXT ·name(SB)`` defines ``<package>.name``; ``TEXT pkg·name(SB)`` defines ``pkg.name`` with
``∕`` (U+2215) standing for ``/`` in the path. ABI selectors are dropped from the name, and a
``<ABIInternal>`` definition is reported as such (it has no ABI wrapper). File-local symbols
(``name<>``), names without a package (``_rt0_amd64_linux``, C symbols) and names built by
macros are not Go symbols and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from bot.golang.symbols import symbol_prefix

AsmKind = Literal["func", "var"]

_DEF = re.compile(r"^[ \t]*(TEXT|GLOBL)[ \t]+([^\s(,]+)\(SB\)", re.MULTILINE)
_ABI = re.compile(r"<(ABI0|ABIInternal)>$")
_NAME = re.compile(r"^[\w/.∕\-]*·\w+$")


_MACRO = re.compile(r"^#define[ \t]+(\w+)\([ \t]*(\w+)[^)]*\)((?:[^\n]*\\\n)*[^\n]*)", re.M)


def _definitions(source: str) -> Iterator[tuple[str, str]]:
    """(TEXT or GLOBL, symbol as written), including those made by macros such as
    ``#define CALLFN(NAME,MAXSIZE) TEXT NAME(SB)…`` at each ``CALLFN(·call16, 16)``."""
    for m in _DEF.finditer(source):
        yield m[1], m[2]
    for macro, param, body in _MACRO.findall(source):
        kind = re.search(rf"\b(TEXT|GLOBL)[ \t]+{param}\(SB\)", body)
        if kind is None:
            continue
        for call in re.finditer(rf"^[ \t]*{macro}\([ \t]*([^\s,)]+)", source, re.M):
            yield kind[1], call[1]


def asm_symbols(source: str, import_path: str) -> Iterator[tuple[str, AsmKind, bool]]:
    """(linker symbol, func or var, defined as ABIInternal) for each definition in a .s file."""
    own = symbol_prefix(import_path)
    for directive, written in _definitions(_strip_comments(source)):
        internal = written.endswith("<ABIInternal>")
        name = _ABI.sub("", written)
        if name.endswith("<>") or not _NAME.match(name):
            continue
        pkg, _, local = name.partition("·")
        prefix = own if not pkg else symbol_prefix(pkg.replace("∕", "/"))
        yield f"{prefix}.{local}", "func" if directive == "TEXT" else "var", internal


def _strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", source)
