"""Standard-library facts per Go version: what the linker of that version will find.

The facts are generated from real GOROOTs (``linkname-bot registry build``, see
``bot.stdlib.generate``) and committed in ``<repo>/registry/stdlib``: one gzip'd file per Go
minor version plus ``MANIFEST.json`` (exact source versions, SHA-256 of each file). The directory
is found relative to this package, as in a source checkout or an editable install; set
``LINKNAME_BOT_STDLIB`` to use another one.

API::

    window = load_window((23, 27))        # Mapping[minor, VersionFacts], each loaded lazily
    facts = window[23]
    facts.go                              # "go1.23.9"
    facts.is_std("runtime")               # a standard-library package in that version
    s = facts.symbol("runtime.gcount")    # Symbol | None; methods: "pkg.T.m", "pkg.(*T).m"
    s.kind                                # "func" | "var" | "method"
    s.platforms                           # where the linker finds a definition
    s.go_platforms                        # declared in Go there (pullable from Go code)
    s.body_platforms, s.asm_platforms     # defined by a Go body / a TEXT or GLOBL in .s files
    s.asm_internal_platforms              # ... a TEXT name<ABIInternal> (no ABI wrapper)
    s.marked, s.marked_platforms          # its defining package linknames it
    s.std_only_platforms                  # marked with //go:linknamestd (1.27)
    s.signature("linux/amd64")            # canonical text; s.signatures(platform) for all
    s.shame                               # "hall of shame" packages named in its comment
    s.blocked_for                         # blockedLinknames entry: allowed packages, or None
    facts.blocked                         # the whole map (None before 1.23)
    facts.builtin_ref("runtime.mapaccess1")  # ABI of a compiler builtin whose linknamed
                                          # references skip the linker's check (<= 1.23), or None
    facts.platforms                       # the ports the facts cover: every port of the version
    facts.variant("race")                 # the facts of `go build -race` (also msan, asan) on
                                          # the ports supporting it (its .platforms)
    window.platforms_for(23), window.ports(23)   # from the manifest, nothing decoded
    ports(23)                             # every port of 1.23 (go tool dist list): Port(name,
                                          # cgo, first_class, cgo_only, race, msan, asan)
"""

from __future__ import annotations

import copy
import hashlib
import json
import marshal
import os
import sys
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from bot.golang.ports import Port
from bot.golang.symbols import split_symbol
from bot.resources import shipped
from bot.stdlib import codec

SymbolKind = Literal["func", "var", "method"]
Platforms = frozenset[str]

_EMPTY: Platforms = frozenset()

REGISTRY = shipped("stdlib")
MANIFEST = "MANIFEST.json"


def registry_dir() -> Path:
    """The registry in use: ``REGISTRY_DIR`` (``--registry``), else ``LINKNAME_BOT_STDLIB``,
    else the packaged facts. A directory ``registry add`` started is an *overlay*: its manifest
    says so, and the packaged versions it lacks are read from the packaged registry."""
    env = os.environ.get("REGISTRY_DIR") or os.environ.get("LINKNAME_BOT_STDLIB")
    return Path(env) if env else REGISTRY


class FactsError(RuntimeError):
    """The standard-library facts are missing or unreadable: a loud failure, never "no facts"
    (a review without them would pass pulls the linker refuses)."""


def data_file_name(minor: int) -> str:
    return f"go1.{minor}.json.gz"


