"""Which (Go version, platform) configurations a .go file builds in.

A faithful port of the go command's file selection: ``go/build``'s ``matchFile``,
``goodOSArchFile``, ``shouldBuild``, ``parseFileHeader`` and ``matchTag``, and
``go/build/constraint``'s parsers. One policy differs from a single ``go build``: tags the
configuration does not fix (``cgo``, ``goexperiment.*``, custom tags) may be on or off, and a
file builds in a configuration if *some* assignment of them satisfies its constraint.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeAlias, assert_never

from bot.golang.header import SPACE, strip_comments
from bot.versions import Config

__all__ = [
    "KNOWN_ARCH",
    "KNOWN_OS",
    "UNIX_OS",
    "And",
    "BuildHeader",
    "ConstraintSyntaxError",
    "Expr",
    "Not",
    "Or",
    "Tag",
    "allows",
    "build_header",
    "file_configs",
    "file_settings",
    "format_expr",
    "parse_expr",
    "setting_phrase",
]

# From go/build/syslist.go (Go ≤ 1.23) and internal/syslist/syslist.go (Go ≥ 1.24);
# identical in every toolchain from 1.21 to 1.27.
KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd "
    "plan9 solaris wasip1 windows zos".split()
)
UNIX_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios linux netbsd openbsd solaris".split()
)
KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le "
    "mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm".split()
)

#: GOOS values that also satisfy another GOOS's tag and file-name suffix.
_IMPLIED_OS = {"android": "linux", "illumos": "solaris", "ios": "darwin"}

_FIELDS = re.compile(f"[{SPACE}]+")
_RELEASE_TAG = re.compile(r"go1\.([1-9][0-9]*)")

_MAX_SIZE = 1000  # go/build/constraint's limit on //go:build operands
_MAX_OLD_SIZE = 100  # ... and on // +build operators


# Expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    x: Expr


@dataclass(frozen=True, slots=True)
class And:
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple[Expr, ...]


Expr: TypeAlias = Tag | Not | And | Or


class ConstraintSyntaxError(ValueError):
    """A //go:build expression the go command would reject."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def format_expr(x: Expr) -> str:
    """The //go:build form of ``x`` (constraint.Expr.String, but ``!(!x)`` stays parseable)."""
    match x:
        case Tag(name):
            return name
        case Not(arg):
            s = format_expr(arg)
            return f"!({s})" if isinstance(arg, And | Or | Not) else f"!{s}"
        case And(args):
            return " && ".join(_paren_if(a, Or) for a in args)
        case Or(args):
            return " || ".join(_paren_if(a, And) for a in args)
        case _:
            assert_never(x)


def _paren_if(x: Expr, kind: type[And] | type[Or]) -> str:
    s = format_expr(x)
    return f"({s})" if isinstance(x, kind) else s


def _substitute(x: Expr, env: Mapping[str, bool]) -> Expr | bool:
    """``x`` with the tags in ``env`` replaced by their values, constants folded away."""
    match x:
        case Tag(name):
            return env.get(name, x)
        case Not(arg):
            r = _substitute(arg, env)
            return (not r) if isinstance(r, bool) else Not(r)
        case And(args):
            return _fold(And, [_substitute(a, env) for a in args], absorbing=False)
        case Or(args):
            return _fold(Or, [_substitute(a, env) for a in args], absorbing=True)
        case _:
            assert_never(x)


def _fold(kind: type[And] | type[Or], args: list[Expr | bool], absorbing: bool) -> Expr | bool:
    if absorbing in args:
        return absorbing
    rest = [a for a in args if not isinstance(a, bool)]
    return _join(kind, rest) if rest else not absorbing


def _first_tag(x: Expr) -> str:
    while not isinstance(x, Tag):
        x = x.x if isinstance(x, Not) else x.args[0]
    return x.name


def _tags(x: Expr) -> set[str]:
    match x:
        case Tag(name):
            return {name}
        case Not(arg):
            return _tags(arg)
        case And(args) | Or(args):
            return set().union(*(_tags(a) for a in args))
        case _:
            assert_never(x)


