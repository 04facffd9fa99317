"""Whether the code uses what a function returns: a call as a statement discards its results.

A pull that declares results its target does not return reads garbage only where a caller uses
them. ``uses_results`` answers for one file: does any mention of the function ``name`` do
anything but call it as a statement (``f(x)``, ``go f(x)``, ``defer f(x)``)? Every other
mention counts as a use: an assignment, an argument, a function value, or a local that shadows
the name. No type checker: an unknown mention keeps an error an error.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from bot.golang.syntax import parse, text

_STATEMENTS = ("expression_statement", "go_statement", "defer_statement")
_DECLARATIONS = ("function_declaration", "method_declaration")


def mentions_name(source: bytes, name: str) -> bool:
    """Whether ``source`` may mention ``name`` (a cheap test before parsing)."""
    return re.search(rb"\b" + re.escape(name.encode()) + rb"\b", source) is not None


def uses_results(source: bytes, name: str) -> bool:
    """Whether a mention of ``name`` (as ``name`` or ``pkg.name``) in ``source`` uses the
    function's results, or may."""
    stack = [parse(source).root_node]
    while stack:
        node = stack.pop()
        named = node.type in ("identifier", "field_identifier") and text(node) == name
        if named and not _declares(node) and not _discarded(node):
            return True
        stack.extend(node.children)
    return False


def _declares(node: Node) -> bool:
    """``node`` is the name of a function or method declaration."""
    parent = node.parent
    return (
        parent is not None
        and parent.type in _DECLARATIONS
        and parent.child_by_field_name("name") == node
    )


def _discarded(node: Node) -> bool:
    """``node`` names the function of a call whose results nobody receives."""
    callee = node
    parent = node.parent
    if parent is not None and parent.type == "selector_expression":
        if parent.child_by_field_name("field") != node:
            return False
        callee, parent = parent, parent.parent
    if parent is None or parent.type != "call_expression":
        return False
    if parent.child_by_field_name("function") != callee:
        return False
    statement = parent.parent
    return statement is not None and statement.type in _STATEMENTS
