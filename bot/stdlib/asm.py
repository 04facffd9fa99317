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

from bot.analyse.directives import symbol_prefix

AsmKind = Literal["func", "var"]

_DEF = re.compile(r"^[ \t]*(TEXT|GLOBL)[ \t]+([^\s(,]+)\(SB\)", re.MULTILINE)
_ABI = re.compile(r"<(ABI0|ABIInternal)>$")
_NAME = re.compile(r"^[\w/.∕\-]*·\w+$")


def asm_symbols(source: str, import_path: str) -> Iterator[tuple[str, AsmKind, bool]]:
    """(linker symbol, func or var, defined as ABIInternal) for each definition in a .s file."""
    own = symbol_prefix(import_path)
    for m in _DEF.finditer(_strip_comments(source)):
        internal = m[2].endswith("<ABIInternal>")
        name = _ABI.sub("", m[2])
        if name.endswith("<>") or not _NAME.match(name):
            continue
        pkg, _, local = name.partition("·")
        prefix = own if not pkg else symbol_prefix(pkg.replace("∕", "/"))
        yield f"{prefix}.{local}", "func" if m[1] == "TEXT" else "var", internal


def _strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", source)