def _join(kind: type[And] | type[Or], args: list[Expr]) -> Expr:
    return args[0] if len(args) == 1 else kind(tuple(args))


# //go:build parsing --------------------------------------------------------------------------


def _is_tag_char(c: str) -> bool:
    return c.isalpha() or c.isdecimal() or c in "_."


class _ExprParser:
    """Recursive descent over ``or := and {'||' and}; and := not {'&&' not}; not := ['!'] atom``."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.tok = ""
        self.pos = 0
        self.is_tag = False
        self.size = 0

    def parse(self) -> Expr:
        x = self.or_()
        if self.tok:
            raise ConstraintSyntaxError(f"unexpected token {self.tok}", self.pos)
        return x

    def or_(self) -> Expr:
        args = [self.and_()]
        while self.tok == "||":
            args.append(self.and_())
        return _join(Or, args)

    def and_(self) -> Expr:
        args = [self.not_()]
        while self.tok == "&&":
            args.append(self.not_())
        return _join(And, args)

    def not_(self) -> Expr:
        self.size += 1
        if self.size > _MAX_SIZE:
            raise ConstraintSyntaxError("build expression too large", self.pos)
        self.lex()
        if self.tok == "!":
            self.lex()
            if self.tok == "!":
                raise ConstraintSyntaxError("double negation not allowed", self.pos)
            return Not(self.atom())
        return self.atom()

    def atom(self) -> Expr:
        if self.tok == "(":
            pos = self.pos
            try:
                x = self.or_()
            except ConstraintSyntaxError as e:
                if e.message == "unexpected end of expression":
                    raise ConstraintSyntaxError("missing close paren", e.offset) from None
                raise
            if self.tok != ")":
                raise ConstraintSyntaxError("missing close paren", pos)
            self.lex()
            return x
        if not self.is_tag:
            if not self.tok:
                raise ConstraintSyntaxError("unexpected end of expression", self.pos)
            raise ConstraintSyntaxError(f"unexpected token {self.tok}", self.pos)
        x = Tag(self.tok)
        self.lex()
        return x

    def lex(self) -> None:
        s, i = self.s, self.i
        self.is_tag = False
        while i < len(s) and s[i] in " \t":
            i += 1
        self.pos = i
        if i >= len(s):
            self.tok, self.i = "", i
            return
        c = s[i]
        if c in "()!":
            self.tok, self.i = c, i + 1
            return
        if c in "&|":
            if s[i + 1 : i + 2] != c:
                raise ConstraintSyntaxError(f"invalid syntax at {c}", i)
            self.tok, self.i = c + c, i + 2
            return
        j = i
        while j < len(s) and _is_tag_char(s[j]):
            j += 1
        if j == i:
            raise ConstraintSyntaxError(f"invalid syntax at {c}", i)
        self.tok, self.i, self.is_tag = s[i:j], j, True


@lru_cache(maxsize=8192)
def parse_expr(text: str) -> Expr:
    """Parse the expression of a ``//go:build`` line; raises ConstraintSyntaxError."""
    try:
        return _ExprParser(text).parse()
    except RecursionError:
        raise ConstraintSyntaxError("build expression too deeply nested", 0) from None


# // +build parsing ---------------------------------------------------------------------------


def _split_plus_build(line: str) -> str | None:
    """The text after ``// +build`` (``//+build`` too), or None for any other line."""
    if not line.startswith("//"):
        return None
    rest = line[2:].strip(SPACE)
    if not rest.startswith("+build"):
        return None
    rest = rest[len("+build") :]
    trimmed = rest.strip(SPACE)
    if rest and len(trimmed) == len(rest):
        return None  # "+buildfoo"
    return trimmed


def _parse_plus_build(text: str) -> Expr | None:
    """Legacy syntax: space = OR, comma = AND, ``!`` = NOT; None when too complex."""
    size = 0
    clauses: list[Expr] = []
    for clause in _FIELDS.split(text):
        if not clause:
            continue
        lits = [_plus_build_literal(lit) for lit in clause.split(",")]
        size += len(lits) - 1 + (1 if clauses else 0)
        if size > _MAX_OLD_SIZE:
            return None
        clauses.append(_join(And, lits))
    return _join(Or, clauses) if clauses else Tag("ignore")


