"""Generate one Go version's standard-library facts from its GOROOT sources.

The standard library is every package under ``$GOROOT/src`` except ``cmd/``, ``testdata``,
directories starting with ``.`` or ``_``, and the pseudo-packages ``builtin`` and ``unsafe``.
``src/vendor/golang.org/x/...`` is included under its compiled import path
``vendor/golang.org/x/...`` (that is what the linker calls its symbols). ``_test.go`` files,
files constrained by the ``ignore`` tag and files of another package clause (generators) are
left out. Files are selected per platform with the project's own build-constraint evaluator,
``.s`` files by the same file-name and ``//go:build`` rules, for a plain ``go build`` of that
toolchain (``default_build``): ``race``, ``asan``, ``msan``, ``purego`` and custom tags are off,
``goexperiment.*`` follow the version's baseline, and only ``cgo`` (and baseline flags computed
per platform) may be on or off. Every port ``go tool dist list`` prints is covered
(``bot.stdlib.ports``), and the sanitizer builds (``-race``, ``-msan``, ``-asan``: the tag on)
on the ports supporting them, each file read and parsed once for all of them.

Declarations are read with the project's own parser; signatures are its canonical text.

Marks (``cmd/link``'s ``checkLinkname`` admits a pull of a std symbol whose definition carries
the linkname flag): cmd/compile's noder (``reader.linkname``) sets the flag on the LSym named by
every ``//go:linkname`` (``//go:linknamestd``) of the package being compiled, and LSyms are
shared by name. So a symbol is marked on the platforms where any directive of the package that
defines it names it: an export (one argument), a push, or a bodiless declaration under any
local name, for funcs and methods (reflect/badlinkname.go: ``//go:linkname
badlinkname_rtype_Align reflect.(*rtype).Align``). A bodiless declaration of an assembly
function marks it through its ABI wrapper (``ssagen/abi.go``). A directive naming another
package's symbol flags only the reference, never that package's definition.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.golang.constraints import DefaultBuild, build_header, file_configs
from bot.golang.source import GoFile, package_clause, read_file
from bot.golang.symbols import split_symbol, symbol_prefix
from bot.stdlib import codec
from bot.stdlib.asm import asm_symbols
from bot.stdlib.ports import SANITIZERS, read_ports
from bot.versions import parse_version

Plats = frozenset[str]
_SKIP_PACKAGES = frozenset(("builtin", "unsafe"))
_IGNORE = re.compile(r"(?<![\w.])ignore(?![\w.])")
_SHAME_ITEM = re.compile(r"^\s*//\s+-\s+(\S+)")


def source_version(goroot: Path) -> str:
    """``go1.23.9``: the first line of ``$GOROOT/VERSION``."""
    return (goroot / "VERSION").read_text().split("\n", 1)[0].strip()


@dataclass
class _Symbol:
    kind: str
    go: set[str] = field(default_factory=set)
    body: set[str] = field(default_factory=set)
    asm: set[str] = field(default_factory=set)
    asm_internal: set[str] = field(default_factory=set)
    marked: set[str] = field(default_factory=set)
    std: set[str] = field(default_factory=set)
    sigs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    generic: bool = False
    shame: set[str] = field(default_factory=set)
    own_sigs: set[str] = field(default_factory=set)  # declared in the symbol's own package


@dataclass
class _File:
    name: str
    platforms: Plats
    parsed: GoFile
    text: str


@dataclass(frozen=True)
class _Link:
    """One honoured directive of a package: ``local`` is the linker's ``target`` on platforms."""

    platforms: Plats
    local: str
    target: str
    std: bool


