"""The compact on-disk form of one Go version's facts, and back.

A data file is gzip'd JSON (``mtime`` 0, keys sorted, so the bytes are reproducible)::

    {"format": 1, "go": "go1.23.9", "minor": 23, "platforms": [...], "packages": [...],
     "blocked": {symbol: [package, ...]} | null, "shame": [[package, ...], ...],
     "names": "symbol\\n...", "rows": "row\\n...", "signatures": "text\\n..."}

Symbols, rows and signatures are newline-joined strings (``names`` sorted, ``rows`` in the same
order), which parse several times faster than JSON objects. A row is decoded only when its
symbol is asked for::

    kind | exists | go | body | asm | asm_internal | marked | std | flags | signatures | shame

``kind`` is ``f``/``v``/``m``; the next seven fields are platform bit masks in hex (bit i =
``platforms[i]``); ``flags`` holds ``g`` for generic; ``signatures`` is ``i`` (index into the
signature table, the same on every platform) or ``i:mask,j:mask``; ``shame`` indexes the shame
table. Trailing empty fields are dropped.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from typing import Any

FORMAT = 1
KINDS = {"func": "f", "var": "v", "method": "m"}
_KIND_NAMES = {v: k for k, v in KINDS.items()}


def mask(platforms: frozenset[str], order: Sequence[str]) -> str:
    bits = sum(1 << i for i, p in enumerate(order) if p in platforms)
    return format(bits, "x") if bits else ""


def unmask(text: str, order: Sequence[str]) -> frozenset[str]:
    if not text:
        return frozenset()
    bits = int(text, 16)
    return frozenset(p for i, p in enumerate(order) if bits >> i & 1)


def dump(document: Mapping[str, Any]) -> bytes:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def load(data: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(data))
    if document.get("format") != FORMAT:
        raise ValueError(f"unsupported standard-library facts format {document.get('format')!r}")
    return document


def kind_char(kind: str) -> str:
    return KINDS[kind]


def kind_name(char: str) -> str:
    return _KIND_NAMES[char]