def _plus_build_literal(lit: str) -> Expr:
    if lit.startswith("!!") or lit == "!":
        return Tag("ignore")
    neg = lit.startswith("!")
    name = lit[1:] if neg else lit
    x = Tag(name if name and all(_is_tag_char(c) for c in name) else "ignore")
    return Not(x) if neg else x


# File header ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildHeader:
    """The build constraints a file's header carries, as go/build reads them."""

    lines: tuple[int, ...] = ()  #: 1-based lines of the constraint comments honoured
    expr: str | None = None  #: normalised //go:build form of the constraint, None if none
    package_line: int | None = None  #: line of the package clause, None if not found
    error: str | None = None  #: why the go command would reject the header, if it would


@dataclass(slots=True)
class _Scan:
    end_line: int = 0  # last blank line before the first non-comment line: +build lines end here
    go_build: list[tuple[int, str]] = field(default_factory=list)
    package_line: int | None = None


def _is_go_build(line: str) -> bool:
    if not line.startswith("//go:build"):
        return False
    rest = line[len("//go:build") :]
    return not rest or len(rest.strip(SPACE)) < len(rest)


def _is_package_clause(code: str) -> bool:
    rest = code[len("package") :]
    return code.startswith("package") and not (rest and (rest[0].isalnum() or rest[0] == "_"))


def _scan_header(lines: list[str]) -> _Scan:
    """go/build's parseFileHeader over ``lines``, also noting the package clause."""
    scan = _Scan()
    ended = in_star = False
    for number, raw in enumerate(lines, 1):
        line = raw.strip(SPACE)
        if not line and not ended:
            scan.end_line = number
            continue
        if not line.startswith("//"):
            ended = True
        if not in_star and _is_go_build(line):
            scan.go_build.append((number, line))
            if len(scan.go_build) > 1:
                return scan
        code, in_star = strip_comments(line, in_star)
        if code:
            scan.package_line = number if _is_package_clause(code) else None
            return scan
    return scan


def _read(source: str) -> tuple[BuildHeader, Expr | None]:
    lines = source.removeprefix("\ufeff").split("\n")
    scan = _scan_header(lines)
    if len(scan.go_build) > 1:
        numbers = tuple(n for n, _ in scan.go_build)
        return BuildHeader(numbers, None, scan.package_line, "multiple //go:build comments"), None
    if scan.go_build:
        return _read_go_build(*scan.go_build[0], scan.package_line)
    return _read_plus_build(lines[: scan.end_line], scan.package_line)


def _read_go_build(
    number: int, line: str, package_line: int | None
) -> tuple[BuildHeader, Expr | None]:
    text = line[len("//go:build") :].strip(SPACE)
    try:
        x = parse_expr(text)
    except ConstraintSyntaxError as e:
        error = f"parsing //go:build line: {e.message}"
        return BuildHeader((number,), text, package_line, error), None
    return BuildHeader((number,), format_expr(x), package_line), x


def _read_plus_build(lines: list[str], package_line: int | None) -> tuple[BuildHeader, Expr | None]:
    """AND of the ``// +build`` lines; go/build skips lines it cannot parse."""
    honoured: list[tuple[int, Expr]] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip(SPACE)
        text = _split_plus_build(line) if "+build" in line else None
        x = _parse_plus_build(text) if text is not None else None
        if x is not None:
            honoured.append((number, x))
    if not honoured:
        return BuildHeader((), None, package_line), None
    combined = _join(And, [x for _, x in honoured])
    numbers = tuple(n for n, _ in honoured)
    return BuildHeader(numbers, format_expr(combined), package_line), combined


def build_header(source: str) -> BuildHeader:
    """The build constraints in ``source``'s header, as go/build honours them."""
    return _read(source)[0]


# Configurations ------------------------------------------------------------------------------


