"""Go values as the gc compiler lays them out and passes them, per GOARCH.

A ``GoType`` is a type reduced to what the machine sees: its kind, size and alignment, a struct's
fields at their offsets, an array's element and length, and (lazily) a pointer's target. Named
types keep their name for messages; aliases are their targets. ``words`` flattens a value into
the machine words the register ABI assigns (a string is a data pointer and a length, a slice
adds a capacity, an interface is two pointers, a struct passed by value is its fields in order,
funcs, maps and chans are one pointer); ``leaves`` does the same for a value in memory, where a
large array stays one block. Sizes and alignment follow ``types.SizesFor("gc", GOARCH)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal[
    "bool",
    "int",
    "uintptr",
    "float",
    "complex",
    "string",
    "unsafe",
    "pointer",
    "slice",
    "interface",
    "func",
    "map",
    "chan",
    "array",
    "struct",
    "unknown",
]


@dataclass(frozen=True)
class Arch:
    """``types.SizesFor("gc", goarch)``: the word size and the largest alignment."""

    name: str
    word: int
    max_align: int


_32_BIT = frozenset(("386", "arm", "mips", "mipsle", "wasm32"))


def arch_of(platform: str) -> Arch:
    """``linux/386`` → Arch("386", 4, 4); 64-bit ports have 8 and 8."""
    goarch = platform.rpartition("/")[2]
    if goarch in _32_BIT:
        return Arch(goarch, 4, 4)
    return Arch(goarch, 8, 8)


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    type: GoType
    embedded: bool = False


@dataclass(frozen=True, eq=False)
class GoType:
    """A type laid out for one GOARCH. ``name`` spells it for messages."""

    kind: Kind
    size: int
    align: int
    name: str = ""
    signed: bool = False
    element: GoType | None = None  # arrays
    length: int = 0
    fields: tuple[Field, ...] = ()
    target: Callable[[], GoType] | None = field(default=None, repr=False)  # pointers
    target_name: str = ""  # a pointer's target as spelled, when known without resolving
    why: str = ""  # unknown: why the layout cannot be known
    empty: bool = False  # interface: without methods

    def named(self, name: str) -> GoType:
        return replace(self, name=name)

    def spell(self) -> str:
        if self.name:
            return self.name
        if self.kind == "pointer":
            return "*" + (self.target_name or "…")
        if self.kind == "array" and self.element is not None:
            return f"[{self.length}]{self.element.spell()}"
        if self.kind == "struct":
            return "struct{…}" if self.fields else "struct{}"
        return self.kind


_SIZES = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "float32": 4,
    "int64": 8,
    "uint64": 8,
    "float64": 8,
    "complex64": 8,
    "complex128": 16,
}
ALIASES = {"byte": "uint8", "rune": "int32"}


def basic(name: str, arch: Arch) -> GoType:
    """A predeclared type (``byte``/``rune`` as their aliases), ``unsafe.Pointer`` or ``string``."""
    name = ALIASES.get(name, name)
    w = arch.word
    if name in ("int", "uint"):
        return GoType("int", w, w, name, signed=name == "int")
    if name == "uintptr":
        return GoType("uintptr", w, w, name)
    if name == "unsafe.Pointer":
        return GoType("unsafe", w, w, name)
    if name == "string":
        return GoType("string", 2 * w, w, name)
    size = _SIZES.get(name)
    if size is None:
        return unknown(f"`{name}` is not a basic type", name)
    if name == "bool":
        return GoType("bool", 1, 1, name)
    if name.startswith("float"):
        return GoType("float", size, min(size, arch.max_align), name)
    if name.startswith("complex"):
        return GoType("complex", size, min(size // 2, arch.max_align), name)
    return GoType("int", size, min(size, arch.max_align), name, signed=name.startswith("int"))


def pointer_to(
    target: Callable[[], GoType], arch: Arch, target_name: str = "", name: str = ""
) -> GoType:
    return GoType("pointer", arch.word, arch.word, name, target=target, target_name=target_name)


def slice_of(arch: Arch, name: str = "") -> GoType:
    return GoType("slice", 3 * arch.word, arch.word, name)


def interface(empty: bool, arch: Arch, name: str = "") -> GoType:
    return GoType("interface", 2 * arch.word, arch.word, name, empty=empty)


def reference(kind: Literal["func", "map", "chan"], arch: Arch, name: str = "") -> GoType:
    return GoType(kind, arch.word, arch.word, name)


def unknown(why: str, name: str = "") -> GoType:
    return GoType("unknown", 0, 1, name, why=why)


def array_of(element: GoType, length: int, arch: Arch, name: str = "") -> GoType:
    if element.kind == "unknown":
        return replace(element, name=name or element.name)
    return GoType(
        "array", element.size * length, element.align, name, element=element, length=length
    )


def struct_of(fields: tuple[Field, ...], size: int, align: int, name: str = "") -> GoType:
    return GoType("struct", size, align, name, fields=fields)


def _round(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def lay_out(members: list[tuple[str, GoType, bool]], name: str = "") -> GoType:
    """A struct of ``(name, type, embedded)`` members laid out as gc does (``gcSizes``): each at
    its alignment, a trailing zero-size field padded by one byte, the size rounded to the
    struct's alignment. Unknown when a member is."""
    offset, align = 0, 1
    fields: list[Field] = []
    for n, t, embedded in members:
        if t.kind == "unknown":
            return replace(t, name=name or t.name)
        offset = _round(offset, t.align)
        fields.append(Field(n, offset, t, embedded))
        offset += t.size
        align = max(align, t.align)
    if fields and fields[-1].type.size == 0 and offset > 0:
        offset += 1
    return struct_of(tuple(fields), _round(offset, align), align, name)


