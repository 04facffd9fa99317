"""The tree-sitter Go parser, shared, and small helpers over its nodes."""

from __future__ import annotations

import threading

import tree_sitter
import tree_sitter_go

LANGUAGE = tree_sitter.Language(tree_sitter_go.language())
_local = threading.local()


def parse(source: bytes) -> tree_sitter.Tree:
    """Parse Go source; never raises on bad input (broken parts become ERROR nodes)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(LANGUAGE)
    return parser.parse(source)


def text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def line(node: tree_sitter.Node) -> int:
    """1-based line of the node's start."""
    return node.start_point[0] + 1
