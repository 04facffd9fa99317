"""Linker symbol names: how the toolchain spells a package path and splits a symbol."""

from __future__ import annotations


def symbol_prefix(import_path: str) -> str:
    """``objabi.PathToPrefix``: the linker's spelling of a package path."""
    slash = import_path.rfind("/")
    out = []
    for i, ch in enumerate(import_path):
        if ch <= " " or ch in '%"' or ord(ch) >= 0x7F or (ch == "." and i > slash):
            out.append("%" + format(ord(ch), "02x") if ord(ch) < 0x100 else ch)
        else:
            out.append(ch)
    return "".join(out)


def split_symbol(symbol: str) -> tuple[str, str]:
    """``a/b%2ec.F`` → (``a/b.c``, ``F``); ``runtime.(*m).f`` → (``runtime``, ``(*m).f``)."""
    slash = symbol.rfind("/")
    dot = symbol.find(".", slash + 1)
    if dot < 0:
        return "", symbol
    return symbol[:dot].replace("%2e", ".").replace("%2E", "."), symbol[dot + 1 :]
