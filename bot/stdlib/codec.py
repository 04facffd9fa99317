"""The compact on-disk form of one Go version's facts, and back.

The registry stores the tables every version shares once (``COMMON``: names, signatures, shame
lists; see ``split``/``join`` below) and one file per version whose rows are aligned with the
shared names. ``bot.stdlib.generate`` produces the *standalone* document of one version, and
``join`` restores it exactly from the registry's two files.

A standalone document is gzip'd JSON (``mtime`` 0, keys sorted, so the bytes are reproducible)::

    {"format": 2, "go": "go1.23.9", "minor": 23, "platforms": [...], "packages": [...],
     "blocked": {symbol: [package, ...]} | null, "builtin_refs": {symbol: abi} | null,
     "sets": ["hex mask", ...], "shame": [[package, ...], ...],
     "names": "symbol\\n...", "rows": "row\\n...", "signatures": "text\\n...",
     "variants": {"race": {"platforms": [...], "names": "...", "rows": "..."}, ...}}

``platforms`` is every port the facts cover (all that ``go tool dist list`` prints). What is
common to many ports is stored once: a row names each *set* of ports by its index in ``sets``
(a hex bit mask over ``platforms``, bit i = ``platforms[i]``), and the per-port differences of a
symbol are the sets its fields name. Symbols, rows and signatures are newline-joined strings
(``names`` sorted, ``rows`` in the same order), which parse several times faster than JSON
objects. A row is decoded only when its symbol is asked for::

    kind | exists | go | body | asm | asm_internal | marked | std | flags | signatures | shame

``kind`` is ``f``/``v``/``m``; the next seven fields index ``sets`` (empty: no port);
``flags`` holds ``g`` for generic; ``signatures`` is ``i`` (index into the signature table, the
same wherever it is declared) or ``i:set,j:set``; ``shame`` indexes the shame table. Trailing
empty fields are dropped.

``variants`` are the sanitizer builds (``-race``, ``-msan``, ``-asan``, with the tag on) on the
``platforms`` that support them, as deltas: the rows of the symbols whose row differs from the
plain build's (``-`` for a symbol the variant build does not have). The plain rows stand for
every other symbol, and on the ports the sanitizer does not support.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

FORMAT = 2
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


# Shared tables ------------------------------------------------------------------------------
#
# Most symbols and signatures are the same in every version: the registry stores the union of
# the versions' symbol names, signature texts and shame lists once (``COMMON``), and each
# version's file holds its rows *aligned* with the common names (an empty row: the version does
# not have the symbol), its signature and shame fields indexing the common tables. ``split``
# turns standalone documents (``bot.stdlib.generate``) into that form; ``join`` turns one back
# into the exact standalone document.

COMMON = "common.json.gz"
_SIG, _SHAME = 9, 10


def _remap_row(row: str, sigs: Any, shame: Any) -> str:
    """``row`` with its signature and shame indices passed through ``sigs`` / ``shame``."""
    if row in ("", "-"):
        return row
    f = row.split("|")
    if len(f) > _SIG and f[_SIG]:
        parts = []
        for part in f[_SIG].split(","):
            index, colon, plats = part.partition(":")
            parts.append(f"{sigs(int(index))}{colon}{plats}")
        f[_SIG] = ",".join(parts)
    if len(f) > _SHAME and f[_SHAME]:
        f[_SHAME] = str(shame(int(f[_SHAME])))
    return "|".join(f)


def _remap_variants(variants: Mapping[str, Any], remap: Callable[[str], str]) -> dict[str, Any]:
    return {
        setting: {
            **delta,
            "rows": "\n".join(map(remap, delta["rows"].split("\n"))) if delta["names"] else "",
        }
        for setting, delta in variants.items()
    }


class _Table:
    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def add(self, key: Any) -> int:
        if key not in self.index:
            self.index[key] = len(self.index)
        return self.index[key]


def split(documents: Mapping[int, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[int, Any]]:
    """Standalone documents → (the common tables, the per-version documents using them)."""
    names = sorted({n for d in documents.values() if d["names"] for n in d["names"].split("\n")})
    sig_table, shame_table = _Table(), _Table()
    out: dict[int, Any] = {}
    for minor, doc in sorted(documents.items()):
        local_sigs = doc["signatures"].split("\n")
        local_shame = [tuple(x) for x in doc["shame"]]

        def remap(row: str, s: list[str] = local_sigs, h: list[Any] = local_shame) -> str:
            return _remap_row(row, lambda i: sig_table.add(s[i]), lambda i: shame_table.add(h[i]))

        rows = dict(zip(doc["names"].split("\n"), doc["rows"].split("\n"), strict=True))
        version = {k: v for k, v in doc.items() if k not in ("names", "signatures", "shame")}
        version["rows"] = "\n".join(remap(rows[n]) if n in rows else "" for n in names)
        version["variants"] = _remap_variants(doc["variants"], remap)
        out[minor] = version
    common = {
        "format": FORMAT,
        "names": "\n".join(names),
        "signatures": "\n".join(sig_table.index),
        "shame": [list(k) for k in shame_table.index],
    }
    return common, out


def join(common: Mapping[str, Any], version: Mapping[str, Any]) -> dict[str, Any]:
    """The standalone document of one version (its own tables, in first-use order)."""
    common_sigs = common["signatures"].split("\n")
    common_shame = [tuple(x) for x in common["shame"]]
    sig_table, shame_table = _Table(), _Table()

    def remap(row: str) -> str:
        return _remap_row(
            row,
            lambda i: sig_table.add(common_sigs[i]),
            lambda i: shame_table.add(common_shame[i]),
        )

    names, rows = [], []
    for name, row in zip(common["names"].split("\n"), version["rows"].split("\n"), strict=True):
        if row:
            names.append(name)
            rows.append(remap(row))
    doc = {k: v for k, v in version.items() if k != "rows"}
    doc["variants"] = _remap_variants(version["variants"], remap)
    doc["names"] = "\n".join(names)
    doc["rows"] = "\n".join(rows)
    doc["signatures"] = "\n".join(sig_table.index)
    doc["shame"] = [list(k) for k in shame_table.index]
    return doc