def tag_value(tag: str, minor: int, goos: str, goarch: str) -> bool | None:
    """The tag's value in a configuration; None when the build may set it either way."""
    if tag in (goos, goarch, "gc") or tag == _IMPLIED_OS.get(goos):
        return True
    if tag == "unix":
        return goos in UNIX_OS
    if tag == "gccgo" or tag in KNOWN_OS or tag in KNOWN_ARCH:
        return False
    if m := _RELEASE_TAG.fullmatch(tag):
        return int(m[1]) <= minor
    return None


#: Branches explored before a constraint is assumed satisfiable. Real constraints need a handful;
#: the bound keeps adversarial ones (it is SAT, after all) from stalling the bot.
_SEARCH_BUDGET = 4096


@lru_cache(maxsize=65536)
def _satisfiable(x: Expr, tags: tuple[str, ...], values: tuple[bool | None, ...]) -> bool:
    """Whether some assignment of the free (None) tags makes ``x`` true."""
    fixed = {t: v for t, v in zip(tags, values, strict=True) if v is not None}
    stack = [_substitute(x, fixed)]
    for _ in range(_SEARCH_BUDGET):
        if not stack:
            return False
        residual = stack.pop()
        if isinstance(residual, bool):
            if residual:
                return True
            continue
        tag = _first_tag(residual)
        stack += [_substitute(residual, {tag: False}), _substitute(residual, {tag: True})]
    return True


@lru_cache(maxsize=4096)
def _sorted_tags(x: Expr) -> tuple[str, ...]:
    return tuple(sorted(_tags(x)))


@dataclass(frozen=True)
class DefaultBuild:
    """A closed world: what a plain ``go build`` of that toolchain sets.

    Tags the go command sets only on request (``race``, ``asan``, ``msan``, ``purego``, custom
    tags) are off; ``cgo`` stays free; a ``goexperiment.x`` tag is on when the version's baseline
    sets it to ``true``, free when the baseline computes it, off otherwise.
    """

    on: frozenset[str] = frozenset()
    free: frozenset[str] = frozenset({"cgo"})

    def value(self, tag: str) -> bool | None:
        if tag in self.on:
            return True
        return None if tag in self.free else False


@lru_cache(maxsize=8192)
def _expr_configs(
    x: Expr | None,
    versions: tuple[int, ...],
    platforms: tuple[str, ...],
    default_build: DefaultBuild | None = None,
) -> frozenset[Config]:
    if x is None:
        return frozenset(itertools.product(versions, platforms))
    tags = _sorted_tags(x)
    out = set()
    for platform in platforms:
        goos, _, goarch = platform.partition("/")
        for minor in versions:
            values = tuple(tag_value(t, minor, goos, goarch) for t in tags)
            if default_build is not None:
                values = tuple(
                    default_build.value(t) if v is None else v
                    for t, v in zip(tags, values, strict=True)
                )
            if _satisfiable(x, tags, values):
                out.add((minor, platform))
    return frozenset(out)


@lru_cache(maxsize=4096)
def _name_tags(name: str) -> tuple[str, ...]:
    """The GOOS/GOARCH tags a file name's suffix requires (goodOSArchFile)."""
    stem = name.split(".", 1)[0]
    i = stem.find("_")
    if i < 0:
        return ()
    parts = stem[i:].split("_")
    if parts[-1] == "test":
        parts.pop()
    if len(parts) >= 2 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return (parts[-2], parts[-1])
    if parts and (parts[-1] in KNOWN_OS or parts[-1] in KNOWN_ARCH):
        return (parts[-1],)
    return ()


def _name_allows(tags: tuple[str, ...], platform: str) -> bool:
    goos, _, goarch = platform.partition("/")
    return all(tag_value(t, 0, goos, goarch) for t in tags)


