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
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from bot.analyse.directives import split_symbol
from bot.stdlib import codec

SymbolKind = Literal["func", "var", "method"]
Platforms = frozenset[str]

REGISTRY = Path(__file__).resolve().parent.parent.parent / "registry" / "stdlib"
MANIFEST = "MANIFEST.json"


def registry_dir() -> Path:
    env = os.environ.get("LINKNAME_BOT_STDLIB")
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


class VersionFacts:
    """The facts of one Go version, decoded symbol by symbol on demand."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.go: str = document["go"]
        self.minor: int = document["minor"]
        self.platforms: tuple[str, ...] = tuple(document["platforms"])
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
        names = document["names"]
        self._rows = dict(zip(names.split("\n"), document["rows"].split("\n"), strict=True))
        self._signature_text: str = document["signatures"]
        self._shame: list[list[str]] = document["shame"]
        self._cache: dict[str, Symbol] = {}

    @classmethod
    def from_bytes(cls, data: bytes) -> VersionFacts:
        return cls(codec.load(data))

    @cached_property
    def _signature_table(self) -> list[str]:
        return self._signature_text.split("\n")

    def is_std(self, package: str) -> bool:
        return package in self.packages

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def names(self) -> Iterator[str]:
        return iter(self._rows)

    def blocked_for(self, name: str) -> tuple[str, ...] | None:
        return self.blocked.get(name) if self.blocked is not None else None

    def builtin_ref(self, name: str) -> int | None:
        return self.builtin_refs.get(name) if self.builtin_refs is not None else None

    def symbol(self, name: str) -> Symbol | None:
        s = self._cache.get(name)
        if s is None:
            row = self._rows.get(name)
            if row is None:
                return None
            s = self._cache[name] = self._decode(name, row)
        return s

    def _decode(self, name: str, row: str) -> Symbol:
        f = row.split("|") + [""] * 10
        order = self.platforms
        exists, go, body, asm, asm_internal, marked, std = (codec.unmask(x, order) for x in f[1:8])
        sigs: list[tuple[str, Platforms]] = []
        if f[9]:
            table = self._signature_table
            for part in f[9].split(","):
                index, _, plats = part.partition(":")
                sigs.append((table[int(index)], codec.unmask(plats, order) if plats else go))
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
_DECODED: dict[tuple[str, int, int, str], VersionFacts] = {}


def _read_facts(path: Path, entry: Mapping[str, Any]) -> VersionFacts:
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, str(entry["sha256"]))
        facts = _DECODED.get(key)
        if facts is None:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise FactsError(
                    f"standard-library facts unreadable: {path}: content does not match {MANIFEST}"
                )
            facts = _DECODED[key] = VersionFacts.from_bytes(data)
    except FactsError:
        raise
    except (OSError, ValueError, KeyError, EOFError) as e:
        raise FactsError(f"standard-library facts unreadable: {path}: {e}") from e
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
            facts = self._loaded[minor] = _read_facts(self.directory / entry["file"], entry)
        return facts

    def __iter__(self) -> Iterator[int]:
        return iter(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    def check_files(self) -> None:
        """FactsError unless every version's data file exists (without decoding it)."""
        for minor in self._versions:
            path = self.directory / self.manifest["versions"][str(minor)]["file"]
            if not path.is_file():
                raise FactsError(f"standard-library facts for Go 1.{minor} missing: {path}")


StdlibWindow = Mapping[int, VersionFacts]


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest; FactsError when it is missing or unreadable."""
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


def available_versions(directory: Path | None = None) -> tuple[int, ...]:
    manifest = read_manifest(directory if directory is not None else registry_dir())
    return tuple(sorted(int(v) for v in manifest["versions"]))


def load_window(versions: Sequence[int] | None = None, directory: Path | None = None) -> Window:
    """Facts for ``versions`` (default: every version in the registry), loaded lazily."""
    d = directory if directory is not None else registry_dir()
    return Window(versions if versions is not None else available_versions(d), d)
