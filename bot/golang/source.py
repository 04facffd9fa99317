"""One Go file, read the way the compiler sees what matters for linkname.

``read_file`` parses with tree-sitter and keeps: the package clause, the imports, the
package-level declarations (funcs, vars, consts, types) and methods, every linkname directive and
near miss, and where the parse failed. Signatures are rendered lazily: most declarations are
never asked for one.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from bot.golang.directives import DirectiveText, NearMiss, read_comment
from bot.golang.header import first_code
from bot.golang.signatures import TypeNamer
from bot.golang.syntax import line, parse, text

ObjectKind = Literal["func", "var", "const", "type"]
_MARKER = b"go:linkname"
_VERSION_SUFFIX = re.compile(r"^v[0-9]+$")


@dataclass(frozen=True)
class Decl:
    """A package-level object."""

    name: str
    object: ObjectKind
    line: int
    span: tuple[int, int]  # the declaration's signature lines (func: up to its body's brace)
    defined: bool  # a func with a body, or a var with an initial value
    generic: bool = False


@dataclass(frozen=True)
class Method:
    receiver: str  # base type name, without type arguments
    pointer: bool
    name: str
    line: int
    defined: bool
    generic: bool = False  # the receiver's type has type parameters

    @property
    def symbol_suffix(self) -> str:
        """``T.m`` or ``(*T).m``: the linker's name after the package path."""
        recv = f"(*{self.receiver})" if self.pointer else self.receiver
        return f"{recv}.{self.name}"


@dataclass
class GoFile:
    path: str
    package: str | None
    package_path: str
    imports: dict[str, str]  # local name → import path (dot and blank imports excluded)
    imports_unsafe: bool
    decls: dict[str, Decl]
    methods: list[Method]
    directives: list[DirectiveText]
    near_misses: list[NearMiss]
    error_lines: tuple[int, ...]
    _nodes: dict[str, Node] = field(default_factory=dict, repr=False)
    _spec_nodes: dict[str, Node] = field(default_factory=dict, repr=False)
    _method_nodes: list[Node] = field(default_factory=list, repr=False)
    #: The parsed bytes, to parse again when the node tables were let go (``_held``).
    _source: bytes = field(default=b"", repr=False, compare=False)
    _indexed: bool = field(default=True, repr=False, compare=False)

    @property
    def namer(self) -> TypeNamer:
        return TypeNamer(self.imports, self.package_path)

    def _tables(self) -> tuple[dict[str, Node], dict[str, Node], list[Node]]:
        """The node tables, parsed again (same bytes, same tree) if they were let go. Taken
        under the lock: a review in another thread letting them go replaces them (never
        empties them), so the tables returned stay whole while they are used."""
        with _held_lock:
            if self._indexed:
                _touch(self)
                return self._nodes, self._spec_nodes, self._method_nodes
        again = _read(self.path, self._source, self.package_path)
        tables = again._nodes, again._spec_nodes, again._method_nodes
        with _held_lock:
            self._nodes, self._spec_nodes, self._method_nodes = tables
            self._indexed = True
            _touch(self)
        return tables

    def signature(self, name: str) -> str | None:
        """Canonical signature of a package-level func, or type of a var (None if implicit)."""
        node = self._tables()[0].get(name)
        if node is None:
            return None
        return _signature(self.namer, node)

    def node(self, name: str) -> Node | None:
        """The syntax node of a package-level func (its declaration) or var (its spec)."""
        return self._tables()[0].get(name)

    def spec(self, name: str) -> Node | None:
        """The ``type_spec``/``type_alias``/``const_spec`` node declaring a type or const."""
        return self._tables()[1].get(name)

    def method_signature(self, index: int) -> str:
        """Canonical signature of ``methods[index]`` as a func taking the receiver first."""
        node = self._tables()[2][index]
        namer = self.namer
        recv_list = node.child_by_field_name("receiver")
        recv = namer.parameters(recv_list)
        tparams = _receiver_type_params(recv_list)
        if tparams:
            namer = namer.with_type_params(tparams)
            recv = namer.parameters(recv_list)
        return namer.signature(
            node.child_by_field_name("parameters"),
            node.child_by_field_name("result"),
            receiver=recv[0] if recv else "?",
        )


def package_name_of(import_path: str) -> str:
    """The usual package name of an import path (its last element, minus a ``.vN``/``/vN``)."""
    parts = import_path.split("/")
    last = parts[-1]
    if _VERSION_SUFFIX.match(last) and len(parts) > 1:
        last = parts[-2]
    last = re.sub(r"\.v[0-9]+$", "", last)
    return last.removeprefix("go-").replace("-", "_").replace(".", "_")