@dataclass(frozen=True)
class Symbol:
    """One linker symbol of the standard library in one Go version."""

    name: str
    kind: SymbolKind
    platforms: Platforms
    go_platforms: Platforms
    body_platforms: Platforms
    asm_platforms: Platforms
    asm_internal_platforms: Platforms  # defined in assembly as <ABIInternal>: no ABI wrapper
    marked_platforms: Platforms
    std_only_platforms: Platforms
    generic: bool
    shame: tuple[str, ...]
    blocked_for: tuple[str, ...] | None
    _signatures: tuple[tuple[str, Platforms], ...]

    @property
    def package(self) -> str:
        return split_symbol(self.name)[0]

    @property
    def marked(self) -> bool:
        return bool(self.marked_platforms)

    def signatures(self, platform: str) -> tuple[str, ...]:
        """Every signature declared for it on ``platform``; its own package's first."""
        return tuple(sig for sig, plats in self._signatures if platform in plats)

    def signature(self, platform: str) -> str | None:
        sigs = self.signatures(platform)
        return sigs[0] if sigs else None


class Common:
    """The tables every version shares: symbol names (sorted), signatures, shame lists."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.names: list[str] = document["names"].split("\n")
        self._signature_text: str = document["signatures"]
        self.shame: list[list[str]] = document["shame"]

    @cached_property
    def signature_table(self) -> list[str]:
        return self._signature_text.split("\n")


class VersionFacts:
    """The facts of one Go version, decoded symbol by symbol on demand.

    ``platforms`` are the ports the facts cover (every port of the version); ``setting`` is
    "" for a plain ``go build``, or the sanitizer (``race``, ``msan``, ``asan``) of a
    ``variant``, whose ``platforms`` are the ports supporting it.
    """

    setting: str = ""

    def __init__(self, document: Mapping[str, Any], common: Common | None = None) -> None:
        """``document`` is standalone (``bot.stdlib.generate``), or a registry file whose rows
        are aligned with the ``common`` tables (``codec.split``)."""
        self.go: str = document["go"]
        self.minor: int = document["minor"]
        self.platforms: tuple[str, ...] = tuple(document["platforms"])
        self._order = self.platforms
        self._set_masks: list[str] = document["sets"]
        self._set_cache: dict[int, Platforms] = {}
        self._variant_docs: dict[str, Any] = document.get("variants") or {}
        self._variants: dict[str, VersionFacts] = {}
        self.packages: frozenset[str] = frozenset(document["packages"])
        blocked = document["blocked"]
        self.blocked: dict[str, tuple[str, ...]] | None = (
            None if blocked is None else {k: tuple(v) for k, v in blocked.items()}
        )
        builtins = document.get("builtin_refs")
        #: Compiler builtins (name → ABI) that a linknamed reference still refers to by builtin
        #: index, out of the linker's sight; None where linknamed references are exempt (1.24+).
        self.builtin_refs: dict[str, int] | None = (
            None if builtins is None else {str(k): int(v) for k, v in builtins.items()}
        )
        if common is None:
            common = Common(document)
        # Sorted names and their rows (an empty row: not in this version), looked up by
        # bisection: no dict of every symbol to build at load time (the window's load is what
        # a review waits for first). The names and tables are shared by every version.
        self._common = common
        self._names: list[str] = common.names
        self._row_list: list[str] = document["rows"].split("\n")
        if len(self._names) != len(self._row_list):
            raise ValueError("names and rows differ in length")
        #: A variant's rows that differ from the plain build's (None: absent there).
        self._overlay: dict[str, str | None] = {}
        self._shame: list[list[str]] = common.shame
        self._cache: dict[str, Symbol] = {}

    @classmethod
    def from_bytes(cls, data: bytes, common: Common | None = None) -> VersionFacts:
        return cls(codec.load(data), common)

    @property
    def _signature_table(self) -> list[str]:
        return self._common.signature_table

    def _set(self, ref: str) -> Platforms:
        """The platform set of a row's reference, decoded the first time it is asked for
        (a review reads a few dozen symbols' sets, not the thousands of the table)."""
        if not ref:
            return _EMPTY
        i = int(ref)
        found = self._set_cache.get(i)
        if found is None:
            found = self._set_cache[i] = codec.unmask(self._set_masks[i], self._order)
        return found

    @property
    def settings(self) -> tuple[str, ...]:
        """The sanitizer builds with facts (``variant``)."""
        return tuple(self._variant_docs)

    def variant(self, setting: str) -> VersionFacts:
        """The facts of ``go build -<setting>`` (race, msan, asan): the sanitizer's tag is on,
        on the ports supporting it (``platforms``). KeyError for a build without facts."""
        if not setting:
            return self
        facts = self._variants.get(setting)
        if facts is None:
            delta = self._variant_docs[setting]
            facts = copy.copy(self)
            facts.setting = setting
            facts.platforms = tuple(delta["platforms"])
            facts._cache = {}
            facts._variants = {}
            names, changed = delta["names"], delta["rows"]
            facts._overlay = (
                {
                    name: None if row == "-" else row
                    for name, row in zip(names.split("\n"), changed.split("\n"), strict=True)
                }
                if names
                else {}
            )
            self._variants[setting] = facts
        return facts

    def is_std(self, package: str) -> bool:
        return package in self.packages

    def _row(self, name: str) -> str | None:
        if name in self._overlay:
            return self._overlay[name]
        i = bisect_left(self._names, name)
        if i < len(self._names) and self._names[i] == name:
            return self._row_list[i] or None
        return None

    def in_any_version(self, name: str) -> bool:
        """Some version of the registry has the symbol (the names are shared): a standard-library
        symbol even where this version lacks it, e.g. a package that moved
        (``runtime/internal/syscall.Syscall6`` ≤ 1.22)."""
        i = bisect_left(self._names, name)
        return i < len(self._names) and self._names[i] == name

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._row(name) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.names())

    def __bool__(self) -> bool:
        """``len(self) > 0`` without counting (``if facts:`` is asked per directive)."""
        if any(row is not None for row in self._overlay.values()):
            return True
        overlay = self._overlay
        return any(
            row and n not in overlay for n, row in zip(self._names, self._row_list, strict=True)
        )

    def names(self) -> Iterator[str]:
        if not self._overlay:
            return (n for n, row in zip(self._names, self._row_list, strict=True) if row)
        every = sorted(set(self._names) | set(self._overlay))
        return (n for n in every if self._row(n) is not None)

    def blocked_for(self, name: str) -> tuple[str, ...] | None:
        return self.blocked.get(name) if self.blocked is not None else None

    def builtin_ref(self, name: str) -> int | None:
        return self.builtin_refs.get(name) if self.builtin_refs is not None else None

    def symbol(self, name: str) -> Symbol | None:
        s = self._cache.get(name)
        if s is None:
            row = self._row(name)
            if row is None:
                return None
            s = self._cache[name] = self._decode(name, row)
        return s

    def _decode(self, name: str, row: str) -> Symbol:
        f = row.split("|") + [""] * 10
        exists, go, body, asm, asm_internal, marked, std = (self._set(x) for x in f[1:8])
        sigs: list[tuple[str, Platforms]] = []
        if f[9]:
            table = self._signature_table
            for part in f[9].split(","):
                index, colon, plats = part.partition(":")
                sigs.append((table[int(index)], self._set(plats) if colon else go))
        kind: SymbolKind = "func" if f[0] == "f" else "var" if f[0] == "v" else "method"
        return Symbol(
            name=name,
            kind=kind,
            platforms=exists,
            go_platforms=go,
            body_platforms=body,
            asm_platforms=asm,
            asm_internal_platforms=asm_internal,
            marked_platforms=marked,
            std_only_platforms=std,
            generic="g" in f[8],
            shame=tuple(self._shame[int(f[10])]) if f[10] else (),
            blocked_for=self.blocked_for(name),
            _signatures=tuple(sigs),
        )