def file_configs(
    filename: str,
    source: str,
    versions: Iterable[int],
    platforms: Iterable[str],
    *,
    default_build: DefaultBuild | None = None,
) -> frozenset[Config]:
    """The configurations among ``versions`` × ``platforms`` in which the file is compiled.

    Tags no configuration fixes may be on or off (a file builds if some setting makes it), unless
    ``default_build`` closes the world to a plain ``go build``.

    Empty for files the go command never compiles (``_x.go``, ``.x.go``, non-.go names) and for
    files whose header it rejects (see ``build_header(source).error``).
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith(("_", ".")) or not name.endswith(".go"):
        return frozenset()
    header, x = _read(source)
    if header.error is not None:
        return frozenset()
    name_tags = _name_tags(name)
    allowed = tuple(sorted(p for p in set(platforms) if _name_allows(name_tags, p)))
    return _expr_configs(x, tuple(sorted(set(versions))), allowed, default_build)


# Build settings ------------------------------------------------------------------------------
#
# ``file_configs`` answers "can this file build here at all"; ``file_settings`` answers "with
# which settings": a plain ``go build`` of the toolchain (CGO_ENABLED=0, no -race/-msan/-asan,
# no -tags, GOEXPERIMENT at the version's baseline, GOAMD64=v1 and the other GOARCH defaults),
# or the fewest extra settings that build it. Tags a plain build sets come from
# ``bot.golang.tool_tags`` (measured with every toolchain); ``ignore`` is never set.

#: Tags a user turns on with a build setting (not with -tags): tag → setting name.
_SETTING_TAGS = {"cgo": "cgo", "race": "race", "msan": "msan", "asan": "asan"}

#: The environment variable choosing a GOARCH's feature level (its ``GOARCH.x`` tags).
_ARCH_ENV = {
    "386": "GO386",
    "amd64": "GOAMD64",
    "arm": "GOARM",
    "arm64": "GOARM64",
    "mips": "GOMIPS",
    "mipsle": "GOMIPS",
    "mips64": "GOMIPS64",
    "mips64le": "GOMIPS64",
    "ppc64": "GOPPC64",
    "ppc64le": "GOPPC64",
    "riscv64": "GORISCV64",
    "wasm": "GOWASM",
}
_AMD64_LEVEL = re.compile(r"amd64\.v([1-9])")

#: Most free tags one search tries in every combination; beyond, all of them are assumed on.
_MAX_SETTING_TAGS = 10


def _plain_value(tag: str, minor: int, goos: str, goarch: str) -> bool | None:
    """The tag in a plain ``go build``: True/False, or None when a build setting turns it on."""
    fixed = tag_value(tag, minor, goos, goarch)
    if fixed is not None:
        return fixed
    if tag in tool_tags(minor, f"{goos}/{goarch}"):
        return True
    if tag == "ignore" or tag.startswith("goexperiment."):
        return False
    arch, dot, _ = tag.partition(".")
    if dot and arch in KNOWN_ARCH:
        return None if arch == goarch else False
    return None


def _setting_of(tag: str) -> str:
    if tag in _SETTING_TAGS:
        return _SETTING_TAGS[tag]
    arch, dot, level = tag.partition(".")
    if dot and arch in _ARCH_ENV:
        return f"{_ARCH_ENV[arch]}={level}"
    return f"tag:{tag}"


def _switch_env(tag: str) -> dict[str, bool]:
    """What turning ``tag`` on sets: GOAMD64=v3 also sets amd64.v2 (each level implies the
    lower ones)."""
    m = _AMD64_LEVEL.fullmatch(tag)
    if m is None:
        return {tag: True}
    return {f"amd64.v{n}": True for n in range(1, int(m[1]) + 1)}


def _fewest_settings(x: Expr, fixed: dict[str, bool], free: list[str]) -> tuple[str, ...] | None:
    """The fewest free tags to turn on (the rest off) that make ``x`` true; None if none do."""
    if len(free) > _MAX_SETTING_TAGS:
        on = {t: True for t in free}
        return tuple(sorted({_setting_of(t) for t in free})) if _true(x, fixed, on) else None
    for size in range(len(free) + 1):
        for chosen in itertools.combinations(sorted(free), size):
            env: dict[str, bool] = {t: False for t in free}
            for t in chosen:
                env.update(_switch_env(t))
            if _true(x, fixed, env):
                return tuple(sorted({_setting_of(t) for t in chosen}))
    return None


def _true(x: Expr, fixed: dict[str, bool], env: dict[str, bool]) -> bool:
    return _substitute(x, {**fixed, **env}) is True


@lru_cache(maxsize=8192)
def _expr_settings(
    x: Expr | None, versions: tuple[int, ...], platforms: tuple[str, ...]
) -> tuple[tuple[Config, tuple[str, ...]], ...]:
    if x is None:
        return tuple((c, ()) for c in itertools.product(versions, platforms))
    tags = _sorted_tags(x)
    out: list[tuple[Config, tuple[str, ...]]] = []
    # The answer depends only on the tags' values, which most configurations share.
    answers: dict[tuple[bool | None, ...], tuple[str, ...] | None] = {}
    for platform in platforms:
        goos, _, goarch = platform.partition("/")
        for minor in versions:
            key = tuple(_plain_value(t, minor, goos, goarch) for t in tags)
            if key in answers:
                settings = answers[key]
            else:
                fixed = {t: v for t, v in zip(tags, key, strict=True) if v is not None}
                free = [t for t, v in zip(tags, key, strict=True) if v is None]
                settings = answers[key] = _fewest_settings(x, fixed, free)
            if settings is not None:
                out.append(((minor, platform), settings))
    return tuple(out)


def file_settings(
    filename: str, source: str, versions: Iterable[int], platforms: Iterable[str]
) -> dict[Config, tuple[str, ...]]:
    """For each configuration among ``versions`` × ``platforms`` in which the file is compiled:
    the build settings it needs beyond a plain ``go build`` (``()``: none), the fewest that
    work: ``"cgo"``, ``"race"``, ``"msan"``, ``"asan"``, ``"GOAMD64=v3"`` (``GOARCH.x``
    feature tags), ``"tag:NAME"`` (custom tags), and ``"go test"`` for ``_test.go`` files.

    Files under ``ignore``, or needing a GOEXPERIMENT off its baseline, build nowhere.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name.startswith(("_", ".")) or not name.endswith(".go"):
        return {}
    header, x = _read(source)
    if header.error is not None:
        return {}
    name_tags = _name_tags(name)
    allowed = tuple(sorted(p for p in set(platforms) if _name_allows(name_tags, p)))
    found = _expr_settings(x, tuple(sorted(set(versions))), allowed)
    test = ("go test",) if name.endswith("_test.go") else ()
    return {c: (*test, *s) if test else s for c, s in found}