#: The files whose syntax trees are in memory, most recently used last. A file's nodes keep
#: its whole tree alive (~20 bytes per byte of source): holding every parsed file's tree is
#: most of a GOROOT-size review's memory. Beyond ``_HELD_MAX`` the least recently used file
#: lets go of its node tables, and parses again if they are asked for.
_HELD_MAX = 16
_held: OrderedDict[int, GoFile] = OrderedDict()
_held_lock = threading.Lock()


def _hold(f: GoFile) -> None:
    with _held_lock:
        _touch(f)


def _touch(f: GoFile) -> None:
    """``f`` is the most recently used; the least recently used beyond ``_HELD_MAX`` let go
    (their tables are replaced, not emptied). Called with ``_held_lock`` held."""
    _held[id(f)] = f
    _held.move_to_end(id(f))
    while len(_held) > _HELD_MAX:
        _, old = _held.popitem(last=False)
        old._nodes, old._spec_nodes, old._method_nodes = {}, {}, []
        old._indexed = False


def read_file(path: str, source: bytes, package_path: str = "") -> GoFile:
    """Parse one Go file; never raises, whatever the bytes."""
    gofile = _read(path, source, package_path)
    _hold(gofile)
    return gofile


def _read(path: str, source: bytes, package_path: str) -> GoFile:
    tree = parse(source)
    root = tree.root_node
    gofile = GoFile(
        path=path,
        package=None,
        package_path=package_path,
        imports={},
        imports_unsafe=False,
        decls={},
        methods=[],
        directives=[],
        near_misses=[],
        error_lines=_error_lines(root) if root.has_error else (),
        _source=source,
    )
    for node in _top_level(root):
        _read_top_level(gofile, node)
    _read_directives(gofile, root, source)
    return gofile


def _top_level(root: Node) -> list[Node]:
    """Top-level nodes, looking inside ERROR nodes for the declarations tree-sitter kept."""
    out: list[Node] = []
    for child in root.children:
        if child.type == "ERROR":
            out.extend(_top_level(child))
        else:
            out.append(child)
    return out


def _read_top_level(f: GoFile, node: Node) -> None:
    kind = node.type
    if kind == "function_declaration":
        name = text(node.child_by_field_name("name"))
        if not name or name in ("_", "init"):  # init funcs are not declared in package scope
            return
        body = node.child_by_field_name("body")
        end = body.start_point[0] + 1 if body is not None else node.end_point[0] + 1
        decl = Decl(
            name,
            "func",
            line(node),
            (line(node), end),
            defined=body is not None,
            generic=node.child_by_field_name("type_parameters") is not None,
        )
        _declare(f, decl, node)
    elif kind == "method_declaration":
        _read_method(f, node)
    elif kind == "var_declaration":
        for spec in _specs(node, "var_spec"):
            value = spec.child_by_field_name("value")
            values = value.named_children if value is not None else []
            names = spec.children_by_field_name("name")
            span = (line(spec), spec.end_point[0] + 1)
            for i, ident in enumerate(names):
                expr = values[i] if len(values) == len(names) else None
                data = has_data(expr) if expr is not None else bool(values)
                _declare(f, Decl(text(ident), "var", line(ident), span, data), spec)
    elif kind in ("const_declaration", "type_declaration"):
        obj: ObjectKind = "const" if kind == "const_declaration" else "type"
        spec_kinds = ("const_spec",) if obj == "const" else ("type_spec", "type_alias")
        for spec in _specs(node, *spec_kinds):
            for ident in spec.children_by_field_name("name"):
                span = (line(spec), spec.end_point[0] + 1)
                _declare(f, Decl(text(ident), obj, line(ident), span, True), None)
                f._spec_nodes.setdefault(text(ident), spec)
    elif kind == "import_declaration":
        for spec in _specs(node, "import_spec"):
            _read_import(f, spec)
    elif kind == "package_clause" and f.package is None:
        f.package = text(node.named_children[0]) if node.named_children else None


_ZERO_LITERALS = {"nil", "false"}


def has_data(expr: Node) -> bool:
    """Whether a var initialised with ``expr`` gets static, non-zero data.

    The compiler puts an all-zero value in BSS: such a var has no data, and a linknamed var
    without data is a reference, not a definition. Anything else counts as data: the compiler's
    static initialisation also folds conversions and small inlinable calls
    (``errors.New("…")``), as measured with the linker.
    """
    kind = expr.type
    if kind in _ZERO_LITERALS:
        return False
    if kind in ("int_literal", "float_literal", "imaginary_literal"):
        digits = text(expr).replace("_", "").lower().rstrip("i")
        return any(c not in "0.xobe+-p" for c in digits) or "0" not in digits
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return len(text(expr)) > 2
    if kind == "parenthesized_expression" and expr.named_children:
        return has_data(expr.named_children[0])
    if kind == "composite_literal":
        of = expr.child_by_field_name("type")
        if of is not None and of.type == "slice_type":
            return True  # a non-nil slice header, even when empty
        if of is not None and of.type == "map_type":
            return False  # maps are made at run time
        body = expr.child_by_field_name("body")
        elements = body.named_children if body is not None else []
        return any(_element_has_data(e) for e in elements)
    return True