class _Collector:
    def __init__(self) -> None:
        self.symbols: dict[str, _Symbol] = {}

    def get(self, name: str, kind: str) -> _Symbol:
        s = self.symbols.get(name)
        if s is None:
            s = self.symbols[name] = _Symbol(kind)
        return s

    def declare(
        self,
        name: str,
        kind: str,
        plats: Plats,
        sig: str | None,
        body: bool,
        generic: bool,
        own: bool = True,
    ) -> _Symbol:
        s = self.get(name, kind)
        s.go |= plats
        if body:
            s.body |= plats
        if sig is not None:
            for p in plats:
                s.sigs[p].add(sig)
        s.generic = s.generic or generic
        if sig is not None and own:
            s.own_sigs.add(sig)
        return s

    def mark(self, name: str, plats: Plats, std: bool) -> None:
        s = self.symbols.get(name)
        if s is not None and plats:
            (s.std if std else s.marked).update(plats)


@dataclass(frozen=True)
class _Variant:
    """One build the facts describe: the plain ``go build`` (``setting`` "") or ``-race``,
    ``-msan``, ``-asan`` on the ports that support it (the sanitizer's tag on)."""

    setting: str
    ports: tuple[str, ...]
    build: DefaultBuild


def generate(goroot: Path, platforms: Sequence[str] | None = None) -> dict[str, Any]:
    """The facts document of the GOROOT's Go version (see ``bot.stdlib.codec``): every port
    ``go tool dist list`` prints, or ``platforms``."""
    go = source_version(goroot)
    minor = parse_version(go)
    ports = read_ports(goroot)
    order = tuple(sorted(platforms if platforms is not None else (p.name for p in ports)))
    src = goroot / "src"
    build = default_build(goroot)
    variants = [_Variant("", order, build)]
    for setting in SANITIZERS:
        supported = tuple(p.name for p in ports if p.supports(setting) and p.name in order)
        if supported:
            on = DefaultBuild(on=build.on | {setting}, free=build.free)
            variants.append(_Variant(setting, supported, on))
    outs = {v.setting: _Collector() for v in variants}
    packages: list[str] = []
    for import_path, directory, names in _package_dirs(src):
        if _read_package(outs, variants, import_path, directory, names, minor):
            packages.append(import_path)
    blocked = read_blocked(goroot)
    return _document(
        go, minor, order, sorted(packages), outs, variants, blocked, read_builtin_refs(goroot)
    )


_BASELINE = re.compile(r"baseline := goexperiment\.Flags\{(.*?)\n\t\}", re.S)
_FLAG = re.compile(r"^\s*([A-Za-z0-9_]+):\s*([^,]+),", re.M)


def default_build(goroot: Path) -> DefaultBuild:
    """What a plain ``go build`` of this toolchain sets: its GOEXPERIMENT baseline, read from
    ``internal/buildcfg/exp.go`` (a literal ``true`` is on; a computed value, which depends on the
    platform, may be either; an absent flag is off)."""
    text = (goroot / "src" / "internal" / "buildcfg" / "exp.go").read_text()
    m = _BASELINE.search(text)
    flags = _FLAG.findall(m.group(1)) if m else []
    on = frozenset(f"goexperiment.{n.lower()}" for n, v in flags if v.strip() == "true")
    free = frozenset(
        f"goexperiment.{n.lower()}" for n, v in flags if v.strip() not in ("true", "false")
    )
    return DefaultBuild(on=on, free=free | {"cgo"})


def _package_dirs(src: Path) -> Iterator[tuple[str, Path, list[str]]]:
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src).replace(os.sep, "/")
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith((".", "_")) and d != "testdata" and not (rel == "." and d == "cmd")
        )
        if rel != "." and rel not in _SKIP_PACKAGES:
            yield rel, Path(dirpath), sorted(filenames)


