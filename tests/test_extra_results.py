"""A pull that declares results its target does not return reads garbage only where a call uses
them: judged against running it.

Shaped like ugorji/go's ``mapiternext(it unsafe.Pointer) (key unsafe.Pointer)`` against
``runtime.mapiternext``, which returns nothing. The program walks a map with the pulled
``mapiterinit``/``mapiternext`` under GC pressure. In *discards* every call is a statement; in
*reads* the declared ``key`` is compared with the iterator's real key pointer. The run prints
``agree`` when the walk is right and every result read was the key, ``differ`` otherwise; the
analyzer must give a ``signature-mismatch`` error exactly where the run differs, and a warning
where the results are declared but discarded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.analyse.result_uses import uses_results
from bot.findings import Finding, Severity
from bot.stdlib.facts import load_window
from bot.testing import toolchains

GO_MOD = "module example.com/m\n\ngo 1.21\n"

MAIN = """package main

import (
\t"fmt"
\t"runtime"
\t"unsafe"
)

//go:linkname mapiterinit runtime.mapiterinit
//go:noescape
func mapiterinit(typ unsafe.Pointer, m unsafe.Pointer, it unsafe.Pointer)

//go:linkname mapiternext runtime.mapiternext
//go:noescape
func mapiternext(it unsafe.Pointer) (key unsafe.Pointer)

func main() {
\tok := true
\tfor round := 0; round < 50; round++ {
\t\tm := map[string]*int{}
\t\tfor i := 0; i < 100; i++ {
\t\t\tv := i
\t\t\tm[fmt.Sprint("k", i, "-", round)] = &v
\t\t}
\t\tvar x any = m
\t\ttyp := (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[0]
\t\tit := new([32]unsafe.Pointer)
\t\tmapiterinit(typ, *(*unsafe.Pointer)(unsafe.Pointer(&m)), unsafe.Pointer(it))
\t\tn := 0
\t\tfor it[0] != nil {
\t\t\tn++
\t\t\tok = step(it) && ok
\t\t}
\t\tok = ok && n == 100
\t\truntime.GC()
\t}
\tif ok {
\t\tfmt.Println("agree")
\t} else {
\t\tfmt.Println("differ")
\t}
}
"""

SHAPES = {
    "discards": """package main

import "unsafe"

func step(it *[32]unsafe.Pointer) bool {
\tmapiternext(unsafe.Pointer(it))
\treturn true
}
""",
    "reads": """package main

import "unsafe"

func step(it *[32]unsafe.Pointer) bool {
\tkey := mapiternext(unsafe.Pointer(it))
\treturn key == it[0]
}
""",
}


def files(shape: str) -> dict[str, str]:
    return {"go.mod": GO_MOD, "main.go": MAIN, "step.go": SHAPES[shape]}


def run(minor: int, shape: str, platform: str, work: Path) -> str:
    d = work / f"{shape}-{minor}"
    d.mkdir()
    for name, text in files(shape).items():
        (d / name).write_text(text)
    env = {**toolchains.go_env(minor, work), "GOARCH": platform.partition("/")[2]}
    built = subprocess.run(
        ["go", "build", "-o", "prog", "."], cwd=d, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    done = subprocess.run(["./prog"], cwd=d, env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout.strip()
    return out if done.returncode == 0 and out in ("agree", "differ") else "differ"


def verdicts(minor: int, shape: str, platform: str) -> list[Finding]:
    ws = Workspace({name: text.encode() for name, text in files(shape).items()})
    report = analyse(ws, (minor,), (platform,), stdlib=load_window((minor,)))
    return [f for f in report.findings if f.rule == "signature-mismatch" and f.line == 13]


def check(minor: int, shape: str, platform: str, tmp_path: Path) -> None:
    outcome = run(minor, shape, platform, tmp_path)
    found = verdicts(minor, shape, platform)
    errors = [f for f in found if f.severity is Severity.ERROR]
    assert bool(errors) == (outcome == "differ"), (minor, shape, outcome, found)
    assert (outcome == "differ") == (shape == "reads"), (minor, shape, outcome)
    if shape == "discards":
        assert any("declares 1 result word more" in f.message for f in found), found


@pytest.mark.toolchain
@pytest.mark.parametrize("platform", ["linux/amd64", "linux/386"])
@pytest.mark.parametrize("shape", ["discards", "reads"])
@pytest.mark.parametrize("minor", [23, 27])
def test_extra_result_is_an_error_only_where_used(
    minor: int, shape: str, platform: str, tmp_path: Path
) -> None:
    check(minor, shape, platform, tmp_path)


@pytest.mark.matrix
@pytest.mark.parametrize("shape", ["discards", "reads"])
@pytest.mark.parametrize("minor", [21, 22, 24, 25, 26])
def test_extra_result_matrix(minor: int, shape: str, tmp_path: Path) -> None:
    check(minor, shape, "linux/amd64", tmp_path)


@pytest.mark.parametrize(
    ("body", "used"),
    [
        ("f(1)", False),
        ("go f(1); defer f(2)", False),
        ("k := f(1); _ = k", True),
        ("g(f(1))", True),
        ("h := f; h(1)", True),
        ("(f)(1)", True),  # not recognised as a plain call: counted as a use
        ("var f = 1; _ = f", True),  # a local that shadows the name: may be anything
    ],
)
def test_uses_results(body: str, used: bool) -> None:
    source = f"package p\n\nfunc f(x int) (r int)\n\nfunc c() {{ {body} }}\n".encode()
    assert uses_results(source, "f") is used


def test_uses_results_of_an_exported_name_through_its_package() -> None:
    assert not uses_results(b"package q\n\nfunc c() { p.Next(1); x.y.Next(2) }\n", "Next")
    assert uses_results(b"package q\n\nfunc c() { println(p.Next(1)) }\n", "Next")


def _exported(complete_dirs: frozenset[str] | None) -> list[Finding]:
    code = files("discards")
    for name in ("main.go", "step.go"):
        code[name] = code[name].replace("mapiternext(", "Mapiternext(")
    code["main.go"] = code["main.go"].replace("linkname mapiternext", "linkname Mapiternext")
    ws = Workspace({n: t.encode() for n, t in code.items()}, complete_dirs=complete_dirs)
    report = analyse(ws, (23,), ("linux/amd64",), stdlib=load_window((23,)))
    return [f for f in report.findings if f.rule == "signature-mismatch" and f.line == 13]


def test_an_exported_pull_may_be_used_by_packages_not_fetched() -> None:
    assert {f.severity for f in _exported(None)} == {Severity.WARNING}
    assert {f.severity for f in _exported(frozenset({""}))} == {Severity.ERROR}
