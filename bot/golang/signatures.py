"""Canonical text of Go types and func signatures, comparable across packages and versions.

Parameter and result names are dropped, grouped names expanded, variadics and results kept.
Qualified names are resolved through the file's imports to full import paths, and types declared
in the package itself are qualified with its import path, so ``func(*g) bool`` written in
``runtime`` and ``func(*runtime.g) bool`` mean the same text. ``byte``/``rune``/``any`` are spelled
as the types they alias.
"""

from __future__ import annotations

from collections.abc import Mapping

from tree_sitter import Node

from bot.golang.syntax import text

PREDECLARED = frozenset(
    (
        "bool string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
        "float32 float64 complex64 complex128 error comparable"
    ).split()
)
ALIASES = {"byte": "uint8", "rune": "int32", "any": "interface{}"}


class TypeNamer:
    """Renders type nodes of one file in canonical form."""

    def __init__(
        self,
        imports: Mapping[str, str],
        package_path: str,
        type_params: frozenset[str] = frozenset(),
    ) -> None:
        self.imports = imports
        self.package_path = package_path
        self.type_params = type_params

    def with_type_params(self, names: frozenset[str]) -> TypeNamer:
        return TypeNamer(self.imports, self.package_path, self.type_params | names)

    def type(self, node: Node | None) -> str:
        if node is None:
            return "?"
        kind = node.type
        render = _RENDER.get(kind)
        if render is not None:
            return render(self, node)
        return " ".join(text(node).split())

    def identifier(self, name: str) -> str:
        if name in ALIASES:
            return ALIASES[name]
        if name in PREDECLARED or name in self.type_params:
            return name
        return f"{self.package_path}.{name}" if self.package_path else name

    def qualified(self, node: Node) -> str:
        pkg = text(node.child_by_field_name("package"))
        name = text(node.child_by_field_name("name"))
        return f"{self.imports.get(pkg, pkg)}.{name}"

    def parameters(self, node: Node | None) -> list[str]:
        """Types of a parameter_list, one per parameter (grouped names expanded)."""
        out: list[str] = []
        if node is None:
            return out
        for child in node.named_children:
            if child.type == "parameter_declaration":
                t = self.type(child.child_by_field_name("type"))
                names = len(child.children_by_field_name("name"))
                out.extend([t] * max(names, 1))
            elif child.type == "variadic_parameter_declaration":
                out.append("..." + self.type(child.child_by_field_name("type")))
        return out

    def signature(
        self, params: Node | None, result: Node | None, receiver: str | None = None
    ) -> str:
        """``func(P, ...Q) R`` or ``func(P) (R, S)``; the receiver, if given, comes first."""
        ps = self.parameters(params)
        if receiver is not None:
            ps.insert(0, receiver)
        sig = f"func({', '.join(ps)})"
        if result is None:
            return sig
        if result.type == "parameter_list":
            rs = self.parameters(result)
            if not rs:
                return sig
            return f"{sig} {rs[0]}" if len(rs) == 1 else f"{sig} ({', '.join(rs)})"
        return f"{sig} {self.type(result)}"


def _type_identifier(n: TypeNamer, node: Node) -> str:
    return n.identifier(text(node))


def _pointer(n: TypeNamer, node: Node) -> str:
    return "*" + n.type(node.named_children[-1] if node.named_children else None)


def _slice(n: TypeNamer, node: Node) -> str:
    return "[]" + n.type(node.child_by_field_name("element"))


def _array(n: TypeNamer, node: Node) -> str:
    length = " ".join(text(node.child_by_field_name("length")).split())
    return f"[{length}]" + n.type(node.child_by_field_name("element"))


def _map(n: TypeNamer, node: Node) -> str:
    key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
    return f"map[{n.type(key)}]{n.type(value)}"


def _channel(n: TypeNamer, node: Node) -> str:
    tokens = [c.type for c in node.children if not c.is_named]
    value = n.type(node.child_by_field_name("value"))
    if tokens[:1] == ["<-"]:
        return f"<-chan {value}"
    if "<-" in tokens:
        return f"chan<- {value}"
    return f"chan {value}"


def _function(n: TypeNamer, node: Node) -> str:
    return n.signature(node.child_by_field_name("parameters"), node.child_by_field_name("result"))