def _read_package(
    outs: dict[str, _Collector],
    variants: Sequence[_Variant],
    import_path: str,
    directory: Path,
    names: list[str],
    minor: int,
) -> bool:
    """Add one package's symbols to each variant's collector; False if it is not a library
    package of the standard library. Each file is read and parsed once."""
    sources: list[tuple[str, bytes, str, bool]] = []
    for name in names:
        is_go = name.endswith(".go") and not name.endswith("_test.go")
        if not (is_go or name.endswith(".s")):
            continue
        data = (directory / name).read_bytes()
        text = data.decode("utf-8", "replace")
        expr = build_header(text).expr
        if expr is not None and _IGNORE.search(expr):
            continue
        sources.append((name, data, text, is_go))
    per_variant: list[tuple[_Variant, list[tuple[str, Plats]]]] = []
    for variant in variants:
        built = []
        for name, _, text, is_go in sources:
            as_go = name if is_go else name[:-2] + ".go"
            configs = file_configs(
                as_go, text, (minor,), variant.ports, default_build=variant.build
            )
            plats = frozenset(p for _, p in configs)
            if plats:
                built.append((name, plats))
        per_variant.append((variant, built))
    by_name = {name: (data, text, is_go) for name, data, text, is_go in sources}
    plain_go = [n for n, _ in per_variant[0][1] if by_name[n][2]]
    clauses = {n: package_clause(by_name[n][0]) for n in plain_go}
    counts = Counter(c for c in clauses.values() if c is not None and not c.endswith("_test"))
    if not counts:
        return False
    package = counts.most_common(1)[0][0]
    if package == "main":
        return False
    parsed: dict[str, GoFile] = {}
    for variant, built in per_variant:
        files = []
        asm_files = []
        for name, plats in built:
            data, text, is_go = by_name[name]
            if not is_go:
                asm_files.append((text, plats))
                continue
            clause = clauses[name] if name in clauses else package_clause(data)
            if clause != package:
                continue
            if name not in parsed:
                parsed[name] = read_file(f"{import_path}/{name}", data, import_path)
            files.append(_File(name, plats, parsed[name], text))
        _add_package(outs[variant.setting], import_path, files, asm_files)
    return True


def _links(prefix: str, files: Iterable[_File]) -> dict[str, list[_Link]]:
    links: dict[str, list[_Link]] = defaultdict(list)
    for f in files:
        for d in f.parsed.directives:
            if not (d.well_formed and d.alone_on_line) or d.local is None:
                continue
            target = d.target if d.target is not None else f"{prefix}.{d.local}"
            links[d.local].append(_Link(f.platforms, d.local, target, d.std))
    return links


def _add_package(
    out: _Collector,
    import_path: str,
    files: list[_File],
    asm_files: list[tuple[str, Plats]],
) -> None:
    prefix = symbol_prefix(import_path)
    links = _links(prefix, files)
    asm_here: dict[str, set[str]] = defaultdict(set)
    for text, plats in asm_files:
        for name, asm_kind, internal in asm_symbols(text, import_path):
            asm_here[name] |= plats
            s = out.get(name, asm_kind)
            s.asm |= plats
            if internal:
                s.asm_internal |= plats
    # Pulls whose target this package defines in assembly: the Go declaration is the target's
    # ABI wrapper, and its linkname marks the target.
    pending: list[tuple[_Link, Plats, str, str | None]] = []
    for f in files:
        _add_file(out, prefix, f, links, pending)
    for link, plats, kind, sig in pending:
        here = plats & asm_here.get(link.target, set())
        if here:
            out.declare(link.target, kind, here, sig, False, False, False)
            out.mark(link.target, here, link.std)
        if split_symbol(link.target)[0] == import_path:
            # A bodiless declaration under another local name whose target this package
            # defines (reflect/badlinkname.go: ``//go:linkname badlinkname_rtype_Align
            # reflect.(*rtype).Align``): the compiler sets the linkname flag on the LSym of
            # that name (noder's ``reader.linkname``), which is the definition's own LSym.
            out.mark(link.target, plats, link.std)
    for f in files:
        for name, shame in _shame_lists(f.parsed, f.text):
            if name in out.symbols:
                out.symbols[name].shame.update(shame)


