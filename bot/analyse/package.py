"""Go packages as the compiler groups them: the files of one directory and package name.

Files are parsed only when needed: those that contain ``go:linkname`` at once, their siblings
only when a directive's local is not found in its own file and the sibling's bytes contain the
name as a word (a file that declares it must).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from bot.golang.constraints import allows, file_settings
from bot.golang.header import first_code
from bot.golang.ports import exists as port_exists
from bot.golang.source import Decl, GoFile, read_file
from bot.versions import Config

Window = tuple[tuple[int, ...], tuple[str, ...]]


@dataclass
class SourceFile:
    """One .go file of a package: its bytes, parsed form and build configurations.

    ``window`` is the review's (versions, platforms). ``scope`` is where the package is looked at
    (default: the window); the engine widens it with the ports and Go versions of files that
    build on none of the window's platforms or versions, so siblings are found there too.
    """

    path: str
    data: bytes
    window: Window
    package_path: str = ""
    scope: Window | None = None
    _parsed: GoFile | None = None
    _settings: dict[Config, tuple[str, ...]] | None = None
    _configs: frozenset[Config] | None = None
    _builds: frozenset[Config] = field(default=frozenset(), repr=False, compare=False)
    _builds_of: dict[Config, tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    def rescope(self, scope: Window | None) -> None:
        """Look at the file in ``scope`` from now on (what depends on the scope is worked out
        again)."""
        self.scope = scope
        self._settings = self._configs = None

    @cached_property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def parsed(self) -> GoFile:
        if self._parsed is None:
            self._parsed = read_file(self.path, self.data, self.package_path)
        return self._parsed

    @cached_property
    def header_text(self) -> str:
        return _header(self.data).decode("utf-8", "replace")

    def settings_in(
        self, versions: tuple[int, ...], platforms: tuple[str, ...]
    ) -> dict[Config, tuple[str, ...]]:
        """Each configuration among ``versions`` × ``platforms`` (ports that exist in that
        version) in which the go command compiles the file → the settings it needs there."""
        found = file_settings(self.name, self.header_text, versions, platforms)
        return {c: s for c, s in found.items() if port_exists(*c)}

    def builds_in(self, versions: tuple[int, ...], platforms: tuple[str, ...]) -> frozenset[Config]:
        """The configurations among ``versions`` × ``platforms`` in which the file compiles,
        with whatever settings it needs."""
        return frozenset(self.settings_in(versions, platforms))

    @property
    def builds(self) -> frozenset[Config]:
        """Every configuration of the scope the file is compiled in (for looking names up)."""
        settings = self.settings()
        if self._builds_of is not settings:  # asked per lookup: made once per settings
            self._builds, self._builds_of = frozenset(settings), settings
        return self._builds

    @property
    def configs(self) -> frozenset[Config]:
        """The configurations its directives are judged in: the window's versions on the
        window's platforms, or, for a file that builds on none of them, on the ports it builds
        on."""
        if self._configs is None:
            versions, platforms = set(self.window[0]), set(self.window[1])
            in_versions = frozenset(c for c in self.builds if c[0] in versions)
            on_platforms = frozenset(c for c in in_versions if c[1] in platforms)
            self._configs = on_platforms or in_versions
        return self._configs

    def settings(self) -> dict[Config, tuple[str, ...]]:
        """Each configuration of the scope the file builds in → the build settings it needs
        beyond a plain ``go build`` ("cgo", "race", "GOAMD64=v3", "tag:NAME", "go test";
        empty: none)."""
        if self._settings is None:
            self._settings = self.settings_in(*(self.scope or self.window))
        return self._settings

    def allows(self, tag: str) -> bool:
        """Whether the file's build constraint can hold with ``tag`` on."""
        return allows(self.header_text, tag)

    @cached_property
    def is_test(self) -> bool:
        return self.name.endswith("_test.go")

    @cached_property
    def has_linkname(self) -> bool:
        return MARKER in self.data


MARKER = b"go:linkname"


