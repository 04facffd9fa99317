"""Differential check of the compile-level rules against the real ``go build``.

Each case is a tiny module. The analyzer, asked about exactly the toolchain's version and the
build's platform, must report a compile-level error iff the build fails, at the positions the
compiler prints. How analyzer findings map to compiler positions (``path:line:col``):

* directive-positioned rules (misplaced, malformed, missing-unsafe-import, instantiated-target,
  unknown-local, duplicate-directive): the directive's line, and column + 2 — the compiler
  points after the ``//``;
* ``generic-local``: the compiler's "generic function is missing function body" is at the
  func's line (its name), not the directive's; so are the internal compiler error (1.21-1.26)
  and ``symbol … redeclared`` (1.27) of a generic local with a body the package instantiates;
* ``ignored-directive`` (error): "missing function body" at the bodiless func's line;
* ``missing-unsafe-import`` and ``instantiated-target`` on a bodiless func that nothing else
  links: the compiler drops the directive, so it also says "missing function body" at the
  func's line.

The compiler stops at the first failing stage, so only the analyzer's errors of the earliest
stage are expected: parse (misplaced, malformed), then type-checking (generic-local), then the
rest. Before Go 1.23 an instantiated target is refused by the linker, not the compiler: the
build (of a ``main`` package) fails with no position.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import textwrap
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Finding, Severity
from bot.golang.source import GoFile, read_file
from bot.rules import family
from bot.testing import toolchains

COMPILE_RULES = family("compile")
PARSE_STAGE = frozenset({"misplaced-directive", "malformed-directive"})
TYPES_STAGE = frozenset({"generic-local"})
AT_DIRECTIVE = frozenset(
    {
        "misplaced-directive",
        "malformed-directive",
        "missing-unsafe-import",
        "instantiated-target",
        "unknown-local",
        "duplicate-directive",
    }
)
DROPS_DIRECTIVE = frozenset({"missing-unsafe-import", "instantiated-target"})
#: Rules the linker, not the compiler, enforces before a version: (rule → first compiler version).
LINKER_BEFORE = {"instantiated-target": 23}
POSITION = re.compile(r"^(?:\./)?(\S+\.go):(\d+):(\d+): (.*)$", re.M)

Pos = tuple[str, int, int | None]


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]
    gomod_go: str = "1.21"
    goos: str = "linux"
    main: bool = False  # build and link a command instead of compiling a library
    expect_failure: bool | None = None  # what the case was written to show (on Go 1.23+)


UNSAFE = 'package p\n\nimport _ "unsafe"\n\n'


def _case(
    id: str,
    body: str = "",
    *,
    files: dict[str, str] | None = None,
    gomod_go: str = "1.21",
    goos: str = "linux",
    main: bool = False,
    expect_failure: bool | None = None,
) -> Case:
    """A module of ``files``, or of one file ``a.go`` importing unsafe followed by ``body``."""
    files = files or {"a.go": UNSAFE + textwrap.dedent(body).lstrip("\n")}
    return Case(id, files, gomod_go, goos, main, expect_failure)


CASES: list[Case] = [
    # clean forms
    _case("pull", "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"),
    _case("push", "//go:linkname helper example.com/q.helper\nfunc helper() int { return 1 }\n"),
    _case("export", "//go:linkname Exported\nfunc Exported() int { return 1 }\n"),
    _case("receive", "//go:linkname recv\nfunc recv() int\n"),
    _case("var-pull", "//go:linkname ncpu runtime.ncpu\nvar ncpu int32\n"),
    _case("var-push", "//go:linkname myVar example.com/q.myVar\nvar myVar = 5\n"),
    _case("var-second-name", "//go:linkname b runtime.b\nvar a, b int\n"),
    _case(
        "in-func-body",
        "func f() {\n\t//go:linkname nanotime runtime.nanotime\n\t_ = 1\n}\n\n"
        "func nanotime() int64\n",
    ),
    _case("end-of-file", "func nanotime() int64\n\n//go:linkname nanotime runtime.nanotime\n"),
    _case("two-spaces", "//go:linkname  nanotime  runtime.nanotime\nfunc nanotime() int64\n"),
    _case(
        "sibling-file",
        files={
            "a.go": UNSAFE + "//go:linkname nanotime runtime.nanotime\n",
            "b.go": "package p\n\nfunc nanotime() int64\n",
        },
    ),
    _case(
        "handshake-push-receive",
        files={
            "p/p.go": UNSAFE + "//go:linkname helper example.com/m/q.helper\n"
            "func helper() int { return 1 }\n",
            "q/q.go": UNSAFE.replace("package p", "package q") + "//go:linkname helper\n"
            "func helper() int\n",
        },
    ),
    _case(
        "handshake-pull-export",
        files={
            "p/p.go": UNSAFE + "//go:linkname helper example.com/m/q.helper\nfunc helper() int\n",
            "q/q.go": UNSAFE.replace("package p", "package q") + "//go:linkname helper\n"
            "func helper() int { return 2 }\n",
        },
    ),
    _case(
        "prose-mentions",
        "// See go:linkname docs. Not a directive: //go:linkname in prose.\n"
        'var s = "//go:linkname nothing here"\n\nvar t = 1 // go:linkname t trailing prose\n',
    ),
    _case(
        "gomod-1.17-undeclared",
        "//go:linkname nosuch runtime.nosuch\n",
        gomod_go="1.17",
    ),
    _case("crlf", "//go:linkname nanotime runtime.nanotime\r\nfunc nanotime() int64\r\n"),
    _case("generic-with-body", "//go:linkname gb example.com/q.gb\nfunc gb[T any]() {}\n"),
    _case(
        "generic-with-body-instantiated",
        "//go:linkname gb example.com/q.gb\nfunc gb[T any]() int { return 1 }\n\n"
        "var x = gb[int]()\n",
        expect_failure=True,
    ),
    _case(
        "generic-with-body-inferred",
        "//go:linkname gb\nfunc gb[T any](v T) T { return v }\n\nvar x = gb(1)\n",
        expect_failure=True,
    ),
    _case(
        "generic-with-body-mentioned",
        '//go:linkname gb\nfunc gb[T any](v T) T { return v }\n\nvar s = "gb" // gb\n',
    ),
    _case("target-half-bracket", "//go:linkname f runtime.f[\nfunc f() {}\n"),
    _case(
        "near-miss-with-body",
        "// go:linkname f runtime.f\nfunc f() {}\n\n/*go:linkname v runtime.v*/\nvar v int\n",
    ),
    _case(
        "near-miss-covered",
        "// go:linkname nanotime runtime.nanotime\n"
        "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
    ),
    _case(
        "linux-only-on-linux",
        files={
            "a.go": UNSAFE + "//go:linkname nanotime runtime.nanotime\n",
            "x_linux.go": "package p\n\nfunc nanotime() int64\n",
        },
    ),
    # compile errors
    _case(
        "linux-only-on-windows",
        files={
            "a.go": UNSAFE + "//go:linkname nanotime runtime.nanotime\n",
            "x_linux.go": "package p\n\nfunc nanotime() int64\n",
        },
        goos="windows",
        expect_failure=True,
    ),
    _case("undeclared", "//go:linkname nosuch runtime.nosuch\n", expect_failure=True),
    _case(
        "const-type-method",
        """
        //go:linkname c runtime.c
        const c = 1

        //go:linkname T runtime.T
        type T int

        //go:linkname m runtime.m
        func (T) m() {}
        """,
        expect_failure=True,
    ),
    _case(
        "local-in-func-body",
        "func f() {\n\tvar x int\n\t_ = x\n}\n\n//go:linkname x runtime.x\n",
        expect_failure=True,
    ),
    _case("init", "//go:linkname init runtime.x\nfunc init() {}\n", expect_failure=True),
    _case("blank", "//go:linkname _ runtime.x\nvar _ int\n", expect_failure=True),
    _case(
        "test-file-decl",
        files={
            "a.go": UNSAFE + "//go:linkname helper example.com/q.helper\n",
            "a_test.go": "package p\n\nfunc helper() int { return 1 }\n",
        },
        expect_failure=True,
    ),
    _case(
        "missing-unsafe",
        files={
            "a.go": "package p\n\n//go:linkname nanotime runtime.nanotime\n"
            "func nanotime() int64\n\n//go:linkname g example.com/q.g\nfunc g() {}\n",
            "b.go": UNSAFE,
        },
        expect_failure=True,
    ),
    _case(
        "instantiation",
        "//go:linkname index slices.Index[[]int,int]\nfunc index(s []int, v int) int\n",
        expect_failure=True,
    ),
    _case(
        "instantiation-main",
        files={
            "main.go": UNSAFE.replace("package p", "package main")
            + "//go:linkname index slices.Index[[]int,int]\nfunc index(s []int, v int) int\n\n"
            "func main() { println(index(nil, 1)) }\n"
        },
        main=True,
        expect_failure=True,
    ),
    _case("generic-bodiless", "//go:linkname g runtime.g\nfunc g[T any]()\n", expect_failure=True),
    _case(
        "generic-and-unsafe",
        files={
            "a.go": "package p\n\n//go:linkname g runtime.g\nfunc g[T any]()\n\n"
            "//go:linkname h example.com/q.h\nfunc h() {}\n"
        },
        expect_failure=True,
    ),
    _case(
        "duplicate",
        "//go:linkname nanotime runtime.nanotime\n//go:linkname nanotime runtime.nanotime\n"
        "func nanotime() int64\n\n//go:linkname v runtime.v1\n//go:linkname v runtime.v2\n"
        "var v int\n",
        expect_failure=True,
    ),
    _case(
        "duplicate-across-files",
        files={
            "a.go": UNSAFE + "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
            "b.go": UNSAFE + "//go:linkname nanotime runtime.nanotime\n",
        },
        expect_failure=True,
    ),
    _case(
        "misplaced",
        "var x = 1 //go:linkname x runtime.x\n\n/* c */ //go:linkname y runtime.y\nvar y int\n",
        expect_failure=True,
    ),
    _case(
        "misplaced-near-miss-shapes",
        "var a = 1 //go:linkname\nvar b = 2 //go:linkname\tb runtime.b\n"
        "var c = 3 //go:linknamestd c runtime.c\nvar d = 4 // go:linkname d runtime.d\n",
        expect_failure=True,
    ),
    _case(
        "malformed",
        "//go:linkname a b c\nfunc a() {}\n\n//go:linkname nanotime runtime.nanotime // pull\n"
        "func nanotime() int64\n",
        expect_failure=True,
    ),
    _case(
        "malformed-and-unsafe-missing",
        files={"a.go": "package p\n\n//go:linkname a b c\nfunc a() {}\n\n//go:linkname x y\n"},
        expect_failure=True,
    ),
    _case("space-after-slashes", "// go:linkname f runtime.f\nfunc f()\n", expect_failure=True),
    _case("block-comment", "/*go:linkname f runtime.f*/\nfunc f()\n", expect_failure=True),
    _case("tab", "//go:linkname\tf runtime.f\nfunc f()\n", expect_failure=True),
    _case("bare", "//go:linkname\nfunc f()\n", expect_failure=True),
    _case(
        "linknamestd",
        "//go:linknamestd nanotime runtime.nanotime\nfunc nanotime() int64\n",
    ),
    _case(
        "linknamestd-with-body",
        "//go:linknamestd helper example.com/q.helper\nfunc helper() {}\n",
    ),
]


@dataclass(frozen=True)
class Outcome:
    failed: bool
    positions: frozenset[tuple[str, int, int]]
    output: str


def _write(case: Case, root: Path) -> dict[str, bytes]:
    files = {"go.mod": f"module example.com/m\n\ngo {case.gomod_go}\n", **case.files}
    out: dict[str, bytes] = {}
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        p.write_bytes(data)
        out[rel] = data
    return out


def build(minor: int, case: Case) -> tuple[Outcome, dict[str, bytes]]:
    """Run the real toolchain on the case's module."""
    # the go command may leave files in HOME after it exits: keep HOME outside the module
    with tempfile.TemporaryDirectory(prefix=f"oracle-{case.id}-", ignore_cleanup_errors=True) as t:
        root = Path(t) / "m"
        files = _write(case, root)
        env = toolchains.go_env(minor, Path(t)) | {"GOOS": case.goos, "GOARCH": "amd64"}
        args = ["go", "build", "-o", "/dev/null", "."] if case.main else ["go", "build", "./..."]
        proc = subprocess.run(
            args, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    output = proc.stdout + proc.stderr
    positions = frozenset((m[1], int(m[2]), int(m[3])) for m in POSITION.finditer(output))
    return Outcome(proc.returncode != 0, positions, output), files


def _parsed(files: dict[str, bytes]) -> dict[str, GoFile]:
    return {p: read_file(p, data) for p, data in files.items() if p.endswith(".go")}


def _decl_pos(parsed: dict[str, GoFile], near: str, local: str | None) -> list[Pos]:
    """Where a local of the package of file ``near`` is declared: [(path, line, None)]."""
    directory = near.rpartition("/")[0]
    for path, f in parsed.items():
        if path.rpartition("/")[0] == directory and local in f.decls:
            return [(path, f.decls[local].line, None)]
    return []


def expected_positions(
    minor: int, errors: Iterable[Finding], files: dict[str, bytes], linked: set[str]
) -> set[Pos]:
    """The compiler positions the analyzer's errors stand for (see the module docstring)."""
    parsed = _parsed(files)
    staged: list[tuple[int, Pos]] = []  # (stage: 0 parse, 1 types, 2 noder, position)
    for e in errors:
        if LINKER_BEFORE.get(e.rule, 0) > minor:
            continue
        stage = 0 if e.rule in PARSE_STAGE else 1 if e.rule in TYPES_STAGE else 2
        f = parsed[e.path]
        directive = next((d for d in f.directives if d.line == e.line), None)
        if e.rule in AT_DIRECTIVE:
            staged.append((stage, (e.path, e.line, e.column + 2)))
        if e.rule == "generic-local" and directive is not None:
            staged += [(1, p) for p in _decl_pos(parsed, e.path, directive.local)]
        if e.rule == "ignored-directive":
            miss = next((m for m in f.near_misses if m.line == e.line), None)
            local = directive.local if directive else miss.local if miss else None
            local = local or _next_func(f, e.line)
            staged += [(2, p) for p in _decl_pos(parsed, e.path, local)]
        if e.rule in DROPS_DIRECTIVE and directive is not None and directive.local not in linked:
            for p in _decl_pos(parsed, e.path, directive.local):
                decl = parsed[p[0]].decls[directive.local or ""]
                if decl.object == "func" and not decl.defined:
                    # a generic bodiless func fails type-checking whatever its directives say
                    staged.append((1 if decl.generic else 2, p))
    first = min((s for s, _ in staged), default=None)
    return {p for s, p in staged if s == first}


def _next_func(f: GoFile, line: int) -> str | None:
    below = [d for d in f.decls.values() if d.line > line]
    return min(below, key=lambda d: d.line).name if below else None


def _matches(expected: set[Pos], got: frozenset[tuple[str, int, int]]) -> bool:
    got_lines = {(p, line) for p, line, _ in got}
    if {(p, line) for p, line, _ in expected} != got_lines:
        return False
    return all(col is None or (p, line, col) in got for p, line, col in expected)


def check(minor: int, case: Case) -> str | None:
    """None when the analyzer agrees with the compiler, else a description of the difference."""
    outcome, files = build(minor, case)
    platform = f"{case.goos}/amd64"
    report = analyse(Workspace(files), (minor,), (platform,))
    errors = [
        f for f in report.findings if f.rule in COMPILE_RULES and f.severity is Severity.ERROR
    ]
    linked = {d.local for d in report.directives}
    # a library is not linked: a rule the linker enforces on this version does not fail it
    analyzer_fails = any(case.main or LINKER_BEFORE.get(e.rule, 0) <= minor for e in errors)
    expected = expected_positions(minor, errors, files, linked)
    problems = []
    if analyzer_fails != outcome.failed:
        problems.append(f"analyzer error={analyzer_fails}, build failed={outcome.failed}")
    elif outcome.failed and not _matches(expected, outcome.positions):
        problems.append(f"positions: expected {sorted(expected, key=str)}")
    if case.expect_failure is not None and minor >= 23 and outcome.failed != case.expect_failure:
        problems.append(f"case written to {'fail' if case.expect_failure else 'build'}")
    if not problems:
        return None
    shown = "\n".join(f"  {e.path}:{e.line}:{e.column} {e.rule}" for e in errors)
    head = f"{case.id} (go1.{minor}): {'; '.join(problems)}"
    return f"{head}\ncompiler:\n{outcome.output}analyzer:\n{shown}"


def run_all(minor: int) -> list[str]:
    toolchains.goroot(minor)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: check(minor, c), CASES))
    return [r for r in results if r is not None]


def test_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 40


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23])
def test_compile_rules_agree_with_go_build(minor: int) -> None:
    disagreements = run_all(minor)
    assert not disagreements, "\n\n".join(disagreements)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", sorted(toolchains.WHEELS))
def test_compile_rules_agree_with_go_build_matrix(minor: int) -> None:
    disagreements = run_all(minor)
    assert not disagreements, "\n\n".join(disagreements)
