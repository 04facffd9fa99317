"""Marks, blocked entries and moved packages in the facts, proved with the real toolchains.

* A std symbol is marked by any linkname directive of its own package, including a bodiless
  declaration under another local name (reflect/badlinkname.go marks ``reflect.(*rtype).Align``
  with ``//go:linkname badlinkname_rtype_Align reflect.(*rtype).Align``). A go-json-shaped module
  pulling such methods links on every toolchain and the bot reports no error.
* ``blockedLinknames`` is read exactly: the facts equal what ``go/parser`` reads from each
  version's ``cmd/link/internal/loader/loader.go``.
* A package that moved between versions (``Syscall6``) is ``undefined-target`` where its path
  does not exist, and the linker agrees.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Severity
from bot.stdlib.facts import load_window
from bot.testing import toolchains
from tests.oracle_cases import MATRIX

W = load_window(MATRIX)
PLATFORM = "linux/amd64"

#: A go-json-shaped package: a mirrored ``Type`` and pulls of reflect's rtype methods whose
#: local signatures take the mirror (so the pull is a named reference the linker checks).
GOJSON_RT = """package rt

import (
\t"reflect"
\t"unsafe"
)

// Type mirrors reflect.rtype for the noescape trick.
type Type struct{}

//go:linkname rtype_Align reflect.(*rtype).Align
//go:noescape
func rtype_Align(*Type) int

//go:linkname rtype_NumMethod reflect.(*rtype).NumMethod
//go:noescape
func rtype_NumMethod(*Type) int

//go:linkname rtype_String reflect.(*rtype).String
//go:noescape
func rtype_String(*Type) string

//go:linkname ifaceIndir reflect.ifaceIndir
//go:noescape
func ifaceIndir(*Type) bool

func (t *Type) Align() int       { return rtype_Align(t) }
func (t *Type) NumMethod() int   { return rtype_NumMethod(t) }
func (t *Type) String() string   { return rtype_String(t) }
func (t *Type) IfaceIndir() bool { return ifaceIndir(t) }

// Of is the *rtype inside a reflect.Type interface value.
func Of(v any) *Type {
\tt := reflect.TypeOf(v)
\treturn (*Type)((*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1])
}
"""

GOJSON_MAIN = """package main

import "example.com/gj/internal/rt"

func main() {
\tt := rt.Of(int64(0))
\tprintln(t.Align(), t.NumMethod(), t.String(), t.IfaceIndir())
}
"""


def _module(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _go(minor: int, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = toolchains.go_env(minor, cwd) | {"GOOS": "linux", "GOARCH": "amd64"}
    return subprocess.run(
        ["go", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _errors(files: dict[str, str], minor: int) -> list[str]:
    """Link errors for (1.minor, linux/amd64), judged with the facts of the whole window (which
    tell that a path such as ``runtime/internal/syscall`` is a standard-library package)."""
    ws = Workspace({p: t.encode() for p, t in files.items()})
    report = analyse(ws, (minor,), (PLATFORM,), stdlib=W)
    return [
        f"{f.rule}: {f.message}"
        for f in report.findings
        if f.severity is Severity.ERROR and f.rule != "signature-mismatch"
    ]


def gojson_files() -> dict[str, str]:
    return {
        "go.mod": "module example.com/gj\n\ngo 1.21\n",
        "internal/rt/rtype.go": GOJSON_RT,
        "main.go": GOJSON_MAIN,
    }


@pytest.mark.parametrize(
    "name",
    ["reflect.(*rtype).Align", "reflect.(*rtype).NumMethod", "reflect.(*rtype).String"],
)
def test_methods_marked_by_a_differently_named_declaration(name: str) -> None:
    for minor in (23, 24, 25, 26, 27):
        s = W[minor].symbol(name)
        assert s is not None and s.kind == "method"
        assert PLATFORM in s.marked_platforms, (minor, name)


def _check_gojson(minor: int) -> None:
    files = gojson_files()
    with tempfile.TemporaryDirectory(prefix="gojson-") as t:
        root = Path(t)
        _module(files, root)
        run = _go(minor, ["run", "."], root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "" and run.stderr.split()[:4] == ["8", "0", "int64", "true"]
    assert _errors(files, minor) == []


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_gojson_shape_links_and_bot_agrees(minor: int) -> None:
    _check_gojson(minor)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", [m for m in MATRIX if m not in (23, 27)])
def test_gojson_shape_links_and_bot_agrees_matrix(minor: int) -> None:
    _check_gojson(minor)


#: Reads ``var blockedLinknames`` with go/parser and prints it as JSON (``null`` when absent).
BLOCKED_READER = """package main

