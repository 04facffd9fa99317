"""Build constraints: unit tables, and a differential check against the real go command."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.golang.constraints import (
    BuildHeader,
    ConstraintSyntaxError,
    build_header,
    file_configs,
    format_expr,
    parse_expr,
)
from bot.testing import toolchains
from bot.versions import Config

VERSIONS = (21, 23, 27)
PLATFORMS = (
    "linux/amd64",
    "linux/arm64",
    "android/arm64",
    "darwin/arm64",
    "ios/arm64",
    "windows/amd64",
    "illumos/amd64",
    "js/wasm",
)
ALL = set(itertools.product(VERSIONS, PLATFORMS))


def configs(name: str, source: str) -> frozenset[Config]:
    return file_configs(name, source, VERSIONS, PLATFORMS)


def where(
    *, versions: Iterable[int] = VERSIONS, platforms: Iterable[str] = PLATFORMS
) -> set[Config]:
    return set(itertools.product(versions, platforms))


def go_file(header: str) -> str:
    return f"{header}\n\npackage p\n"


# go1.N, operators, implied tags ----------------------------------------------------------------

EXPRESSIONS: list[tuple[str, set[Config]]] = [
    ("linux", where(platforms=["linux/amd64", "linux/arm64", "android/arm64"])),
    ("!linux", where(platforms=set(PLATFORMS) - {"linux/amd64", "linux/arm64", "android/arm64"})),
    ("go1.21", where()),
    ("go1.22", where(versions=[23, 27])),
    ("!go1.22", where(versions=[21])),
    ("go1.27", where(versions=[27])),
    ("go1.28", set()),
    ("go1.23 && !go1.24", where(versions=[23])),
    ("darwin && arm64", where(platforms=["darwin/arm64", "ios/arm64"])),
    ("ios", where(platforms=["ios/arm64"])),
    ("solaris", where(platforms=["illumos/amd64"])),
    ("illumos", where(platforms=["illumos/amd64"])),
    ("android", where(platforms=["android/arm64"])),
    ("unix", where(platforms=set(PLATFORMS) - {"windows/amd64", "js/wasm"})),
    ("!unix", where(platforms=["windows/amd64", "js/wasm"])),
    ("gc", where()),
    ("gccgo", set()),
    ("!gccgo && windows", where(platforms=["windows/amd64"])),
    (
        "windows || (linux && arm64)",
        where(platforms=["windows/amd64", "linux/arm64", "android/arm64"]),
    ),
    ("(windows || linux) && arm64", where(platforms=["linux/arm64", "android/arm64"])),
    (
        "!(linux || darwin) && go1.23",
        where(
            versions=[23, 27],
            platforms=set(PLATFORMS)
            - {"linux/amd64", "linux/arm64", "android/arm64", "darwin/arm64", "ios/arm64"},
        ),
    ),
    ("linux && windows", set()),
    # Tags no configuration fixes may be either value.
    ("custom", where()),
    ("!custom", where()),
    ("custom && !custom", set()),
    ("cgo", where()),
    ("!cgo && windows", where(platforms=["windows/amd64"])),
    ("goexperiment.rangefunc && go1.23", where(versions=[23, 27])),
    ("(a || b) && !a && !b", set()),
    (
        "(a && linux) || (!a && windows)",
        where(platforms=["linux/amd64", "linux/arm64", "android/arm64", "windows/amd64"]),
    ),
    ("go1.22rc1", where()),  # not a release tag: only -tags can set it
]


@pytest.mark.parametrize(("expr", "expected"), EXPRESSIONS)
def test_go_build_expressions(expr: str, expected: set[Config]) -> None:
    assert configs("f.go", go_file(f"//go:build {expr}")) == expected


LEGACY: list[tuple[str, str, set[Config]]] = [
    # Space is OR, comma is AND, several lines are AND-ed.
    (
        "// +build linux windows",
        "linux || windows",
        where(platforms=["linux/amd64", "linux/arm64", "android/arm64", "windows/amd64"]),
    ),
    ("// +build linux,arm64", "linux && arm64", where(platforms=["linux/arm64", "android/arm64"])),
    (
        "// +build !windows,!js",
        "!windows && !js",
        where(platforms=set(PLATFORMS) - {"windows/amd64", "js/wasm"}),
    ),
    (
        "// +build linux darwin\n// +build arm64",
        "(linux || darwin) && arm64",
        where(platforms=["linux/arm64", "android/arm64", "darwin/arm64", "ios/arm64"]),
    ),
    ("//+build windows", "windows", where(platforms=["windows/amd64"])),
    ("// +build linux\n\n// +build windows", "linux && windows", set()),
    ("// +build go1.22,!go1.27", "go1.22 && !go1.27", where(versions=[23])),
    # Invalid words become the tag "ignore", which (like any free tag) may be set.
    ("// +build !!linux", "ignore", where()),
    ("// +build", "ignore", where()),
]


@pytest.mark.parametrize(("lines", "normalised", "expected"), LEGACY)
def test_plus_build_lines(lines: str, normalised: str, expected: set[Config]) -> None:
    source = go_file(lines)
    assert build_header(source).expr == normalised
    assert configs("f.go", source) == expected


# The header: where constraints count --------------------------------------------------------

WINDOWS = where(platforms=["windows/amd64"])

HEADERS: list[tuple[str, str, BuildHeader, set[Config]]] = [
    (
        "go:build wins over +build",
        "//go:build windows\n// +build linux\n\npackage p\n",
        BuildHeader((1,), "windows", 4),
        WINDOWS,
    ),
    (
        "after the package clause",
        "package p\n\n//go:build windows\n",
        BuildHeader((), None, 1),
        ALL,
    ),
    (
        "go:build in the package doc comment still counts",
        "// Package p.\n//go:build windows\npackage p\n",
        BuildHeader((2,), "windows", 3),
        WINDOWS,
    ),
    (
        "+build in the package doc comment does not",
        "// +build windows\n// Package p.\npackage p\n",
        BuildHeader((), None, 3),
        ALL,
    ),
    (
        "+build needs a blank line before the package clause",
        "// +build windows\n\n// Package p.\npackage p\n",
        BuildHeader((1,), "windows", 4),
        WINDOWS,
    ),
    (
        "after a block comment go:build counts",
        "/* Copyright */\n//go:build windows\n\npackage p\n",
        BuildHeader((2,), "windows", 4),
        WINDOWS,
    ),
    (
        "after a block comment +build does not",
        "/* Copyright */\n\n// +build windows\n\npackage p\n",
        BuildHeader((), None, 5),
        ALL,
    ),
    (
        "inside a block comment nothing counts",
        "/*\n//go:build windows\n*/\n\npackage p\n",
        BuildHeader((), None, 5),
        ALL,
    ),
    (
        "package after a comment on its line",
        "//go:build windows\n\n/* x */ package p\n",
        BuildHeader((1,), "windows", 3),
        WINDOWS,
    ),
    (
        "not a directive: go:buildwindows",
        "//go:buildwindows\n\npackage p\n",
        BuildHeader((), None, 3),
        ALL,
    ),
    (
        "CRLF, BOM and indentation",
        "\ufeff// Copyright\r\n\r\n  //go:build windows \r\n\r\npackage p\r\n",
        BuildHeader((3,), "windows", 5),
        WINDOWS,
    ),
    (
        "normalised expression",
        "//go:build  (linux||darwin)&&  !(cgo) \n\npackage p\n",
        BuildHeader((1,), "(linux || darwin) && !cgo", 3),
        where(
            platforms=["linux/amd64", "linux/arm64", "android/arm64", "darwin/arm64", "ios/arm64"]
        ),
    ),
    (
        "no package clause",
        "//go:build windows\n\nfunc f() {}\n",
        BuildHeader((1,), "windows", None),
        WINDOWS,
    ),
]


@pytest.mark.parametrize(
    ("source", "header", "expected"),
    [pytest.param(s, h, e, id=i) for i, s, h, e in HEADERS],
)
def test_header(source: str, header: BuildHeader, expected: set[Config]) -> None:
    assert build_header(source) == header
    assert configs("f.go", source) == expected


SYNTAX_ERRORS: list[tuple[str, str]] = [
    ("//go:build linux &&", "unexpected end of expression"),
    ("//go:build linux || (darwin", "missing close paren"),
    ("//go:build (linux", "missing close paren"),
    ("//go:build linux)", "unexpected token )"),
    ("//go:build !!linux", "double negation not allowed"),
    ("//go:build linux & amd64", "invalid syntax at &"),
    ("//go:build linux // amd64", "invalid syntax at /"),
    ("//go:build", "unexpected end of expression"),
    ("//go:build linux-amd64", "invalid syntax at -"),
]


@pytest.mark.parametrize(("line", "message"), SYNTAX_ERRORS)
def test_syntax_errors_build_nowhere(line: str, message: str) -> None:
    source = go_file(line)
    header = build_header(source)
    assert header.error == f"parsing //go:build line: {message}"
    assert header.lines == (1,)
    assert configs("f.go", source) == frozenset()


def test_multiple_go_build_lines_are_an_error() -> None:
    source = "//go:build linux\n//go:build amd64\n\npackage p\n"
    header = build_header(source)
    assert header.error == "multiple //go:build comments"
    assert header.lines == (1, 2)
    assert configs("f.go", source) == frozenset()


def test_huge_expression_is_an_error_not_a_crash() -> None:
    deep = "(" * 600 + "linux" + ")" * 600
    with pytest.raises(ConstraintSyntaxError):
        parse_expr(deep)
    assert configs("f.go", go_file(f"//go:build {deep}")) == frozenset()
    wide = " && ".join(["linux"] * 1001)
    assert "too large" in (build_header(go_file(f"//go:build {wide}")).error or "")


def test_format_round_trips() -> None:
    for text in ["a && b && c", "(a || b) && !c", "a || (b && c)", "!(a && b)", "!(!a)"]:
        assert format_expr(parse_expr(text)) == text
        assert parse_expr(format_expr(parse_expr(text))) == parse_expr(text)


# File names ------------------------------------------------------------------------------------

NAMES: list[tuple[str, set[Config]]] = [
    ("f_linux.go", where(platforms=["linux/amd64", "linux/arm64", "android/arm64"])),
    ("f_linux_amd64.go", where(platforms=["linux/amd64"])),
    ("f_linux_arm64_test.go", where(platforms=["linux/arm64", "android/arm64"])),
    ("f_android.go", where(platforms=["android/arm64"])),
    ("f_darwin.go", where(platforms=["darwin/arm64", "ios/arm64"])),
    ("f_ios.go", where(platforms=["ios/arm64"])),
    ("f_solaris.go", where(platforms=["illumos/amd64"])),
    ("f_arm64.go", where(platforms=["linux/arm64", "android/arm64", "darwin/arm64", "ios/arm64"])),
    ("f_amd64_linux.go", where(platforms=["linux/amd64", "linux/arm64", "android/arm64"])),
    ("f_windows_test.go", where(platforms=["windows/amd64"])),
    ("f_test.go", where()),
    ("linux.go", where()),  # a suffix needs a non-empty prefix
    ("f_linux_unknown.go", where()),
    ("f_unix.go", where()),  # unix is a tag, not a file-name suffix
    ("f_windows.pb.go", where(platforms=["windows/amd64"])),  # the name ends at its first dot
    ("f.windows_amd64.go", where()),
    ("x/y/f_js.go", where(platforms=["js/wasm"])),
    ("_f.go", set()),
    (".f.go", set()),
    ("_f_linux.go", set()),
    ("f.s", set()),
]


@pytest.mark.parametrize(("name", "expected"), NAMES)
def test_file_names(name: str, expected: set[Config]) -> None:
    assert configs(name, "package p\n") == expected


def test_name_and_header_combine() -> None:
    source = go_file("//go:build go1.23 && !cgo")
    assert configs("f_linux_amd64.go", source) == where(
        versions=[23, 27], platforms=["linux/amd64"]
    )
    assert configs("f_windows.go", go_file("//go:build linux")) == set()


def test_only_requested_configs() -> None:
    got = file_configs("f.go", go_file("//go:build go1.22"), [20, 22], ["plan9/386"])
    assert got == {(22, "plan9/386")}
    assert file_configs("f.go", "package p\n", [], PLATFORMS) == frozenset()


def test_runtime_sources_do_not_raise() -> None:
    runtime = toolchains.goroot(23) / "src" / "runtime"
    versions = range(21, 28)
    built = 0
    for path in sorted(runtime.glob("*.go")):
        source = path.read_text(encoding="utf-8", errors="replace")
        header = build_header(source)
        assert header.error is None, path
        got = file_configs(path.name, source, versions, PLATFORMS)
        built += bool(got)
    assert built > 300
    # Spot checks with known answers from the file names and headers.
    assert file_configs("os_linux.go", (runtime / "os_linux.go").read_text(), [23], PLATFORMS) == {
        (23, "linux/amd64"),
        (23, "linux/arm64"),
        (23, "android/arm64"),
    }
    assert file_configs("os_wasm.go", (runtime / "os_wasm.go").read_text(), [23], PLATFORMS) == {
        (23, "js/wasm")
    }


# Differential test against the go command -----------------------------------------------------

#: Free tags used in DIFF_CASES; the go command is run with every subset of them.
FREE_TAGS = ("x", "cgo")
DIFF_MINORS = (23, 27)
DIFF_PLATFORMS = (
    "linux/amd64",
    "android/arm64",
    "windows/386",
    "darwin/arm64",
    "ios/arm64",
    "illumos/amd64",
)

DIFF_CASES: list[tuple[str, str]] = [
    ("plain.go", "package p\n"),
    ("gb_linux.go", go_file("//go:build linux")),
    ("gb_not_windows.go", go_file("//go:build !windows")),
    ("gb_paren.go", go_file("//go:build (linux || darwin) && arm64")),
    ("gb_go124.go", go_file("//go:build go1.24")),
    ("gb_not_go124.go", go_file("//go:build !go1.24")),
    ("gb_go127.go", go_file("//go:build go1.27 && !windows")),
    ("gb_unix.go", go_file("//go:build unix")),
    ("gb_solaris.go", go_file("//go:build solaris")),
    ("gb_darwin_tag.go", go_file("//go:build darwin")),
    ("gb_x.go", go_file("//go:build x")),
    ("gb_not_x_linux.go", go_file("//go:build !x && linux")),
    ("gb_x_not_x.go", go_file("//go:build x && !x")),
    ("gb_cgo.go", go_file("//go:build cgo && linux")),
    ("gb_not_cgo.go", go_file("//go:build !cgo || windows")),
    ("gb_gc.go", go_file("//go:build gc && !gccgo")),
    ("gb_gccgo.go", go_file("//go:build gccgo")),
    ("pb_or_and.go", go_file("// +build linux darwin\n// +build arm64")),
    ("pb_comma.go", go_file("// +build windows,!cgo")),
    ("pb_two_lines.go", go_file("// +build linux\n\n// +build windows")),
    ("pb_nospace.go", go_file("//+build windows")),
    ("pb_overridden.go", "//go:build windows\n// +build linux\n\npackage p\n"),
    ("after_package.go", "package p\n\n//go:build windows\n"),
    ("doc_go_build.go", "// Package p.\n//go:build windows\npackage p\n"),
    ("doc_plus_build.go", "// +build windows\n// Package p.\npackage p\n"),
    ("block_then_plus.go", "/* c */\n\n// +build windows\n\npackage p\n"),
    ("block_then_gobuild.go", "/* c */\n//go:build windows\n\npackage p\n"),
    ("inside_block.go", "/*\n//go:build windows\n*/\n\npackage p\n"),
    ("crlf_bom.go", "\ufeff//go:build windows\r\n\r\npackage p\r\n"),
    ("err_trailing_and.go", go_file("//go:build linux &&")),
    ("err_paren.go", go_file("//go:build linux || (darwin")),
    ("err_comment.go", go_file("//go:build linux // why")),
    ("err_dash.go", go_file("//go:build linux-amd64")),
    ("err_multiple.go", "//go:build linux\n//go:build amd64\n\npackage p\n"),
    ("sfx_linux_amd64.go", "package p\n"),
    ("sfx_android.go", "package p\n"),
    ("sfx_linux.go", "package p\n"),
    ("sfx_darwin.go", "package p\n"),
    ("sfx_ios.go", "package p\n"),
    ("sfx_solaris.go", "package p\n"),
    ("sfx_amd64_linux.go", "package p\n"),
    ("sfx_windows.pb.go", "package p\n"),
    ("sfx_test.go", "package p\n"),
    ("sfx_linux_amd64_test.go", go_file("//go:build !cgo")),
    ("sfx_windows_386.go", go_file("//go:build go1.24")),
    ("linux.go", "package p\n"),
    ("_hidden.go", "package p\n"),
    (".dot.go", "package p\n"),
]


def go_list(minor: int, platform: str, tags: tuple[str, ...], work: Path) -> set[str]:
    """File names the go command compiles into the package (or its tests)."""
    goos, goarch = platform.split("/")
    env = toolchains.go_env(minor, work) | {"GOOS": goos, "GOARCH": goarch}
    fmt = '{{join .GoFiles " "}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}'
    cmd = ["go", "list", "-e", "-f", fmt, *(["-tags", ",".join(tags)] if tags else []), "."]
    out = subprocess.run(cmd, cwd=work / "m", env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def go_list_invalid(minor: int, work: Path) -> set[str]:
    """The files the go command rejects, each listed alone (module ``invalid_<name>``): it
    names a rejected file in ``InvalidGoFiles`` or, on some code paths, only in ``Error``."""
    env = toolchains.go_env(minor, work) | {"GOOS": "linux", "GOARCH": "amd64"}
    fmt = '{{join .InvalidGoFiles " "}} {{if .Error}}{{.Error}}{{end}}'
    rejected = set()
    for module in sorted(work.glob("invalid_*")):
        (name,) = [p.name for p in module.glob("*.go")]
        cmd = ["go", "list", "-e", "-f", fmt, "."]
        out = subprocess.run(cmd, cwd=module, env=env, capture_output=True, text=True, check=True)
        if name in out.stdout:
            rejected.add(name)
    return rejected


@pytest.mark.toolchain
def test_agrees_with_go_list(tmp_path: Path) -> None:
    # Each file whose header the go command rejects lives in a module of its own: with one of
    # them in the package, `go list -e` may stop listing at it (seen with 1.27 right after its
    # GOROOT was unpacked), which says nothing about the other files.
    module = tmp_path / "m"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    for name, source in DIFF_CASES:
        target = module
        if build_header(source).error is not None:
            target = tmp_path / f"invalid_{name.removesuffix('.go')}"
            target.mkdir()
            (target / "go.mod").write_text("module example.com/invalid\n\ngo 1.21\n")
        (target / name).write_bytes(source.encode())

    subsets = [
        tuple(t for t, on in zip(FREE_TAGS, bits, strict=True) if on)
        for bits in itertools.product((False, True), repeat=len(FREE_TAGS))
    ]
    runs = list(itertools.product(DIFF_MINORS, DIFF_PLATFORMS, subsets))
    with ThreadPoolExecutor(max_workers=2) as pool:
        listed = list(pool.map(lambda run: go_list(run[0], run[1], run[2], tmp_path), runs))
        invalid = list(pool.map(lambda m: go_list_invalid(m, tmp_path), DIFF_MINORS))

    expected: dict[str, set[Config]] = {name: set() for name, _ in DIFF_CASES}
    for (minor, platform, _tags), names in zip(runs, listed, strict=True):
        for name in names:
            expected[name].add((minor, platform))
    got = {
        name: set(file_configs(name, src, DIFF_MINORS, DIFF_PLATFORMS)) for name, src in DIFF_CASES
    }
    assert got == expected

    # Sanity: the cases really do discriminate.
    assert len({frozenset(v) for v in expected.values()}) > 12
    errors = {name for name, src in DIFF_CASES if build_header(src).error}
    for names in invalid:
        assert names == errors


# Many free tags, and a property check against brute force ------------------------------------


def test_many_free_tags_stay_fast() -> None:
    tags = [f"t{i}" for i in range(60)]
    unsat = " && ".join([*tags, "!t0"])
    sat = " || ".join(f"(t{i} && !t{i + 1})" for i in range(59))
    assert configs("f.go", go_file(f"//go:build {unsat}")) == set()
    assert configs("f.go", go_file(f"//go:build {sat}")) == ALL


TreeNode = str | tuple[str, "TreeNode"] | tuple[str, "TreeNode", "TreeNode"]
TREE_TAGS = ["linux", "windows", "arm64", "unix", "go1.23", "go1.27", "x", "cgo"]


def trees() -> st.SearchStrategy[TreeNode]:
    leaves: st.SearchStrategy[TreeNode] = st.sampled_from(TREE_TAGS)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.just("!"), inner),
            st.tuples(st.sampled_from(["&&", "||"]), inner, inner),
        ),
        max_leaves=8,
    )


def render(t: TreeNode) -> str:
    if isinstance(t, str):
        return t
    if len(t) == 2:
        return f"!({render(t[1])})" if not isinstance(t[1], str) else f"!{t[1]}"
    return f"({render(t[1])} {t[0]} {render(t[2])})"


def truth(t: TreeNode, env: dict[str, bool]) -> bool:
    if isinstance(t, str):
        return env[t]
    if len(t) == 2:
        return not truth(t[1], env)
    left, right = truth(t[1], env), truth(t[2], env)
    return left and right if t[0] == "&&" else left or right


def brute_force(t: TreeNode, minor: int, platform: str) -> bool:
    goos, goarch = platform.split("/")
    fixed = {
        "linux": goos in ("linux", "android"),
        "windows": goos == "windows",
        "arm64": goarch == "arm64",
        "unix": goos not in ("windows", "js"),
        "go1.23": minor >= 23,
        "go1.27": minor >= 27,
    }
    choices = itertools.product((False, True), repeat=2)
    return any(truth(t, fixed | {"x": x, "cgo": c}) for x, c in choices)


@settings(max_examples=150, deadline=None)
@given(trees())
def test_matches_brute_force(tree: TreeNode) -> None:
    expected = {(m, p) for m, p in ALL if brute_force(tree, m, p)}
    assert configs("f.go", go_file(f"//go:build {render(tree)}")) == expected
