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
per platform) may be on or off.

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.analyse.directives import split_symbol, symbol_prefix
from bot.golang.constraints import DefaultBuild, build_header, file_configs
from bot.golang.source import GoFile, package_clause, read_file
from bot.stdlib import codec
from bot.stdlib.asm import asm_symbols
from bot.versions import DEFAULT_PLATFORMS, parse_version

Plats = frozenset[str]
_SKIP_PACKAGES = frozenset(("builtin", "unsafe"))
_IGNORE = re.compile(r"(?<![\w.])ignore(?![\w.])")
_SHAME_ITEM = re.compile(r"^\s*//\s+-\s+(\S+)")
_DIRECTIVE = re.compile(r"^\s*//go:linkname(?:std)? (\S+)(?:[ \t]+(\S+))?\s*$")
_DECL = re.compile(r"^(?:func|var)\s+(?:\(\s*\w*\s*(\*?)\s*(\w+)[^)]*\)\s*)?(\w+)")
_GENERIC_RECV = re.compile(r"^func\s*\(\s*\w*\s*\*?\s*\w+\s*\[")


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


def generate(goroot: Path, platforms: Sequence[str] = DEFAULT_PLATFORMS) -> dict[str, Any]:
    """The facts document of the GOROOT's Go version (see ``bot.stdlib.codec``)."""
    go = source_version(goroot)
    minor = parse_version(go)
    order = tuple(sorted(platforms))
    src = goroot / "src"
    out = _Collector()
    packages: list[str] = []
    build = default_build(goroot)
    for import_path, directory, names in _package_dirs(src):
        if _read_package(out, import_path, directory, names, minor, order, build):
            packages.append(import_path)
    blocked = read_blocked(goroot)
    return _document(go, minor, order, sorted(packages), out, blocked, read_builtin_refs(goroot))


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
    out: _Collector,
    import_path: str,
    directory: Path,
    names: list[str],
    minor: int,
    order: tuple[str, ...],
    build: DefaultBuild,
) -> bool:
    """Add one package's symbols; False if it is not a library package of the standard library."""
    go_files: list[tuple[str, bytes, str, Plats]] = []
    asm_files: list[tuple[str, Plats]] = []
    for name in names:
        is_go = name.endswith(".go") and not name.endswith("_test.go")
        if not (is_go or name.endswith(".s")):
            continue
        data = (directory / name).read_bytes()
        text = data.decode("utf-8", "replace")
        expr = build_header(text).expr
        if expr is not None and _IGNORE.search(expr):
            continue
        as_go = name if is_go else name[:-2] + ".go"
        configs = file_configs(as_go, text, (minor,), order, default_build=build)
        plats = frozenset(p for _, p in configs)
        if not plats:
            continue
        if is_go:
            go_files.append((name, data, text, plats))
        else:
            asm_files.append((text, plats))
    clauses = {name: package_clause(data) for name, data, _, _ in go_files}
    counts = Counter(c for c in clauses.values() if c is not None and not c.endswith("_test"))
    if not counts:
        return False
    package = counts.most_common(1)[0][0]
    if package == "main":
        return False
    files = [
        _File(name, plats, read_file(f"{import_path}/{name}", data, import_path), text)
        for name, data, text, plats in go_files
        if clauses[name] == package
    ]
    _add_package(out, import_path, files, asm_files)
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
        for name, shame in _shame_lists(f.parsed.package_path, f.text):
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
    lines = f.text.split("\n")
    for i, m in enumerate(f.parsed.methods):
        generic = bool(_GENERIC_RECV.match(lines[m.line - 1])) if m.line <= len(lines) else False
        name = f"{prefix}.{m.symbol_suffix}"
        out.declare(name, "method", f.platforms, f.parsed.method_signature(i), m.defined, generic)


def _shame_lists(import_path: str, text: str) -> Iterator[tuple[str, list[str]]]:
    """(symbol, packages) for each "Notable members of the hall of shame include:" list."""
    lines = text.split("\n")
    prefix = symbol_prefix(import_path)
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
            d = _DIRECTIVE.match(lines[j])
            if d and target is None:
                target = d[2] if d[2] else f"{prefix}.{d[1]}"
            j += 1
        if target is None and j < len(lines) and (m := _DECL.match(lines[j])):
            star, recv, name = m[1], m[2], m[3]
            if recv:
                target = f"{prefix}.(*{recv}).{name}" if star else f"{prefix}.{recv}.{name}"
            else:
                target = f"{prefix}.{name}"
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
    out: _Collector,
    blocked: dict[str, list[str]] | None,
    builtin_refs: dict[str, int] | None = None,
) -> dict[str, Any]:
    sig_index: dict[str, int] = {}
    shame_index: dict[tuple[str, ...], int] = {}
    rows: dict[str, str] = {}
    for name in sorted(out.symbols):
        s = out.symbols[name]
        exists = frozenset(s.go | s.asm)
        if not exists or not split_symbol(name)[0]:
            continue
        fields = [
            codec.kind_char(s.kind),
            *(
                codec.mask(frozenset(x), order)
                for x in (exists, s.go, s.body, s.asm, s.asm_internal, s.marked, s.std)
            ),
            "g" if s.generic else "",
            _signatures(s, order, sig_index),
            _index(tuple(sorted(s.shame)), shame_index) if s.shame else "",
        ]
        rows[name] = "|".join(fields).rstrip("|")
    return {
        "format": codec.FORMAT,
        "go": go,
        "minor": minor,
        "platforms": list(order),
        "packages": packages,
        "blocked": blocked,
        "builtin_refs": builtin_refs,
        "names": "\n".join(rows),
        "rows": "\n".join(rows.values()),
        "signatures": "\n".join(sig.replace("\n", " ") for sig in sig_index),
        "shame": [list(k) for k in shame_index],
    }


def _index(key: Any, table: dict[Any, int]) -> str:
    if key not in table:
        table[key] = len(table)
    return str(table[key])


def _signatures(s: _Symbol, order: tuple[str, ...], table: dict[str, int]) -> str:
    by_sig: dict[str, set[str]] = defaultdict(set)
    for platform, sigs in s.sigs.items():
        for sig in sigs:
            by_sig[sig].add(platform)
    if not by_sig:
        return ""
    if len(by_sig) == 1 and next(iter(by_sig.values())) == s.go:
        return _index(next(iter(by_sig)), table)
    return ",".join(
        f"{_index(sig, table)}:{codec.mask(frozenset(p), order)}"
        for sig, p in sorted(by_sig.items(), key=lambda kv: (kv[0] not in s.own_sigs, kv[0]))
    )


def build_registry(
    goroots: Sequence[Path], out: Path, platforms: Sequence[str] = DEFAULT_PLATFORMS
) -> dict[str, Any]:
    """Write one data file per GOROOT into ``out`` and update ``MANIFEST.json``."""
    from bot.stdlib.facts import MANIFEST, data_file_name

    out.mkdir(parents=True, exist_ok=True)
    path = out / MANIFEST
    manifest: dict[str, Any] = (
        json.loads(path.read_text()) if path.exists() else {"format": codec.FORMAT}
    )
    versions: dict[str, Any] = manifest.setdefault("versions", {})
    manifest["platforms"] = sorted(platforms)
    for goroot in goroots:
        document = generate(goroot, platforms)
        data = codec.dump(document)
        name = data_file_name(document["minor"])
        (out / name).write_bytes(data)
        versions[str(document["minor"])] = {
            "go": document["go"],
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "symbols": document["names"].count("\n") + 1,
        }
    manifest["versions"] = dict(sorted(versions.items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