def _add_file(
    out: _Collector,
    prefix: str,
    f: _File,
    links: dict[str, list[_Link]],
    pending: list[tuple[_Link, Plats, str, str | None]],
) -> None:
    for decl in f.parsed.decls.values():
        if decl.object not in ("func", "var") or (decl.object == "func" and decl.name == "init"):
            continue
        own = f"{prefix}.{decl.name}"
        sig = f.parsed.signature(decl.name)
        renamed: set[str] = set()
        for link in links.get(decl.name, ()):
            plats = link.platforms & f.platforms
            if not plats:
                continue
            if link.target == own:
                continue
            renamed |= plats
            if decl.defined:  # a push: this package defines the target
                out.declare(link.target, decl.object, plats, sig, True, decl.generic, False)
                out.mark(link.target, plats, link.std)
            else:
                pending.append((link, plats, decl.object, sig))
        rest = f.platforms - renamed
        if not rest:
            continue
        out.declare(own, decl.object, rest, sig, decl.defined, decl.generic)
        for link in links.get(decl.name, ()):
            if link.target == own:
                out.mark(own, link.platforms & rest, link.std)
    for i, m in enumerate(f.parsed.methods):
        name = f"{prefix}.{m.symbol_suffix}"
        out.declare(name, "method", f.platforms, f.parsed.method_signature(i), m.defined, m.generic)


def _shame_lists(parsed: GoFile, text: str) -> Iterator[tuple[str, list[str]]]:
    """(symbol, packages) for each "Notable members of the hall of shame include:" list: the
    comment's items, and the symbol of the directive in the same comment block (else of the
    func or var the comment documents), as the parser read them."""
    lines = text.split("\n")
    prefix = symbol_prefix(parsed.package_path)
    directives = {d.line: d for d in parsed.directives if d.well_formed and d.local is not None}
    declared = {d.line: f"{prefix}.{d.name}" for d in parsed.decls.values()}
    declared.update({m.line: f"{prefix}.{m.symbol_suffix}" for m in parsed.methods})
    for i, line in enumerate(lines):
        if "hall of shame include" not in line:
            continue
        shame: list[str] = []
        j = i + 1
        while j < len(lines) and (m := _SHAME_ITEM.match(lines[j])):
            shame.append(m[1].rstrip(",;."))
            j += 1
        target = None
        while j < len(lines) and lines[j].lstrip().startswith("//"):
            d = directives.get(j + 1)
            if d is not None and target is None:
                target = d.target if d.target is not None else f"{prefix}.{d.local}"
            j += 1
        if target is None and j < len(lines) and lines[j].startswith(("func", "var")):
            target = declared.get(j + 1)
        if target is not None and shame:
            yield target, shame


def read_blocked(goroot: Path) -> dict[str, list[str]] | None:
    """The linker's ``blockedLinknames`` map (symbol → packages allowed); None before 1.23."""
    loader = goroot / "src" / "cmd" / "link" / "internal" / "loader" / "loader.go"
    text = loader.read_text() if loader.exists() else ""
    m = re.search(r"\nvar blockedLinknames = map\[string\]\[\]string\{\n(.*?)\n\}", text, re.S)
    if m is None:
        return None
    blocked: dict[str, list[str]] = {}
    for line in m[1].split("\n"):
        line = line.split("//", 1)[0].strip()
        entry = re.match(r'"([^"]+)"\s*:\s*\{([^}]*)\}', line)
        if entry:
            blocked[entry[1]] = re.findall(r'"([^"]+)"', entry[2])
    return blocked