def allows(source: str, tag: str) -> bool:
    """Whether the file's constraint can hold with ``tag`` on (e.g. a ``!cgo`` file never builds
    with cgo); other tags may take any value."""
    header, x = _read(source)
    if header.error is not None:
        return False
    if x is None:
        return True
    rest = _substitute(x, {tag: True})
    if isinstance(rest, bool):
        return rest
    tags = _sorted_tags(rest)
    return _satisfiable(rest, tags, (None,) * len(tags))


def setting_phrase(setting: str) -> str:
    """How a message names a setting: "with cgo", "with -race", "with GOAMD64=v3", "in go test",
    "with -tags bytedance_tango"."""
    if setting == "go test":
        return "in go test"
    if setting == "cgo":
        return "with cgo"
    if setting in ("race", "msan", "asan"):
        return f"with -{setting}"
    if setting.startswith("tag:"):
        return f"with -tags {setting[4:]}"
    return f"with {setting}"


def tool_tags(minor: int, platform: str) -> frozenset[str]:
    """The tags a plain ``go build`` of Go 1.<minor> sets on ``platform`` beyond GOOS, GOARCH,
    ``unix``, ``gc`` and release tags (measured: ``bot.golang.tool_tags``). A version newer than
    the table uses the newest measured; a port it lacks, the tags every port of that version
    has."""
    return _tool_tags(minor, platform)


@lru_cache(maxsize=1024)
def _tool_tags(minor: int, platform: str) -> frozenset[str]:
    from bot.golang.tool_tags import TOOL_TAGS

    known = sorted(TOOL_TAGS)
    use = max((m for m in known if m <= minor), default=known[0])
    sets, ports = TOOL_TAGS[use]
    if platform in ports:
        return frozenset(sets[ports[platform]].split())
    every = [frozenset(s.split()) for s in sets]
    return frozenset.intersection(*every)
