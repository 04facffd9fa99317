"""Read Go sources from the local disk into a Workspace, as the go command would list them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.analyse.engine import Workspace
from bot.golang.gomod import find_module_root

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


class InputError(Exception):
    """A path that cannot be read."""


@dataclass(frozen=True)
class LocalTree:
    base: Path  # paths in the workspace are relative to this directory
    workspace: Workspace
    requested: frozenset[str] | None  # report only these files (a file was named), or all


def _skip(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def load(paths: list[Path]) -> LocalTree:
    """Load every .go file (and go.mod) below ``paths``; a named file brings its directory."""
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
    first = paths[0].resolve()
    start = first if first.is_dir() else first.parent
    base = find_module_root(start) or start
    files: dict[str, bytes] = {}
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
                subdirs[:] = sorted(d for d in subdirs if not _skip(d))
                dirs.add(Path(root))
    for d in sorted(dirs):
        _read_dir(d, base, files, asm)
    mod = base / "go.mod"
    if mod.is_file():
        files.setdefault(_rel(mod, base), mod.read_bytes())
    return LocalTree(
        base,
        Workspace(files, complete_dirs=None, assembly_dirs=frozenset(asm)),
        frozenset(requested) if requested else None,
    )


def _read_dir(d: Path, base: Path, files: dict[str, bytes], asm: set[str]) -> None:
    try:
        entries = sorted(os.scandir(d), key=lambda entry: entry.name)
    except OSError as e:
        raise InputError(f"{d}: {e.strerror}") from e
    for entry in entries:
        if not entry.is_file() or entry.name.startswith((".", "_")):
            continue
        if entry.name.endswith(".go") or entry.name == "go.mod":
            try:
                files[_rel(Path(entry.path), base)] = Path(entry.path).read_bytes()
            except OSError as err:
                raise InputError(f"{entry.path}: {err.strerror}") from err
        elif entry.name.endswith((".s", ".S")):
            asm.add(_rel(d, base) if d != base else "")


def _rel(p: Path, base: Path) -> str:
    try:
        rel = p.relative_to(base)
    except ValueError:
        rel = Path(os.path.relpath(p, base))
    s = rel.as_posix()
    return "" if s == "." else s