#: Decoded facts shared by every window of the process (the App reviews many PRs), keyed by
#: the file's identity and the hash its manifest promises: a regenerated file is read again.
#: Bounded: the oldest entries go first (a registry holds ~10 files; regenerations and
#: overlays add a few more).
_DECODED: OrderedDict[tuple[str, int, int, str], Any] = OrderedDict()
_DECODED_MAX = 48


def _read(path: Path, sha256: str, decode: Callable[[bytes], Any]) -> Any:
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, sha256)
        value = _DECODED.get(key)
        if value is None:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                raise FactsError(
                    f"standard-library facts unreadable: {path}: content does not match {MANIFEST}"
                )
            value = _DECODED[key] = decode(data)
            while len(_DECODED) > _DECODED_MAX:
                _DECODED.popitem(last=False)
    except FactsError:
        raise
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise FactsError(f"standard-library facts unreadable: {path}: {e}") from e
    return value


def _document(data: bytes, sha256: str) -> dict[str, Any]:
    """``codec.load(data)``, from a marshal copy in the user's cache when there is one: a
    gzip'd JSON file decodes in ~4 ms, its marshal copy in ~0.1 ms. The copy is named by the
    hash of the file (already checked against the manifest) and the Python version; one that
    cannot be read or written is ignored."""
    cache = _cache_dir()
    name = f"{sha256}-py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}.marshal"
    if cache is not None:
        try:
            document = marshal.loads((cache / name).read_bytes())
            if isinstance(document, dict) and document.get("format") == codec.FORMAT:
                return document
        except (OSError, ValueError, EOFError, TypeError):
            pass
    document = codec.load(data)
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            tmp = cache / f".{name}.{os.getpid()}"
            tmp.write_bytes(marshal.dumps(document))
            os.replace(tmp, cache / name)
        except (OSError, ValueError):
            pass
    return document


