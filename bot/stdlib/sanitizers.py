"""Which sanitizer build (``-race``, ``-msan``, ``-asan``) a file needs, and the facts to judge
it with.

``go build -race`` sets the ``race`` build tag (``msan``, ``asan`` likewise) and links the
runtime's race support: symbols such as ``runtime.racefuncenter`` exist only there. A file whose
constraint a plain build cannot satisfy in a configuration, but the sanitizer's build can
(``//go:build race``), is compiled only with that flag, and is judged against the facts of that
build (``VersionFacts.variant``) on the ports that support it. A file a plain build compiles is
judged on the plain facts.

Tags the configuration does not fix (``cgo``, ``goexperiment.*``, custom tags) may be on or off,
as in ``bot.golang.constraints``; the sanitizer tags are off in a plain build.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import assert_never

from bot.golang.constraints import (
    And,
    ConstraintSyntaxError,
    Expr,
    Not,
    Or,
    Tag,
    build_header,
    parse_expr,
    tag_value,
)
from bot.golang.ports import SANITIZERS
from bot.stdlib.facts import VersionFacts

#: Free tags tried exhaustively; a constraint with more is taken as plain-buildable.
_MAX_FREE = 10


def constraint(source: str) -> Expr | None:
    """The file's build constraint as the go command reads its header (None: none, or one the
    go command rejects)."""
    header = build_header(source)
    if header.expr is None or header.error is not None:
        return None
    try:
        return parse_expr(header.expr)
    except ConstraintSyntaxError:
        return None


def _tags(x: Expr) -> Iterator[str]:
    match x:
        case Tag(name):
            yield name
        case Not(arg):
            yield from _tags(arg)
        case And(args) | Or(args):
            for a in args:
                yield from _tags(a)
        case _:
            assert_never(x)


def _eval(x: Expr, env: Mapping[str, bool]) -> bool:
    match x:
        case Tag(name):
            return env[name]
        case Not(arg):
            return not _eval(arg, env)
        case And(args):
            return all(_eval(a, env) for a in args)
        case Or(args):
            return any(_eval(a, env) for a in args)
        case _:
            assert_never(x)


def _satisfiable(x: Expr, fixed: Mapping[str, bool], free: list[str]) -> bool:
    for values in itertools.product((False, True), repeat=len(free)):
        if _eval(x, {**fixed, **dict(zip(free, values, strict=True))}):
            return True
    return False


def required_sanitizer(x: Expr | None, minor: int, platform: str) -> str | None:
    """The sanitizer whose build alone compiles a file with constraint ``x`` in
    (1.``minor``, ``platform``); None when a plain build compiles it (or none does)."""
    if x is None:
        return None
    tags = sorted(set(_tags(x)))
    goos, _, goarch = platform.partition("/")
    fixed: dict[str, bool] = {}
    free: list[str] = []
    for t in tags:
        v = tag_value(t, minor, goos, goarch)
        if t in SANITIZERS:
            fixed[t] = False
        elif v is None:
            free.append(t)
        else:
            fixed[t] = v
    if len(free) > _MAX_FREE or _satisfiable(x, fixed, free):
        return None
    for setting in SANITIZERS:
        if setting in tags and _satisfiable(x, {**fixed, setting: True}, free):
            return setting
    return None


def variant_facts(facts: VersionFacts, setting: str) -> VersionFacts | None:
    """The facts of the ``setting`` build of ``facts``' version; None without them."""
    if not setting:
        return facts
    return facts.variant(setting) if setting in facts.settings else None