def _header(data: bytes) -> bytes:
    """The bytes up to the end of the package clause's line: all that build constraints can be
    read from (the rest of the file is not decoded)."""
    clause = first_code(data)
    return data if clause is None else data[: clause.end]


@dataclass
class Package:
    """The files of one directory that share a package clause."""

    directory: str
    name: str
    import_path: str
    files: list[SourceFile] = field(default_factory=list)
    complete: bool = True  # every file of the directory is known
    has_assembly: bool = False  # .s files: the compiler is not run with -complete
    _candidates: dict[str, list[SourceFile]] = field(default_factory=dict, repr=False)

    def lookup(
        self, local: str, config: Config, first: SourceFile
    ) -> tuple[SourceFile, Decl] | None:
        """The package-level declaration of ``local`` in one configuration.

        ``go build`` compiles a package without its ``_test.go`` files, so only a test file
        sees declarations made in test files.
        """
        with_tests = first.is_test
        for f in self._search_order(first, local):
            if config not in f.builds or (f.is_test and not with_tests):
                continue
            decl = f.parsed.decls.get(local)
            if decl is not None:
                return f, decl
        return None

    def _search_order(self, first: SourceFile, local: str) -> Iterator[SourceFile]:
        """``first``, then the files that seem to declare ``local`` (a hint), then (rarely
        reached) every other file that contains it as a word."""
        yield first
        hinted = self._hints.get(local, [])
        yield from (f for f in hinted if f is not first)
        yield from (f for f in self._may_declare(local) if f is not first and f not in hinted)

    @cached_property
    def _hints(self) -> dict[str, list[SourceFile]]:
        """Names that look declared (``_DECL_HINT``), and their files."""
        out: dict[str, list[SourceFile]] = {}
        for f in self.files:
            names = _DECL_HINT.findall(f.data)
            for group in _GROUP.findall(f.data):
                names += _MEMBER.findall(group)
            for name in dict.fromkeys(names):
                out.setdefault(name.decode(), []).append(f)
        return out

    def _may_declare(self, local: str) -> list[SourceFile]:
        """The files whose bytes contain ``local`` as a word: the only ones that can declare it."""
        found = self._candidates.get(local)
        if found is None:
            name, word = local.encode(), _word(local)
            found = [f for f in self.files if name in f.data and word.search(f.data)]
            self._candidates[local] = found
        return found

    def directive_files(self) -> list[SourceFile]:
        return [f for f in self.files if f.has_linkname]


#: A name after ``func``/``var``/``const``/``type`` at a line start; gofmt'd ``var (…)`` and
#: ``const (…)`` groups, whose members start lines indented by one tab.
_DECL_HINT = re.compile(rb"\n(?:func|var|const|type)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
_GROUP = re.compile(rb"\n(?:var|const) \((.*?)\n\)", re.S)
_MEMBER = re.compile(rb"\n\t([A-Za-z_][A-Za-z0-9_]*)")


def word_pattern(name: str) -> re.Pattern[bytes]:
    """``name`` as a whole word in Go source bytes."""
    return _word(name)


@lru_cache(maxsize=4096)
def _word(name: str) -> re.Pattern[bytes]:
    """``name`` not preceded or followed by an ASCII identifier byte (never misses a use)."""
    return re.compile(rb"(?<![A-Za-z0-9_])" + re.escape(name.encode()) + rb"(?![A-Za-z0-9_])")


def group_packages(
    files: Iterable[SourceFile],
    package_name: Callable[[SourceFile], str | None],
    import_path: Callable[[str, str], str],
) -> list[Package]:
    """Group files by (directory, package name), in file-name order as the go command does."""
    packages: dict[tuple[str, str], Package] = {}
    for f in sorted(files, key=lambda f: f.path):
        name = package_name(f)
        if name is None:
            continue
        directory = posixpath.dirname(f.path)
        key = (directory, name)
        if key not in packages:
            packages[key] = Package(directory, name, import_path(directory, name))
        f.package_path = packages[key].import_path
        packages[key].files.append(f)
    return list(packages.values())