def _cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/linkname-bot/facts`` (``~/.cache`` by default); None when
    ``LINKNAME_BOT_CACHE=off`` or there is no home."""
    if os.environ.get("LINKNAME_BOT_CACHE") == "off":
        return None
    root = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(root) if root else Path.home() / ".cache"
    except RuntimeError:
        return None
    return base / "linkname-bot" / "facts"


def _read_common(directory: Path, manifest: Mapping[str, Any]) -> Common:
    entry = manifest.get("common")
    if not isinstance(entry, dict):
        raise FactsError(f"standard-library facts unreadable: {directory / MANIFEST}: no common")
    sha256 = str(entry["sha256"])
    common: Common = _read(
        directory / entry["file"], sha256, lambda b: Common(_document(b, sha256))
    )
    return common


def _read_facts(path: Path, entry: Mapping[str, Any], common: Common) -> VersionFacts:
    sha256 = str(entry["sha256"])
    facts: VersionFacts = _read(path, sha256, lambda b: VersionFacts(_document(b, sha256), common))
    return facts


class Window(Mapping[int, VersionFacts]):
    """Facts for a set of Go versions, each read from disk the first time it is used."""

    def __init__(self, versions: Sequence[int], directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else registry_dir()
        self.manifest = read_manifest(self.directory)
        known = self.manifest["versions"]
        missing = [v for v in versions if str(v) not in known]
        if missing:
            raise KeyError(f"no standard-library facts for Go {missing} in {self.directory}")
        self._versions = tuple(sorted(set(versions)))
        self._loaded: dict[int, VersionFacts] = {}

    def __getitem__(self, minor: int) -> VersionFacts:
        facts = self._loaded.get(minor)
        if facts is None:
            if minor not in self._versions:
                raise KeyError(minor)
            entry = self.manifest["versions"][str(minor)]
            directory = Path(entry["dir"]) if "dir" in entry else self.directory
            common = _read_common(
                directory, {"common": entry.get("common")} if "dir" in entry else self.manifest
            )
            facts = self._loaded[minor] = _read_facts(directory / entry["file"], entry, common)
        return facts

    def __iter__(self) -> Iterator[int]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    def platforms_for(self, minor: int) -> tuple[str, ...]:
        """The ports the facts of Go 1.``minor`` cover, from the manifest (nothing decoded)."""
        return _covered(self.manifest, minor)

    def ports(self, minor: int) -> tuple[Port, ...]:
        """Every port of Go 1.``minor`` (``go tool dist list``), with its flags."""
        return _ports(self.manifest, minor)

    def check_files(self) -> None:
        """FactsError unless every version's data file exists (without decoding it)."""
        name = (self.manifest.get("common") or {}).get("file")
        files = [("the tables of every version", self.directory / str(name))]
        for m in self._versions:
            entry = self.manifest["versions"][str(m)]
            files.append((f"Go 1.{m}", Path(entry.get("dir", self.directory)) / entry["file"]))
        for what, path in files:
            if not path.is_file():
                raise FactsError(f"standard-library facts for {what} missing: {path}")


