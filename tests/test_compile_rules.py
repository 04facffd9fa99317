"""Classification and compile-level rules through ``engine.analyse``, one table row per form."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.analyse.engine import Report, Workspace, analyse
from bot.golang.symbols import split_symbol, symbol_prefix

U = 'package p\n\nimport _ "unsafe"\n\n'  # 4 lines: a body starts on line 5
GOMOD = "module example.com/m\n\ngo 1.21\n"


def run(
    files: dict[str, str],
    versions: tuple[int, ...] = (23,),
    platforms: tuple[str, ...] = ("linux/amd64",),
    **kw: frozenset[str],
) -> Report:
    ws = Workspace({"go.mod": GOMOD.encode()} | {p: s.encode() for p, s in files.items()}, **kw)
    return analyse(ws, versions, platforms)


def kinds(report: Report) -> list[tuple[str, int, str, str, str | None, str]]:
    return [(d.path, d.line, d.local, d.kind, d.object, d.target) for d in report.directives]


def rules(report: Report) -> list[tuple[str, str, int, str]]:
    return [(f.rule, f.path, f.line, f.severity.value) for f in report.findings]


@dataclass
class Row:
    id: str
    files: dict[str, str]
    kinds: list[tuple[str, int, str, str, str | None, str]] = field(default_factory=list)
    rules: list[tuple[str, str, int, str]] = field(default_factory=list)


def a(body: str) -> dict[str, str]:
    return {"a.go": U + body}


ROWS = [
    # the four forms, funcs and vars
    Row(
        "pull",
        a("//go:linkname nt runtime.nanotime\nfunc nt() int64\n"),
        [("a.go", 5, "nt", "pull", "func", "runtime.nanotime")],
    ),
    Row(
        "push",
        a("//go:linkname h example.com/q.h\nfunc h() {}\n"),
        [("a.go", 5, "h", "push", "func", "example.com/q.h")],
    ),
    Row(
        "export",
        a("//go:linkname E\nfunc E() {}\n"),
        [("a.go", 5, "E", "export", "func", "example.com/m.E")],
    ),
    Row(
        "receive",
        a("//go:linkname r\nfunc r()\n"),
        [("a.go", 5, "r", "receive", "func", "example.com/m.r")],
    ),
    Row(
        "var pull (no value)",
        a("//go:linkname n runtime.ncpu\nvar n int32\n"),
        [("a.go", 5, "n", "pull", "var", "runtime.ncpu")],
    ),
    Row(
        "var push (initial value)",
        a("//go:linkname n example.com/q.n\nvar n = 4\n"),
        [("a.go", 5, "n", "push", "var", "example.com/q.n")],
    ),
    Row(
        "var in a group",
        a("var (\n\tx int\n\ty, z = 1, 2\n)\n\n//go:linkname x r.x\n//go:linkname z r.z\n"),
        [("a.go", 10, "x", "pull", "var", "r.x"), ("a.go", 11, "z", "push", "var", "r.z")],
    ),
    Row(
        "inside a function body",
        a("func f() {\n\t//go:linkname nt runtime.nanotime\n}\n\nfunc nt() int64\n"),
        [("a.go", 6, "nt", "pull", "func", "runtime.nanotime")],
    ),
    Row(
        "at end of file",
        a("func nt() int64\n\n//go:linkname nt runtime.nanotime"),
        [("a.go", 7, "nt", "pull", "func", "runtime.nanotime")],
    ),
    Row(
        "local in a sibling file",
        {"a.go": U + "//go:linkname nt runtime.nanotime\n", "b.go": "package p\nfunc nt() int64\n"},
        [("a.go", 5, "nt", "pull", "func", "runtime.nanotime")],
    ),
    Row(
        "handshake: push + receive",
        {
            "p/p.go": U + "//go:linkname h example.com/m/q.h\nfunc h() int { return 1 }\n",
            "q/q.go": U.replace("package p", "package q") + "//go:linkname h\nfunc h() int\n",
        },
        [
            ("p/p.go", 5, "h", "push", "func", "example.com/m/q.h"),
            ("q/q.go", 5, "h", "receive", "func", "example.com/m/q.h"),
        ],
    ),
    Row(
        "handshake: pull + export",
        {
            "p/p.go": U + "//go:linkname h example.com/m/q.h\nfunc h() int\n",
            "q/q.go": U.replace("package p", "package q") + "//go:linkname h\nfunc h() int {}\n",
        },
        [
            ("p/p.go", 5, "h", "pull", "func", "example.com/m/q.h"),
            ("q/q.go", 5, "h", "export", "func", "example.com/m/q.h"),
        ],
    ),
    Row(
        "package main exports under main",
        {"m.go": U.replace("package p", "package main") + "//go:linkname E\nfunc E() {}\n"},
        [("m.go", 5, "E", "export", "func", "main.E")],
    ),
    Row("trailing prose is not reported", a("var v = 1 // go:linkname v runtime.v\n")),
    Row("prose and strings", a('// uses go:linkname\nvar s = "//go:linkname s r.s"\n')),
    # compile errors
    Row(
        "no unsafe import",
        {"a.go": "package p\n\n//go:linkname f r.f\nfunc f() {}\n"},
        rules=[("missing-unsafe-import", "a.go", 3, "error")],
    ),
    Row(
        "unsafe imported by another file only",
        {"a.go": "package p\n\n//go:linkname f r.f\nfunc f() {}\n", "b.go": U},
        rules=[("missing-unsafe-import", "a.go", 3, "error")],
    ),
    Row(
        "undeclared", a("//go:linkname nosuch r.x\n"), rules=[("unknown-local", "a.go", 5, "error")]
    ),
    Row(
        "const, type, method, init, blank, func-local var",
        a(
            "const c = 1\ntype T int\nfunc (T) m() {}\nfunc init() {}\nvar _ int\n"
            "func f() { var l int; _ = l }\n"
            "//go:linkname c r.c\n//go:linkname T r.T\n//go:linkname m r.m\n"
            "//go:linkname init r.i\n//go:linkname _ r.b\n//go:linkname l r.l\n"
        ),
        rules=[("unknown-local", "a.go", n, "error") for n in range(11, 17)],
    ),
    Row(
        "local only in a test file",
        {"a.go": U + "//go:linkname h r.h\n", "a_test.go": "package p\nfunc h() {}\n"},
        rules=[("unknown-local", "a.go", 5, "error")],
    ),
    Row(
        "test file sees test and non-test declarations",
        {"a.go": "package p\nfunc h() {}\n", "a_test.go": U + "//go:linkname h r.h\n"},
        [("a_test.go", 5, "h", "push", "func", "r.h")],
    ),
    Row(
        "instantiation",
        a("//go:linkname ix slices.Index[[]int,int]\nfunc ix(s []int, v int) int\n"),
        rules=[("instantiated-target", "a.go", 5, "error")],
    ),
    Row(
        "generic bodiless local",
        a("//go:linkname g r.g\nfunc g[T any]()\n"),
        [("a.go", 5, "g", "pull", "func", "r.g")],
        [("generic-local", "a.go", 5, "error")],
    ),
    Row(
        "generic local with a body",
        a("//go:linkname g r.g\nfunc g[T any]() {}\n"),
        [("a.go", 5, "g", "push", "func", "r.g")],
    ),
    Row(
        "duplicate, same and different targets",
        a("//go:linkname f r.f\n//go:linkname f r.f\n//go:linkname f r.g\nfunc f()\n"),
        [("a.go", n, "f", "pull", "func", t) for n, t in ((5, "r.f"), (6, "r.f"), (7, "r.g"))],
        [("duplicate-directive", "a.go", 6, "error"), ("duplicate-directive", "a.go", 7, "error")],
    ),
    Row(
        "duplicate across files: the later file name is reported",
        {"b.go": U + "//go:linkname f r.f\nfunc f()\n", "a.go": U + "//go:linkname f r.f\n"},
        [("a.go", 5, "f", "pull", "func", "r.f"), ("b.go", 5, "f", "pull", "func", "r.f")],
        [("duplicate-directive", "b.go", 5, "error")],
    ),
    Row(
        "misplaced, whatever the shape",
        a(
            "var a = 1 //go:linkname a r.a\nvar b = 1 //go:linkname\nvar c = 1 //go:linkname\tc r\n"
            "var d = 1 //go:linknamestd d r.d\n/* x */ //go:linkname e r.e\nvar e int\n"
        ),
        rules=[("misplaced-directive", "a.go", n, "error") for n in range(5, 10)],
    ),
    Row(
        "malformed",
        a(
            "//go:linkname a b c\nfunc a() {}\n//go:linkname f r.f // pull\nfunc f()\n"
            "//go:linkname \n"
        ),
        rules=[("malformed-directive", "a.go", n, "error") for n in (5, 7, 9)],
    ),
    # near misses: error on a bodiless func nothing else links, warning otherwise
    Row(
        "near misses on bodiless funcs",
        a(
            "// go:linkname a r.a\nfunc a()\n/*go:linkname b r.b*/\nfunc b()\n"
            "//go:linkname\tc r.c\nfunc c()\n//go:linkname\n// doc\nfunc d()\n"
        ),
        rules=[("ignored-directive", "a.go", n, "error") for n in (5, 7, 9, 11)],
    ),
    Row(
        "near misses that do not fail the build",
        a(
            "// go:linkname a r.a\nfunc a() {}\n// go:linkname v r.v\nvar v int\n"
            "// go:linkname nt r.nt\n//go:linkname nt runtime.nanotime\nfunc nt() int64\n"
            "//go:linkname\n\nvar w int\n"
        ),
        [("a.go", 10, "nt", "pull", "func", "runtime.nanotime")],
        [("ignored-directive", "a.go", n, "warning") for n in (5, 7, 9, 12)],
    ),
    Row(
        "near miss inside a package with assembly",
        {"asm/a.go": U + "// go:linkname f r.f\nfunc f()\n"},
        rules=[("ignored-directive", "asm/a.go", 5, "warning")],
    ),
    Row(
        "parse error is a notice; the intact directive is kept",
        a("//go:linkname nt runtime.nanotime\nfunc nt() int64\n\nfunc broken() { if ( {\n"),
        [("a.go", 5, "nt", "pull", "func", "runtime.nanotime")],
        [("parse-error", "a.go", 8, "notice")],
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row(row: Row) -> None:
    report = run(row.files, assembly_dirs=frozenset({"asm"}))
    assert kinds(report) == row.kinds
    assert rules(report) == row.rules


def test_crlf_same_as_lf() -> None:
    body = "//go:linkname nt runtime.nanotime\nfunc nt() int64\n// go:linkname f r.f\nfunc f()\n"
    lf = run(a(body))
    crlf = run({"a.go": (U + body).replace("\n", "\r\n")})
    assert kinds(crlf) == kinds(lf) == [("a.go", 5, "nt", "pull", "func", "runtime.nanotime")]
    assert rules(crlf) == rules(lf) == [("ignored-directive", "a.go", 7, "error")]


def test_per_platform_resolution() -> None:
    files = {
        "a.go": U + "//go:linkname nt runtime.nanotime\n",
        "x_linux.go": "package p\n\nfunc nt() int64\n",
    }
    report = run(files, (22, 23), ("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64"))
    [d] = report.directives
    assert (d.kind, d.go, d.platforms) == ("pull", ("1.22", "1.23"), ("linux/amd64", "linux/arm64"))
    [f] = report.findings
    assert (f.rule, f.line, f.go, f.platforms) == (
        "unknown-local",
        5,
        ("1.22", "1.23"),
        ("darwin/arm64", "windows/amd64"),
    )


def test_per_version_resolution() -> None:
    files = {
        "a.go": U + "//go:linkname nt runtime.nanotime\n",
        "old.go": "//go:build !go1.23\n\npackage p\n\nfunc nt() int64\n",
        "new.go": "//go:build go1.23\n\npackage p\n\nfunc nt() int64 { return 0 }\n",
    }
    report = run(files, (22, 23, 24))
    assert [(d.kind, d.go, d.decl_path) for d in report.directives] == [
        ("pull", ("1.22",), "old.go"),
        ("push", ("1.23", "1.24"), "new.go"),
    ]
    assert report.findings == []


def test_file_off_the_chosen_platforms_is_judged_where_it_builds() -> None:
    files = {"a_windows.go": U + "//go:linkname nosuch r.x\n"}
    found = run(files, platforms=("linux/amd64",)).findings
    assert [(f.rule, f.platforms) for f in found] == [
        ("unknown-local", ("windows/386", "windows/amd64", "windows/arm", "windows/arm64"))
    ]
    assert rules(run(files, platforms=("windows/amd64",))) == [
        ("unknown-local", "a_windows.go", 5, "error")
    ]
    assert run(files, platforms=("windows/amd64",)).findings[0].platforms == ("windows/amd64",)


def test_linknamestd_is_a_directive_only_from_127() -> None:
    files = a("//go:linknamestd nt runtime.nanotime\nfunc nt() int64\n")
    report = run(files, (26, 27))
    assert [(d.kind, d.go) for d in report.directives] == [("pull", ("1.27",))]
    assert [(f.rule, f.severity.value, f.line, f.go) for f in report.findings] == [
        ("ignored-directive", "error", 5, ("1.26",))
    ]
    with_body = run(a("//go:linknamestd h r.h\nfunc h() {}\n"), (26,))
    assert [(f.rule, f.severity.value) for f in with_body.findings] == [
        ("ignored-directive", "warning")
    ]
    assert with_body.directives == []


def test_gomod_below_118_accepts_undeclared_local() -> None:
    ws = {
        "go.mod": b"module example.com/m\n\ngo 1.17\n",
        "a.go": (U + "//go:linkname x r.x\n").encode(),
    }
    report = analyse(Workspace(ws), (23,), ("linux/amd64",))
    # The compiler reads it and ignores it: listed, with a notice that says so.
    assert rules(report) == [("inert-directive", "a.go", 5, "notice")]
    assert "raising the go line to 1.18" in report.findings[0].message
    assert kinds(report) == [("a.go", 5, "x", "unknown", None, "r.x")]
    ws["a.go"] += b"type x struct{}\n"
    report = analyse(Workspace(ws), (23,), ("linux/amd64",))
    assert "`x` is a type" in report.findings[0].message
    ws["go.mod"] = b"module example.com/m\n\ngo 1.18\n"
    assert rules(analyse(Workspace(ws), (23,), ("linux/amd64",))) == [
        ("unknown-local", "a.go", 5, "error")
    ]


def test_incomplete_directory_does_not_report_unknown_locals() -> None:
    files = a("//go:linkname x r.x\n")
    assert run(files, complete_dirs=frozenset({"other"})).findings == []
    assert rules(run(files, complete_dirs=frozenset({""}))) == [
        ("unknown-local", "a.go", 5, "error")
    ]


def test_window_defaults_to_gomod_go_line() -> None:
    report = analyse(Workspace({"go.mod": b"module m\n\ngo 1.24\n", **{"a.go": b"package p\n"}}))
    assert report.versions == (24, 25, 26, 27)


@pytest.mark.parametrize(
    ("path", "prefix"),
    [
        ("runtime", "runtime"),
        ("example.com/a.b/c.d", "example.com/a.b/c%2ed"),
        ("gopkg.in/yaml.v3", "gopkg.in/yaml%2ev3"),
        ("a b", "a%20b"),
    ],
)
def test_symbol_prefix(path: str, prefix: str) -> None:
    assert symbol_prefix(path) == prefix
    assert split_symbol(prefix + ".F") == (path if " " not in path else "a%20b", "F")


def test_split_symbol_methods() -> None:
    assert split_symbol("runtime.(*m).f") == ("runtime", "(*m).f")
    assert split_symbol("nodot") == ("", "nodot")