def read_builtin_refs(goroot: Path) -> dict[str, int] | None:
    """Compiler builtins (``cmd/internal/goobj/builtinlist.go``: symbol → ABI) that the object
    writer refers to by builtin index **even from a linkname**, so the linker never sees the
    pull: ``cmd/internal/obj/sym.go`` (``NumberSyms``) without the ``!rs.IsLinkname()``
    exemption (added in 1.24). None where linknamed references are exempt."""
    sym_go = goroot / "src" / "cmd" / "internal" / "obj" / "sym.go"
    listing = goroot / "src" / "cmd" / "internal" / "goobj" / "builtinlist.go"
    if not (sym_go.exists() and listing.exists()):
        return None
    lines = [ln for ln in sym_go.read_text().split("\n") if "goobj.BuiltinIdx(" in ln]
    if not lines or any("IsLinkname()" in ln for ln in lines):
        return None
    return {
        name: int(abi)
        for name, abi in re.findall(r'^\s*\{"([^"]+)",\s*(\d+)\},', listing.read_text(), re.M)
    }


def _document(
    go: str,
    minor: int,
    order: tuple[str, ...],
    packages: list[str],
    outs: dict[str, _Collector],
    variants: Sequence[_Variant],
    blocked: dict[str, list[str]] | None,
    builtin_refs: dict[str, int] | None = None,
) -> dict[str, Any]:
    tables = _Tables(order)
    plain = outs[""].symbols
    rows: dict[str, str] = {}
    for name in sorted(plain):
        if not split_symbol(name)[0]:
            continue
        row = tables.row(plain[name])
        if row is not None:
            rows[name] = row
    deltas: dict[str, Any] = {}
    for variant in variants[1:]:
        ports = frozenset(variant.ports)
        other = outs[variant.setting].symbols
        delta: dict[str, str] = {}
        for name in sorted(set(plain) | set(other)):
            if not split_symbol(name)[0]:
                continue
            merged = _merge(plain.get(name), other.get(name), ports)
            row = tables.row(merged)
            if row != rows.get(name):
                delta[name] = "-" if row is None else row
        deltas[variant.setting] = {
            "platforms": list(variant.ports),
            "names": "\n".join(delta),
            "rows": "\n".join(delta.values()),
        }
    return {
        "format": codec.FORMAT,
        "go": go,
        "minor": minor,
        "platforms": list(order),
        "packages": packages,
        "blocked": blocked,
        "builtin_refs": builtin_refs,
        "sets": list(tables.sets),
        "names": "\n".join(rows),
        "rows": "\n".join(rows.values()),
        "signatures": "\n".join(sig.replace("\n", " ") for sig in tables.signatures),
        "shame": [list(k) for k in tables.shame],
        "variants": deltas,
    }


_SET_FIELDS = ("go", "body", "asm", "asm_internal", "marked", "std")


def _merge(plain: _Symbol | None, other: _Symbol | None, ports: frozenset[str]) -> _Symbol:
    """The symbol as a variant build sees it: ``other`` on the variant's ``ports``, ``plain``
    elsewhere (where the variant's build is impossible, the plain facts stand)."""
    base = other if other is not None else plain
    assert base is not None
    m = _Symbol(base.kind)
    for f in _SET_FIELDS:
        kept = getattr(plain, f) - ports if plain is not None else set()
        setattr(m, f, kept | (getattr(other, f) if other is not None else set()))
    if plain is not None:
        for p, sigs in plain.sigs.items():
            if p not in ports:
                m.sigs[p] |= sigs
        m.own_sigs |= plain.own_sigs
        m.shame |= plain.shame
    if other is not None:
        for p, sigs in other.sigs.items():
            m.sigs[p] |= sigs
        m.own_sigs |= other.own_sigs
        m.shame |= other.shame
    m.generic = any(s is not None and s.generic for s in (plain, other))
    return m


