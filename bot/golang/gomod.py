"""The little of go.mod the bot needs: module path, go line, toolchain line.

``parse_gomod`` is deliberately tolerant (it never raises): a go.mod the go command would reject
still tells us which module a directory belongs to and which Go versions to judge.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GoMod", "find_module_root", "import_path", "parse_gomod"]

_GO_VERSION = re.compile(r"1\.(\d+)(?![0-9])")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|`[^`]*`?|[()]|[^\s"`()]+')


@dataclass(frozen=True, slots=True)
class GoMod:
    module: str | None = None  #: module path, None when there is no module directive
    go: int | None = None  #: minor version of the go directive: "go 1.22.3" → 22
    toolchain: str | None = None  #: the toolchain directive as written, e.g. "go1.23.4"
    requires: tuple[str, ...] = ()  #: module paths of the require directives

    def provides(self, import_path: str) -> bool:
        """The import path is in this module or in one of its required modules (``std`` and
        ``cmd`` hold the paths without a dot in their first element)."""
        if self.module in ("std", "cmd") and "." not in import_path.split("/", 1)[0]:
            return True
        return any(
            import_path == m or import_path.startswith(m + "/")
            for m in (self.module, *self.requires)
            if m
        )


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token.strip("`")
    if token.startswith('"'):
        body = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
        return re.sub(r"\\(.)", r"\1", body)
    return token


def _tokens(line: str) -> list[str]:
    """The line's words, quotes removed, up to a ``//`` comment outside quotes."""
    words: list[str] = []
    for match in _TOKEN.finditer(line):
        token = match.group()
        if token.startswith("//"):
            break
        if "//" in token and token[0] not in '"`':
            words.append(token[: token.index("//")])
            break
        words.append(_unquote(token))
    return [w for w in words if w]


def _directives(text: str) -> list[tuple[str, list[str]]]:
    """(verb, arguments) for every line, with ``verb ( ... )`` blocks expanded."""
    out: list[tuple[str, list[str]]] = []
    block: str | None = None
    for raw in text.splitlines():
        words = _tokens(raw)
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
            else:
                out.append((block, words))
        elif len(words) == 2 and words[1] == "(":
            block = words[0]
        else:
            out.append((words[0], words[1:]))
    return out


def _minor(version: str) -> int | None:
    """``1.22.3``, ``1.22``, ``1.22rc1`` → 22; None for anything else."""
    m = _GO_VERSION.match(version)
    return int(m[1]) if m else None


def parse_gomod(text: str) -> GoMod:
    """Read the module, go and toolchain directives (the first of each wins) and the module
    paths of every require directive."""
    found: dict[str, str] = {}
    requires: list[str] = []
    for verb, args in _directives(text.removeprefix("\ufeff")):
        if verb in ("module", "go", "toolchain") and args and verb not in found:
            found[verb] = args[0]
        elif verb == "require" and args:
            requires.append(args[0])
    go = found.get("go")
    return GoMod(
        found.get("module"), _minor(go) if go else None, found.get("toolchain"), tuple(requires)
    )


def find_module_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a go.mod file (as cmd/go looks)."""
    directory = Path(os.path.normpath(start.absolute()))
    if directory.is_file():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return None


def import_path(module: GoMod, module_root: Path, directory: Path) -> str:
    """The import path of the package in ``directory``; raises ValueError if outside the module.

    Without a module path, the directory's path relative to the module root ("." at the root).
    """
    root = Path(os.path.normpath(module_root.absolute()))
    rel = Path(os.path.normpath(directory.absolute())).relative_to(root).as_posix()
    if module.module is None:
        return rel
    return module.module if rel == "." else f"{module.module}/{rel}"


def gomod_candidates(directories: Iterable[str]) -> list[str]:
    """``go.mod`` paths in every directory that may enclose one of ``directories`` (POSIX,
    repository-relative; the root first): where the module of those directories is declared."""
    dirs = {""}
    for d in directories:
        while d:
            dirs.add(d)
            d = posixpath.dirname(d)
    return [posixpath.join(d, "go.mod") if d else "go.mod" for d in sorted(dirs)]
