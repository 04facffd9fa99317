"""Read Go sources from the local disk into a Workspace, as the go command would list them.

Paths in the workspace (and so in every report) are relative to the repository root: the git
top level of the first PATH, or, outside git, the current directory (the first PATH's module
root when it is not below the current directory). A PATH may be a file, a directory (read
recursively) or a go-style pattern ``dir/...``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.analyse.engine import Workspace
from bot.analyse.files import MARKER, TreeFiles
from bot.fetch import local_git
from bot.golang.gomod import find_module_root
from bot.golang.header import first_code

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


class InputError(Exception):
    """A path that cannot be read."""


@dataclass(frozen=True)
class LocalTree:
    base: Path  # the repository root: paths in the workspace are relative to it
    workspace: Workspace
    requested: frozenset[str] | None  # report only these files (a file was named), or all


def skipped_dir(name: str) -> bool:
    """A directory the go command does not look into for ``./...``."""
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def skipped_file(name: str) -> bool:
    return name.startswith((".", "_"))


def strip_pattern(path: Path) -> Path:
    """``dir/...`` (the go command's pattern for a tree) → ``dir``; other paths unchanged."""
    text = str(path)
    if text == "...":
        return Path(".")
    if text.endswith(("/...", os.sep + "...")):
        return Path(text[:-4] or "/")
    return path


def repository_root(path: Path, cwd: Path | None = None) -> Path:
    """The git top level of ``path``; outside git the current directory, or ``path``'s module
    root (its own directory without one) when ``path`` is not below the current directory."""
    resolved = path.resolve()
    try:
        return local_git.repo_root(resolved).resolve()
    except local_git.GitError:
        pass
    here = (cwd or Path.cwd()).resolve()
    if resolved == here or here in resolved.parents:
        return here
    start = resolved if resolved.is_dir() else resolved.parent
    return find_module_root(start) or start


def load(paths: list[Path], cwd: Path | None = None) -> LocalTree:
    """Load every .go file (and go.mod) below ``paths``; a named file brings its directory."""
    paths = [strip_pattern(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
    base = repository_root(paths[0], cwd)
    files = LocalFiles()
    asm: set[str] = set()
    requested: set[str] | None = set()
    dirs: set[Path] = set()
    for p in paths:
        rp = p.resolve()
        if rp.is_file():
            dirs.add(rp.parent)
            if requested is not None:
                requested.add(_rel(rp, base))
        else:
            requested = None
            for root, subdirs, _ in os.walk(rp):
                subdirs[:] = sorted(d for d in subdirs if not skipped_dir(d))
                dirs.add(Path(root))
    for d in sorted(dirs):
        _read_dir(d, base, files, asm)
    for mod in enclosing_gomods(dirs, base):
        rel = _rel(mod, base)
        if rel not in files:
            files.hold(rel, mod.read_bytes())
    return LocalTree(
        base,
        Workspace(files, complete_dirs=None, assembly_dirs=frozenset(asm)),
        frozenset(requested) if requested else None,
    )


def enclosing_gomods(dirs: Iterable[Path], base: Path) -> set[Path]:
    """The go.mod of the module each directory belongs to (the nearest one at or above it, not
    above the repository root)."""
    out: set[Path] = set()
    for d in dirs:
        for candidate in (d, *d.parents):
            mod = candidate / "go.mod"
            if mod.is_file():
                out.add(mod)
                break
            if candidate == base:
                break
    return out


class LocalFiles(TreeFiles):
    """The .go and go.mod files of a local tree, by repository-relative path, in the order
    they were listed. Only the files of directories where some .go file mentions
    ``go:linkname``, and go.mod files, are held in memory: of the others (most of a large
    tree) only the header is kept, and their bytes are read again from disk when asked for
    (then held)."""

    def __init__(self) -> None:
        self._files: dict[str, bytes | str] = {}  # bytes, or the absolute path to read
        self._headers: dict[str, bytes] = {}
        self._marked: set[str] = set()

    @property
    def marked(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset(self._marked)  # asked once per review

    def hold(self, path: str, data: bytes) -> None:
        self._files[path] = data
        if path.endswith(".go") and MARKER in data:
            self._marked.add(path)

    def refer(self, path: str, where: str, header: bytes) -> None:
        self._files[path] = where
        self._headers[path] = header

    def header(self, path: str) -> bytes:
        data = self._files[path]
        return data if isinstance(data, bytes) else self._headers[path]

    def __getitem__(self, path: str) -> bytes:
        data = self._files[path]
        if isinstance(data, bytes):
            return data
        try:
            with open(data, "rb") as f:
                read = f.read()
        except OSError as err:
            raise InputError(f"{data}: {err.strerror}") from err
        self._files[path] = read
        return read

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def _read_dir(d: Path, base: Path, files: LocalFiles, asm: set[str]) -> None:
    """Read the directory's files; hold them only if one of its .go files mentions
    go:linkname (so at most one directory's bytes are held while a tree is read)."""
    try:
        entries = sorted(os.scandir(d), key=lambda entry: entry.name)
    except OSError as e:
        raise InputError(f"{d}: {e.strerror}") from e
    prefix = _rel(d, base)
    prefix = prefix + "/" if prefix else ""
    read: list[tuple[str, str, bytes]] = []
    for entry in entries:
        if not entry.is_file() or skipped_file(entry.name):
            continue
        if entry.name.endswith(".go") or entry.name == "go.mod":
            try:
                with open(entry.path, "rb") as f:
                    read.append((prefix + entry.name, entry.path, f.read()))
            except OSError as err:
                raise InputError(f"{entry.path}: {err.strerror}") from err
        elif entry.name.endswith((".s", ".S")):
            asm.add(_rel(d, base) if d != base else "")
    marked = any(rel.endswith(".go") and MARKER in data for rel, _, data in read)
    for rel, where, data in read:
        if marked or not rel.endswith(".go"):
            files.hold(rel, data)
        else:
            clause = first_code(data)
            files.refer(rel, where, data if clause is None else data[: clause.end])


def _rel(p: Path, base: Path) -> str:
    try:
        rel = p.relative_to(base)
    except ValueError:
        rel = Path(os.path.relpath(p, base))
    s = rel.as_posix()
    return "" if s == "." else s
