"""Which struct a field read selects: ``x.F`` typed as far as its file says, no type checker.

A mirrored struct whose field sits at another offset than the runtime's misreads only where the
code reads that field. ``owners_of_reads`` answers, for one file, whose field ``F`` each
``x.F`` selects: the bare name of ``x``'s struct type when the file declares it (a receiver, a
parameter, a ``var``, a ``:=`` of a conversion ``(*T)(p)`` or a literal ``&T{}``), ``None``
when it cannot tell. Callers treat ``None`` as "might be any struct": an unknown read keeps an
error an error.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from bot.golang.syntax import parse, text

_FUNCS = ("function_declaration", "method_declaration", "func_literal")


def mentions(source: bytes, field: str) -> bool:
    """Whether ``source`` may select ``field`` (a cheap test before parsing)."""
    return re.search(rb"\.\s*" + re.escape(field.encode()) + rb"\b", source) is not None


def owners_of_reads(source: bytes, field: str) -> set[str | None]:
    """For every ``x.field`` in ``source``, the type of ``x`` as the file spells it (``T`` or
    ``pkg.T``; ``None``: unknown)."""
    owners: set[str | None] = set()
    stack = [parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.type == "selector_expression":
            name = node.child_by_field_name("field")
            operand = node.child_by_field_name("operand")
            if name is not None and text(name) == field and operand is not None:
                owners.add(_type_of(operand))
        stack.extend(node.children)
    return owners


def _type_of(expr: Node) -> str | None:
    """The bare struct name ``expr`` has, when the file says so plainly."""
    kind = expr.type
    if kind == "parenthesized_expression":
        inner = expr.named_children
        return _type_of(inner[0]) if len(inner) == 1 else None
    if kind == "unary_expression" and text(expr.child_by_field_name("operator")) in ("&", "*"):
        operand = expr.child_by_field_name("operand")
        return _type_of(operand) if operand is not None else None
    if kind == "composite_literal":
        return _type_name(expr.child_by_field_name("type"))
    if kind == "call_expression":
        return _conversion(expr.child_by_field_name("function"))
    if kind == "identifier":
        return _declared_type(expr)
    return None


def _conversion(function: Node | None) -> str | None:
    """``(*T)(p)`` converts: its type is T. ``T(p)`` may be a call; unknown."""
    if function is None or function.type != "parenthesized_expression":
        return None
    inner = function.named_children
    if len(inner) != 1:
        return None
    star = inner[0]
    if star.type == "unary_expression" and text(star.child_by_field_name("operator")) == "*":
        return _type_name(star.child_by_field_name("operand"))
    return _type_name(star) if star.type in ("pointer_type", "qualified_type") else None


def _type_name(node: Node | None) -> str | None:
    """``T``, ``*T``, ``T[X]`` → ``T``; ``pkg.T`` → ``pkg.T``; anything else → None."""
    while node is not None and node.type in ("pointer_type", "parenthesized_type"):
        node = node.named_children[-1] if node.named_children else None
    if node is None:
        return None
    if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "*":
        return _type_name(node.child_by_field_name("operand"))
    if node.type in ("type_identifier", "identifier"):
        return text(node)
    if node.type == "qualified_type":
        return text(node).replace(" ", "")
    if node.type == "selector_expression":
        return text(node).replace(" ", "") if node.named_children[0].type == "identifier" else None
    if node.type == "generic_type":
        return _type_name(node.child_by_field_name("type"))
    return None


def _declared_type(ident: Node) -> str | None:
    """The type an identifier is declared with in its enclosing functions (nearest first),
    then at the top of the file; None when not found or declared by an untyped expression."""
    name = text(ident)
    node = ident.parent
    while node is not None:
        if node.type in _FUNCS or node.type == "source_file":
            found = _declared_in(node, name)
            if found is not _NOT_FOUND:
                return found if isinstance(found, str) else None
        node = node.parent
    return None


_NOT_FOUND = object()


def _declared_in(scope: Node, name: str) -> object:
    """``name``'s type in ``scope`` (receiver, parameters, ``var``, ``:=``), not descending
    into nested functions; ``_NOT_FOUND`` when not declared there, None when untyped."""
    types: set[str | None] = set()
    stack = list(scope.children)
    while stack:
        node = stack.pop()
        if node.type in _FUNCS:
            continue  # a nested function has its own scope
        if node.type in ("parameter_declaration", "var_spec"):
            names = [text(c) for c in node.children_by_field_name("name")]
            if name in names:
                t = node.child_by_field_name("type")
                if t is not None:
                    types.add(_type_name(t))
                else:
                    values = node.child_by_field_name("value")
                    types.add(_positional(values, names.index(name)))
        elif node.type == "short_var_declaration":
            left = node.child_by_field_name("left")
            names = [text(c) for c in left.named_children] if left is not None else []
            if name in names:
                types.add(_positional(node.child_by_field_name("right"), names.index(name)))
        stack.extend(node.children)
    if not types:
        return _NOT_FOUND
    return types.pop() if len(types) == 1 else None


def _positional(values: Node | None, index: int) -> str | None:
    if values is None:
        return None
    items = values.named_children if values.type == "expression_list" else [values]
    return _type_of(items[index]) if index < len(items) else None