StdlibWindow = Mapping[int, VersionFacts]


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest; FactsError when it is missing or unreadable. An overlay's manifest comes
    back merged over the packaged one: each version entry names its ``dir`` and ``common``."""
    manifest = _read_one(directory)
    if not manifest.get("overlay") or directory.resolve() == REGISTRY.resolve():
        return manifest
    base = _read_one(REGISTRY)
    versions = {}
    for source, d in ((base, REGISTRY), (manifest, directory)):
        for minor, entry in source["versions"].items():
            versions[minor] = {**entry, "dir": str(d), "common": source.get("common")}
    return {**manifest, "versions": dict(sorted(versions.items(), key=lambda kv: int(kv[0])))}


def _read_one(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
        if not isinstance(manifest.get("versions"), dict):
            raise ValueError("no versions")
    except FileNotFoundError:
        raise FactsError(
            f"standard-library facts not found: {path} is missing (regenerate them with "
            "`make registry`, or point LINKNAME_BOT_STDLIB at a registry directory)"
        ) from None
    except (OSError, ValueError) as e:
        raise FactsError(f"standard-library facts unreadable: {path}: {e}") from e
    return manifest


def _entry(manifest: Mapping[str, Any], minor: int) -> Mapping[str, Any]:
    entry = manifest["versions"].get(str(minor))
    if entry is None:
        raise KeyError(f"no standard-library facts for Go 1.{minor}")
    return entry  # type: ignore[no-any-return]


def _covered(manifest: Mapping[str, Any], minor: int) -> tuple[str, ...]:
    entry = _entry(manifest, minor)
    return tuple(entry.get("platforms") or manifest.get("platforms") or ())


def _ports(manifest: Mapping[str, Any], minor: int) -> tuple[Port, ...]:
    entry = _entry(manifest, minor)
    return tuple(Port.from_flags(n, f) for n, f in sorted((entry.get("ports") or {}).items()))


def ports(minor: int, directory: Path | None = None) -> tuple[Port, ...]:
    """Every port ``go tool dist list`` of Go 1.``minor`` prints, each with ``cgo_only`` (a plain
    build links externally: it needs cgo), ``cgo``, ``first_class`` and the sanitizers it
    supports (``race``, ``msan``, ``asan``). Read from the manifest: nothing is decoded."""
    return _ports(read_manifest(directory if directory is not None else registry_dir()), minor)


def platforms_with_facts(minor: int, directory: Path | None = None) -> tuple[str, ...]:
    """The ports the facts of Go 1.``minor`` cover (``VersionFacts.platforms``)."""
    return _covered(read_manifest(directory if directory is not None else registry_dir()), minor)


def available_versions(directory: Path | None = None) -> tuple[int, ...]:
    manifest = read_manifest(directory if directory is not None else registry_dir())
    return tuple(sorted(int(v) for v in manifest["versions"]))


def load_window(versions: Sequence[int] | None = None, directory: Path | None = None) -> Window:
    """Facts for ``versions`` (default: every version in the registry), loaded lazily."""
    d = directory if directory is not None else registry_dir()
    return Window(versions if versions is not None else available_versions(d), d)
