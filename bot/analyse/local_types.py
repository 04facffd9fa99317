"""The repository's own types, laid out from its sources for one configuration.

A type written in a declaration is resolved the way the compiler would: a name declared in the
package (in the files that build in the configuration) becomes its underlying type, an alias its
target, a qualified name of a standard-library package the facts' layout, of another package of
the repository that package's declaration. Array lengths are evaluated (literals, the package's
constants with ``iota``, arithmetic, ``unsafe.Sizeof`` of a resolved type). What cannot be known
(a type from another module, a generic instantiation) is an ``unknown`` type saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from bot.analyse.package import Package, SourceFile
from bot.golang.abi import (
    Arch,
    GoType,
    array_of,
    basic,
    interface,
    lay_out,
    pointer_to,
    reference,
    slice_of,
    unknown,
)
from bot.golang.syntax import text
from bot.versions import Config

#: import path → the repository's package, if the workspace has it.
FindPackage = Callable[[str], Package | None]
#: qualified standard-library type name → its layout in this configuration, or None.
StdType = Callable[[str], GoType | None]
#: import path → a standard-library package in this version.
IsStd = Callable[[str], bool]


@dataclass
class Resolver:
    """Resolves type syntax of one repository package in one configuration."""

    package: Package
    config: Config
    arch: Arch
    std_type: StdType
    is_std: IsStd
    find_package: FindPackage
    _types: dict[str, GoType] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    _others: dict[str, Resolver] = field(default_factory=dict)

    # Declarations -----------------------------------------------------------------------

    def _spec(self, name: str) -> tuple[SourceFile, Node] | None:
        for f in self.package.files:
            if self.config not in f.configs or f.is_test:
                continue
            spec = f.parsed.spec(name)
            if spec is not None:
                return f, spec
        return None

    def named(self, name: str) -> GoType:
        """A type declared at package level, by name."""
        found = self._types.get(name)
        if found is not None:
            return found
        qualified = f"{self.package.import_path}.{name}"
        if name in self._busy:
            return unknown(f"`{name}` contains itself", qualified)
        spec = self._spec(name)
        if spec is None or spec[1].type not in ("type_spec", "type_alias"):
            t = unknown(f"`{qualified}` is not declared in the files read", qualified)
        else:
            f, node = spec
            self._busy.add(name)
            try:
                if node.child_by_field_name("type_parameters") is not None:
                    t = unknown(f"`{qualified}` is generic", qualified)
                else:
                    t = self.resolve(node.child_by_field_name("type"), f)
                    if node.type == "type_spec":
                        t = t.named(qualified)
            finally:
                self._busy.discard(name)
        self._types[name] = t
        return t

    def _other(self, import_path: str) -> Resolver | None:
        r = self._others.get(import_path)
        if r is None:
            pkg = self.find_package(import_path)
            if pkg is None:
                return None
            r = Resolver(pkg, self.config, self.arch, self.std_type, self.is_std, self.find_package)
            r._others = self._others
            self._others[import_path] = r
        return r

    def qualified(self, import_path: str, name: str) -> GoType:
        full = f"{import_path}.{name}"
        if import_path == "unsafe" and name == "Pointer":
            return basic("unsafe.Pointer", self.arch)
        if self.is_std(import_path):
            t = self.std_type(full)
            return t if t is not None else unknown(f"`{full}` is not in the facts", full)
        other = self._other(import_path)
        if other is not None:
            return other.named(name)
        return unknown(f"`{full}` is from another module or a package not read", full)

    # Types ------------------------------------------------------------------------------

    def resolve(self, node: Node | None, f: SourceFile) -> GoType:
        if node is None:
            return unknown("no type")
        kind = node.type
        if kind in ("type_identifier", "identifier"):
            name = text(node)
            if name in _PREDECLARED:
                return basic(name, self.arch)
            if name == "any":
                return interface(True, self.arch, "any")
            if name == "error":
                return interface(False, self.arch, "error")
            return self.named(name)
        if kind == "qualified_type":
            pkg = text(node.child_by_field_name("package"))
            name = text(node.child_by_field_name("name"))
            path = f.parsed.imports.get(pkg)
            if path is None:
                return unknown(f"`{pkg}` is not imported", f"{pkg}.{name}")
            return self.qualified(path, name)
        if kind == "pointer_type":
            inner = node.named_children[-1] if node.named_children else None
            spelled = " ".join(text(inner).split()) if inner is not None else ""
            return pointer_to(lambda: self.resolve(inner, f), self.arch, spelled)
        if kind == "parenthesized_type":
            return self.resolve(node.named_children[0] if node.named_children else None, f)
        if kind == "slice_type":
            return slice_of(self.arch)
        if kind == "array_type":
            length = self.constant(node.child_by_field_name("length"), f)
            element = self.resolve(node.child_by_field_name("element"), f)
            if length is None:
                written = text(node.child_by_field_name("length"))
                return unknown(f"the array length `{written}` cannot be evaluated")
            return array_of(element, length, self.arch)
        if kind == "map_type":
            return reference("map", self.arch)
        if kind == "channel_type":
            return reference("chan", self.arch)
        if kind == "function_type":
            return reference("func", self.arch)
        if kind == "interface_type":
            return interface(not node.named_children, self.arch)
        if kind == "struct_type":
            return self._struct(node, f)
        if kind == "generic_type":
            return unknown(f"`{' '.join(text(node).split())}` is a generic instantiation")
        return unknown(f"`{' '.join(text(node).split())}` is not understood")

    def _struct(self, node: Node, f: SourceFile) -> GoType:
        members: list[tuple[str, GoType, bool]] = []
        for body in node.named_children:
            for decl in body.named_children:
                if decl.type != "field_declaration":
                    continue
                t = self.resolve(decl.child_by_field_name("type"), f)
                names = [text(x) for x in decl.children_by_field_name("name")]
                if names:
                    members += [(n, t, False) for n in names]
                else:
                    if any(c.type == "*" for c in decl.children):
                        t = self._pointer(decl.child_by_field_name("type"), f)
                    embedded = text(decl.child_by_field_name("type")).rpartition(".")[2]
                    members.append((embedded, t, True))
        return lay_out(members)

    def _pointer(self, inner: Node | None, f: SourceFile) -> GoType:
        spelled = " ".join(text(inner).split()) if inner is not None else ""
        return pointer_to(lambda: self.resolve(inner, f), self.arch, spelled)

    # Constants --------------------------------------------------------------------------

    def constant(self, node: Node | None, f: SourceFile, iota: int | None = None) -> int | None:
        """The value of an integer constant expression, or None."""
        if node is None:
            return None
        kind = node.type
        if kind == "int_literal":
            try:
                return int(text(node).replace("_", ""), 0)
            except ValueError:
                s = text(node).replace("_", "")
                return int(s, 8) if s.startswith("0") and s.isdigit() else None
        if kind == "iota":
            return iota
        if kind == "parenthesized_expression":
            return self.constant(node.named_children[0] if node.named_children else None, f, iota)
        if kind == "identifier":
            return self._const(text(node))
        if kind == "unary_expression":
            v = self.constant(node.child_by_field_name("operand"), f, iota)
            op = text(node.child_by_field_name("operator"))
            if v is None:
                return None
            return {"-": -v, "+": v, "^": ~v}.get(op)
        if kind == "binary_expression":
            a = self.constant(node.child_by_field_name("left"), f, iota)
            b = self.constant(node.child_by_field_name("right"), f, iota)
            if a is None or b is None:
                return None
            return _binary(text(node.child_by_field_name("operator")), a, b)
        if kind == "call_expression":
            return self._sizeof(node, f)
        return None

    def _sizeof(self, node: Node, f: SourceFile) -> int | None:
        fn = text(node.child_by_field_name("function"))
        args = node.child_by_field_name("arguments")
        if args is None or len(args.named_children) != 1:
            return None
        arg = args.named_children[0]
        if fn in ("unsafe.Sizeof", "unsafe.Alignof") and arg.type == "composite_literal":
            t = self.resolve(arg.child_by_field_name("type"), f)
            if t.kind == "unknown":
                return None
            return t.size if fn == "unsafe.Sizeof" else t.align
        return None

    def _const(self, name: str) -> int | None:
        found = self._spec(name)
        if found is None or found[1].type != "const_spec":
            return None
        f, spec = found
        group = spec.parent
        specs = [c for c in group.named_children if c.type == "const_spec"] if group else [spec]
        index = next((i for i, s in enumerate(specs) if s == spec), 0)
        position = next(
            (i for i, n in enumerate(spec.children_by_field_name("name")) if text(n) == name), 0
        )
        for s in reversed(specs[: index + 1]):  # implicit repetition of the last expression list
            values = s.child_by_field_name("value")
            if values is not None:
                exprs = values.named_children
                if position < len(exprs):
                    return self.constant(exprs[position], f, iota=index)
                return None
        return None


_PREDECLARED = frozenset(
    (
        "bool string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
        "float32 float64 complex64 complex128 byte rune"
    ).split()
)


def _binary(op: str, a: int, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%") and b == 0:
        return None
    if op == "/":
        return int(a / b)
    if op == "%":
        return a - int(a / b) * b
    if op == "<<" and 0 <= b < 4096:
        return a << b
    if op == ">>" and b >= 0:
        return a >> b
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&^":
        return a & ~b
    return None


def parameters(resolver: Resolver, node: Node | None, f: SourceFile) -> list[tuple[str, GoType]]:
    """(name, type) of each parameter of a ``parameter_list`` (grouped names expanded; a
    variadic one is a slice)."""
    out: list[tuple[str, GoType]] = []
    if node is None:
        return out
    if node.type != "parameter_list":  # a single unnamed result type
        return [("", resolver.resolve(node, f))]
    for child in node.named_children:
        if child.type == "parameter_declaration":
            t = resolver.resolve(child.child_by_field_name("type"), f)
            names = [text(n) for n in child.children_by_field_name("name")]
            out += [(n, t) for n in names] if names else [("", t)]
        elif child.type == "variadic_parameter_declaration":
            name = child.child_by_field_name("name")
            out.append((text(name) if name is not None else "", slice_of(resolver.arch)))
    return out