class _Tables:
    """The shared tables of one document: platform sets, signatures, shame lists."""

    def __init__(self, order: tuple[str, ...]) -> None:
        self.order = order
        self.set_index: dict[str, int] = {}
        self.sig_index: dict[str, int] = {}
        self.shame_index: dict[tuple[str, ...], int] = {}

    @property
    def sets(self) -> Iterable[str]:
        return self.set_index

    @property
    def signatures(self) -> Iterable[str]:
        return self.sig_index

    @property
    def shame(self) -> Iterable[tuple[str, ...]]:
        return self.shame_index

    def set_ref(self, platforms: Iterable[str]) -> str:
        mask = codec.mask(frozenset(platforms), self.order)
        return _index(mask, self.set_index) if mask else ""

    def row(self, s: _Symbol) -> str | None:
        exists = frozenset(s.go | s.asm)
        if not exists:
            return None
        fields = [
            codec.kind_char(s.kind),
            *(
                self.set_ref(x)
                for x in (exists, s.go, s.body, s.asm, s.asm_internal, s.marked, s.std)
            ),
            "g" if s.generic else "",
            self._signatures(s),
            _index(tuple(sorted(s.shame)), self.shame_index) if s.shame else "",
        ]
        return "|".join(fields).rstrip("|")

    def _signatures(self, s: _Symbol) -> str:
        by_sig: dict[str, set[str]] = defaultdict(set)
        for platform, sigs in s.sigs.items():
            for sig in sigs:
                by_sig[sig].add(platform)
        if not by_sig:
            return ""
        if len(by_sig) == 1 and next(iter(by_sig.values())) == s.go:
            return _index(next(iter(by_sig)), self.sig_index)
        return ",".join(
            f"{_index(sig, self.sig_index)}:{self.set_ref(p)}"
            for sig, p in sorted(by_sig.items(), key=lambda kv: (kv[0] not in s.own_sigs, kv[0]))
        )


def _index(key: Any, table: dict[Any, int]) -> str:
    if key not in table:
        table[key] = len(table)
    return str(table[key])


def build_registry(
    goroots: Sequence[Path], out: Path, platforms: Sequence[str] | None = None
) -> dict[str, Any]:
    """Generate the facts of each GOROOT (every port of its version unless ``platforms`` is
    given) into ``out``: the tables every version shares (``codec.COMMON``), one data file per
    version, and ``MANIFEST.json``. Versions already in ``out`` and not regenerated are kept
    (re-encoded against the new shared tables); unreadable ones are dropped."""
    from bot.stdlib.facts import MANIFEST, data_file_name

    out.mkdir(parents=True, exist_ok=True)
    path = out / MANIFEST
    manifest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    documents: dict[int, dict[str, Any]] = {}
    entries: dict[str, Any] = {}
    for minor, document in _kept(out, manifest).items():
        documents[minor] = document
        entries[str(minor)] = manifest["versions"][str(minor)]
    for goroot in goroots:
        document = generate(goroot, platforms)
        documents[document["minor"]] = document
        entries[str(document["minor"])] = {
            "go": document["go"],
            "ports": {p.name: p.flags() for p in read_ports(goroot)},
        }
    common, versions = codec.split(documents)
    data = codec.dump(common)
    (out / codec.COMMON).write_bytes(data)
    manifest = {
        "format": codec.FORMAT,
        "common": {"file": codec.COMMON, "sha256": hashlib.sha256(data).hexdigest()},
        "versions": {},
    }
    for minor, version in sorted(versions.items()):
        data = codec.dump(version)
        name = data_file_name(minor)
        (out / name).write_bytes(data)
        manifest["versions"][str(minor)] = {
            **entries[str(minor)],
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "symbols": sum(1 for row in version["rows"].split("\n") if row),
            "platforms": version["platforms"],
        }
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _kept(out: Path, manifest: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """The standalone documents of the versions already in ``out`` (format 2 only)."""
    if manifest.get("format") != codec.FORMAT or "common" not in manifest:
        return {}
    try:
        common = codec.load((out / manifest["common"]["file"]).read_bytes())
    except (OSError, ValueError):
        return {}
    kept = {}
    for minor, entry in manifest.get("versions", {}).items():
        try:
            version = codec.load((out / entry["file"]).read_bytes())
            kept[int(minor)] = codec.join(common, version)
        except (OSError, ValueError, KeyError):
            continue
    return kept