def _element_has_data(element: Node) -> bool:
    if element.type == "comment":
        return False
    if element.type == "keyed_element":
        value = element.named_children[-1] if element.named_children else None
    else:
        value = element.named_children[0] if element.named_children else element
    while value is not None and value.type in ("literal_element", "literal_value"):
        if value.type == "literal_value":
            return any(_element_has_data(e) for e in value.named_children)
        value = value.named_children[0] if value.named_children else None
    return value is not None and has_data(value)


def _specs(node: Node, *kinds: str) -> list[Node]:
    out: list[Node] = []
    for child in node.named_children:
        if child.type in kinds:
            out.append(child)
        elif child.type.endswith("_list"):
            out.extend(c for c in child.named_children if c.type in kinds)
    return out


def _declare(f: GoFile, decl: Decl, node: Node | None) -> None:
    if decl.name == "_" or decl.name in f.decls:
        return
    f.decls[decl.name] = decl
    if node is not None:
        f._nodes[decl.name] = node


def _read_import(f: GoFile, spec: Node) -> None:
    path_node = spec.child_by_field_name("path")
    path = text(path_node).strip('"`')
    if path == "unsafe":
        f.imports_unsafe = True
    name_node = spec.child_by_field_name("name")
    name = text(name_node) if name_node is not None else package_name_of(path)
    if name not in ("_", "."):
        f.imports[name] = path


def _read_method(f: GoFile, node: Node) -> None:
    recv_list = node.child_by_field_name("receiver")
    params = [
        p
        for p in (recv_list.named_children if recv_list else [])
        if p.type == "parameter_declaration"
    ]
    if not params:
        return
    rtype = params[0].child_by_field_name("type")
    pointer = False
    while rtype is not None and rtype.type in ("pointer_type", "parenthesized_type"):
        pointer = pointer or rtype.type == "pointer_type"
        rtype = rtype.named_children[-1] if rtype.named_children else None
    generic = rtype is not None and rtype.type == "generic_type"
    if rtype is not None and generic:
        rtype = rtype.child_by_field_name("type")
    name = text(node.child_by_field_name("name"))
    if rtype is None or not name:
        return
    method = Method(
        text(rtype),
        pointer,
        name,
        line(node),
        node.child_by_field_name("body") is not None,
        generic,
    )
    f.methods.append(method)
    f._method_nodes.append(node)


def _receiver_type_params(recv_list: Node | None) -> frozenset[str]:
    if recv_list is None:
        return frozenset()
    names: set[str] = set()
    for p in recv_list.named_children:
        t = p.child_by_field_name("type")
        while t is not None and t.type in ("pointer_type", "parenthesized_type"):
            t = t.named_children[-1] if t.named_children else None
        if t is not None and t.type == "generic_type":
            args = t.child_by_field_name("type_arguments")
            for a in args.named_children if args is not None else []:
                names.add(text(a))
    return frozenset(names)


def _signature(namer: TypeNamer, node: Node) -> str | None:
    if node.type == "function_declaration":
        tparams = node.child_by_field_name("type_parameters")
        if tparams is not None:
            names = frozenset(
                text(i) for d in tparams.named_children for i in d.children_by_field_name("name")
            )
            namer = namer.with_type_params(names)
        return namer.signature(
            node.child_by_field_name("parameters"), node.child_by_field_name("result")
        )
    t = node.child_by_field_name("type")
    return namer.type(t) if t is not None else None


def _read_directives(f: GoFile, root: Node, source: bytes) -> None:
    seen: set[int] = set()
    start = source.find(_MARKER)
    while start >= 0:
        node = root.descendant_for_byte_range(start, start + len(_MARKER))
        if node is not None and node.type == "comment" and node.start_byte not in seen:
            seen.add(node.start_byte)
            row, col = node.start_point
            line_start = source.rfind(b"\n", 0, node.start_byte) + 1
            alone = source[line_start : node.start_byte].strip() == b""
            found = read_comment(text(node), row + 1, col + 1, alone)
            if isinstance(found, DirectiveText):
                f.directives.append(found)
            elif isinstance(found, NearMiss):
                f.near_misses.append(found)
        start = source.find(_MARKER, start + len(_MARKER))


def _error_lines(node: Node) -> tuple[int, ...]:
    """Lines where tree-sitter found ERROR or MISSING nodes (descends only into broken parts)."""
    out: list[int] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            out.append(line(n))
            continue
        stack.extend(c for c in n.children if c.has_error)
    return tuple(sorted(set(out)))


def package_clause(source: bytes) -> str | None:
    """The package name, read without parsing: skips comments up to the ``package`` keyword."""
    clause = first_code(source)
    return clause.name if clause is not None else None