# Words ---------------------------------------------------------------------------------------

WordClass = Literal["int", "pointer", "float", "block", "unknown"]


@dataclass(frozen=True)
class Word:
    """One machine word (or, for a large array in memory, one block) of a value."""

    cls: WordClass
    size: int
    offset: int  # from the start of the value
    type: GoType  # the leaf type it comes from
    path: str  # ".x.y" fields, or a part such as "data pointer"

    @property
    def what(self) -> str:
        return self.type.spell()


#: Arrays of at most this many words are flattened element by element.
_FLAT_ARRAY_WORDS = 16


def words(t: GoType, memory: bool = False) -> list[Word]:
    """The words of a value of type ``t``, in order. ``memory``: as laid out in memory (large
    arrays stay one block) rather than as passed (the same words, the same order)."""
    out: list[Word] = []
    _flatten(t, 0, "", out, memory)
    return out


def _flatten(t: GoType, base: int, path: str, out: list[Word], memory: bool) -> None:
    w = t.size
    k = t.kind
    if k in ("bool", "int", "uintptr"):
        out.append(Word("int", w, base, t, path))
    elif k == "float":
        out.append(Word("float", w, base, t, path))
    elif k == "complex":
        half = w // 2
        part = GoType("float", half, t.align, f"float{half * 8}")
        out.append(Word("float", half, base, part, path + " real part"))
        out.append(Word("float", half, base + half, part, path + " imaginary part"))
    elif k in ("unsafe", "pointer", "func", "map", "chan"):
        out.append(Word("pointer", w, base, t, path))
    elif k == "string":
        half = w // 2
        out.append(Word("pointer", half, base, t, _part(path, "data pointer")))
        out.append(Word("int", half, base + half, t, _part(path, "length")))
    elif k == "slice":
        third = w // 3
        out.append(Word("pointer", third, base, t, _part(path, "data pointer")))
        out.append(Word("int", third, base + third, t, _part(path, "length")))
        out.append(Word("int", third, base + 2 * third, t, _part(path, "capacity")))
    elif k == "interface":
        half = w // 2
        first = "type word" if t.empty else "itab"
        out.append(Word("pointer", half, base, t, _part(path, first)))
        out.append(Word("pointer", half, base + half, t, _part(path, "data pointer")))
    elif k == "struct":
        for f in t.fields:
            _flatten(f.type, base + f.offset, f"{path}.{f.name}", out, memory)
    elif k == "array" and t.element is not None:
        elem = t.element
        count = len(words(elem))
        if t.length * count <= _FLAT_ARRAY_WORDS:
            for i in range(t.length):
                _flatten(elem, base + i * elem.size, f"{path}[{i}]", out, memory)
        else:
            out.append(Word("block", w, base, t, path))
    else:
        out.append(Word("unknown", w, base, t, path))


def _part(path: str, part: str) -> str:
    return f"{path} {part}" if path else part


def block_shape(t: GoType) -> tuple[tuple[str, int, int], ...]:
    """The words of one element of an array block: what two blocks must agree on."""
    if t.element is None:
        return ()
    return tuple((w.cls, w.size, w.offset) for w in words(t.element, memory=True))


def ordinal(n: int) -> str:
    """1 → ``1st``, 2 → ``2nd``, 11 → ``11th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