import (
\t"encoding/json"
\t"go/ast"
\t"go/parser"
\t"go/token"
\t"os"
\t"strconv"
)

func main() {
\tout := map[string]map[string][]string{}
\tfor _, path := range os.Args[1:] {
\t\tf, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
\t\tif err != nil {
\t\t\tpanic(err)
\t\t}
\t\tfor _, d := range f.Decls {
\t\t\tg, ok := d.(*ast.GenDecl)
\t\t\tif !ok || g.Tok != token.VAR {
\t\t\t\tcontinue
\t\t\t}
\t\t\tfor _, s := range g.Specs {
\t\t\t\tv := s.(*ast.ValueSpec)
\t\t\t\tif v.Names[0].Name != "blockedLinknames" {
\t\t\t\t\tcontinue
\t\t\t\t}
\t\t\t\tm := map[string][]string{}
\t\t\t\tfor _, e := range v.Values[0].(*ast.CompositeLit).Elts {
\t\t\t\t\tkv := e.(*ast.KeyValueExpr)
\t\t\t\t\tk, _ := strconv.Unquote(kv.Key.(*ast.BasicLit).Value)
\t\t\t\t\tpkgs := []string{}
\t\t\t\t\tfor _, p := range kv.Value.(*ast.CompositeLit).Elts {
\t\t\t\t\t\tq, _ := strconv.Unquote(p.(*ast.BasicLit).Value)
\t\t\t\t\t\tpkgs = append(pkgs, q)
\t\t\t\t\t}
\t\t\t\t\tm[k] = pkgs
\t\t\t\t}
\t\t\t\tout[path] = m
\t\t\t}
\t\t}
\t}
\tjson.NewEncoder(os.Stdout).Encode(out)
}
"""


@pytest.mark.toolchain
def test_blocked_linknames_equal_go_parser_reading() -> None:
    loaders = {
        m: toolchains.goroot(m) / "src" / "cmd" / "link" / "internal" / "loader" / "loader.go"
        for m in MATRIX
    }
    with tempfile.TemporaryDirectory(prefix="blocked-") as t:
        root = Path(t)
        _module({"go.mod": "module example.com/b\n\ngo 1.21\n", "main.go": BLOCKED_READER}, root)
        run = _go(27, ["run", ".", *map(str, loaders.values())], root)
    assert run.returncode == 0, run.stderr
    parsed = json.loads(run.stdout)
    for minor, path in loaders.items():
        expected = parsed.get(str(path))
        got = W[minor].blocked
        assert (None if got is None else {k: list(v) for k, v in got.items()}) == expected, minor
    assert W[23].blocked_for("internal/weak.runtime_registerWeakPointer") == ("internal/weak",)
    assert W[24].blocked_for("internal/sync.runtime_canSpin") == ("internal/sync",)
    assert W[24].blocked_for("crypto/internal/sysrand.fatal") == ("crypto/internal/sysrand",)


SYSCALL6 = (
    "runtime/internal/syscall.Syscall6",
    "internal/runtime/syscall.Syscall6",
    "internal/runtime/syscall/linux.Syscall6",
)


def test_moved_package_exists_only_where_its_path_does() -> None:
    where = {
        name: [m for m in MATRIX if W[m].symbol(name) is not None and W[m].is_std(name[:-9])]
        for name in SYSCALL6
    }
    assert where == {
        "runtime/internal/syscall.Syscall6": [21, 22],
        "internal/runtime/syscall.Syscall6": [23, 24, 25],
        "internal/runtime/syscall/linux.Syscall6": [26, 27],
    }


def _syscall6_case(target: str) -> dict[str, str]:
    lnk = (
        'package main\n\nimport _ "unsafe"\n\n'
        f"//go:linkname syscall6 {target}\n"
        "func syscall6(num, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2, errno uintptr)\n\n"
        "func main() { r, _, _ := syscall6(39, 0, 0, 0, 0, 0, 0); println(r > 0) }\n"
    )
    return {"go.mod": "module example.com/m\n\ngo 1.21\n", "main.go": lnk}


def _link_outcome(output: str, code: int) -> str:
    if code == 0:
        return "ok"
    if "invalid reference" in output:
        return "invalid-reference"
    if "not defined" in output:
        return "undefined-target"
    return "other: " + output


def _check_moved(minor: int) -> None:
    for target in SYSCALL6:
        files = _syscall6_case(target)
        with tempfile.TemporaryDirectory(prefix="moved-") as t:
            root = Path(t)
            _module(files, root)
            build = _go(minor, ["build", "-o", "/dev/null", "."], root)
        got = _link_outcome(build.stdout + build.stderr, build.returncode)
        errors = _errors(files, minor)
        predicted = errors[0].split(":")[0] if errors else "ok"
        assert got == predicted, (minor, target, got, errors)


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [22, 23, 26])
def test_moved_syscall6_agrees_with_go_build(minor: int) -> None:
    _check_moved(minor)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", [m for m in MATRIX if m not in (22, 23, 26)])
def test_moved_syscall6_agrees_with_go_build_matrix(minor: int) -> None:
    _check_moved(minor)


#: Blocked names the linker refuses before it looks for a definition: one pushed by runtime to
#: an external test package (1.25+), one defined on darwin only (1.26+, pulled on linux).
BLOCKED_BY_NAME = (
    ("sync_test.runtime_blockUntilEmptyCleanupQueue", "func(timeout int64) bool"),
    ("internal/cpu.sysctlbynameBytes", "func(name []byte) []byte"),
)


def _blocked_case(target: str, signature: str) -> dict[str, str]:
    params = signature[len("func") :]
    main = (
        'package main\n\nimport _ "unsafe"\n\n'
        f"//go:linkname blocked {target}\nfunc blocked{params}\n\n"
        "var sink any = blocked\n\nfunc main() { println(sink != nil) }\n"
    )
    return {"go.mod": "module example.com/m\n\ngo 1.21\n", "main.go": main}


def _check_blocked_by_name(minor: int) -> None:
    for target, signature in BLOCKED_BY_NAME:
        files = _blocked_case(target, signature)
        with tempfile.TemporaryDirectory(prefix="blocked-name-") as t:
            root = Path(t)
            _module(files, root)
            build = _go(minor, ["build", "-o", "/dev/null", "."], root)
        got = _link_outcome(build.stdout + build.stderr, build.returncode)
        errors = _errors(files, minor)
        predicted = errors[0].split(":")[0] if errors else "ok"
        assert got == predicted, (minor, target, got, errors)


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [25, 27])
def test_blocked_names_refused_before_definition_lookup(minor: int) -> None:
    _check_blocked_by_name(minor)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", [m for m in MATRIX if m not in (25, 27)])
def test_blocked_names_refused_before_definition_lookup_matrix(minor: int) -> None:
    _check_blocked_by_name(minor)


def test_moved_package_is_undefined_even_in_a_one_version_window() -> None:
    """The registry's shared names tell that runtime/internal/syscall was std (≤ 1.22)."""
    files = _syscall6_case("runtime/internal/syscall.Syscall6")
    ws = Workspace({p: t.encode() for p, t in files.items()})
    report = analyse(ws, (27,), (PLATFORM,), stdlib={27: W[27]})
    assert [f.rule for f in report.findings if f.severity is Severity.ERROR] == ["undefined-target"]