def _struct(n: TypeNamer, node: Node) -> str:
    fields: list[str] = []
    for body in node.named_children:
        for f in body.named_children:
            if f.type != "field_declaration":
                continue
            t = n.type(f.child_by_field_name("type"))
            tag = f.child_by_field_name("tag")
            suffix = f" {text(tag)}" if tag is not None else ""
            names = [text(x) for x in f.children_by_field_name("name")]
            embedded = "*" if any(c.type == "*" for c in f.children) and not names else ""
            if names:
                fields.extend(f"{name} {t}{suffix}" for name in names)
            else:
                fields.append(f"{embedded}{t}{suffix}")
    return "struct{" + "; ".join(fields) + "}"


def _interface(n: TypeNamer, node: Node) -> str:
    elems: list[str] = []
    for e in node.named_children:
        if e.type == "method_elem":
            sig = n.signature(e.child_by_field_name("parameters"), e.child_by_field_name("result"))
            elems.append(text(e.child_by_field_name("name")) + sig.removeprefix("func"))
        elif e.type != "comment":
            elems.append(" | ".join(n.type(c) for c in e.named_children) or n.type(e))
    return "interface{" + "; ".join(elems) + "}"


def _generic(n: TypeNamer, node: Node) -> str:
    base = n.type(node.child_by_field_name("type"))
    args = node.child_by_field_name("type_arguments")
    rendered = [
        n.type(a.named_children[0] if a.named_children else a)
        for a in (args.named_children if args is not None else [])
    ]
    return f"{base}[{', '.join(rendered)}]"


def _parenthesized(n: TypeNamer, node: Node) -> str:
    return n.type(node.named_children[0] if node.named_children else None)


def _type_elem(n: TypeNamer, node: Node) -> str:
    return " | ".join(n.type(c) for c in node.named_children)


_RENDER = {
    "type_identifier": _type_identifier,
    "identifier": _type_identifier,
    "qualified_type": TypeNamer.qualified,
    "pointer_type": _pointer,
    "slice_type": _slice,
    "array_type": _array,
    "implicit_length_array_type": _array,
    "map_type": _map,
    "channel_type": _channel,
    "function_type": _function,
    "struct_type": _struct,
    "interface_type": _interface,
    "generic_type": _generic,
    "parenthesized_type": _parenthesized,
    "type_elem": _type_elem,
}


def _split_top(text: str) -> list[str]:
    """Split a canonical list on the commas outside brackets."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    last = text[start:].strip()
    return [*out, last] if last else out


def split_signature(signature: str) -> tuple[list[str], list[str]] | None:
    """``func(A, B) (R, S)`` → (["A", "B"], ["R", "S"]); None when not a func signature."""
    if not signature.startswith("func("):
        return None
    depth = 0
    for i in range(4, len(signature)):
        depth += {"(": 1, ")": -1}.get(signature[i], 0)
        if depth == 0:
            params, rest = signature[5:i], signature[i + 1 :].strip()
            break
    else:
        return None
    if rest.startswith("(") and rest.endswith(")"):
        results = _split_top(rest[1:-1])
    else:
        results = [rest] if rest else []
    return _split_top(params), results


def pointer_shaped(t: str) -> bool:
    """One pointer word the garbage collector sees: ``*T``, ``unsafe.Pointer``, maps, chans
    and funcs."""
    return t == "unsafe.Pointer" or t.startswith(
        ("*", "map[", "chan ", "chan<-", "<-chan", "func(")
    )


def _compatible(a: str, b: str) -> bool:
    """Equal, or an opaque ``unsafe.Pointer`` for a pointer-shaped type. A pointer to a
    mirrored struct (``*mine.hiter`` for ``*reflect.hiter``) is not: its layout may differ."""
    if a == b:
        return True
    return (a == "unsafe.Pointer" and pointer_shaped(b)) or (
        b == "unsafe.Pointer" and pointer_shaped(a)
    )


def abi_stand_in(local: str, remote: str) -> bool:
    """Whether ``local`` differs from ``remote`` only by ``unsafe.Pointer`` standing in for
    pointer-shaped types (``*runtime.g``): same parameters and results, position by position,
    so the call works at run time though the declaration hides the real type."""
    if local == remote:
        return False
    a, b = split_signature(local), split_signature(remote)
    if a is None or b is None:
        return a is None and b is None and _compatible(local, remote)
    (pa, ra), (pb, rb) = a, b
    return (
        len(pa) == len(pb)
        and len(ra) == len(rb)
        and all(_compatible(x, y) for x, y in zip(pa + ra, pb + rb, strict=True))
    )
