"""A pull that nothing refers to builds: judged against ``go build``.

Shaped like a library that declares pulls it does not (or no longer) use, or keeps only in
``var _ = f`` for its linter: ``p`` pulls a target the linker refuses since 1.23
(``runtime.gcount``), a func and a var that do not exist, and ``main`` imports ``p``. With nothing
referring to them the program links in every version, so the analyzer must not call them errors;
one reference, even in a function nothing calls, makes 1.23+ refuse the pull; a call the program
reaches makes the missing func fail the link. A call that the compiler inlines with a reference
to the target (``runtime.NumGoroutine`` is ``return int(gcount())``) refers to it as well.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.analyse.dormant import quiet_unreferenced_pulls, referrers, refers_to, unreferenced
from bot.analyse.engine import Workspace, analyse
from bot.analyse.package import Package, SourceFile
from bot.findings import Finding, Severity
from bot.stdlib.facts import load_window
from bot.testing import toolchains

GO_MOD = "module example.com/m\n\ngo 1.21\n"

PULLS = """package p

import _ "unsafe"

//go:linkname gcount runtime.gcount
func gcount() int32

//go:linkname missing runtime.notThere
func missing() int

//go:linkname missingVar runtime.notThereVar
var missingVar int
"""

MAIN = """package main

import (
\t"fmt"

\t"example.com/m/p"
)

func main() { fmt.Println(p.Value()) }
"""

SHAPES = {
    # nothing refers to any of the three pulls
    "dormant": "package p\n\nfunc Value() int { return 1 }\n",
    # package-level blank vars keep linters quiet; the compiler drops them
    "blank": "package p\n\nvar _ = gcount\n\nvar _, _ = missing, missingVar\n\n"
    "func Value() int { return 1 }\n",
    # a function nothing calls refers to the refused pull
    "refused": (
        "package p\n\nfunc Value() int { return 1 }\n\nfunc count() int32 { return gcount() }\n"
    ),
    # the program calls the missing func
    "called": "package p\n\nfunc Value() int { return missing() }\n",
    # nothing names gcount, but runtime.NumGoroutine, inlined here, is `return int(gcount())`
    "inlined": (
        'package p\n\nimport "runtime"\n\nfunc Value() int { return runtime.NumGoroutine() }\n'
    ),
}

LINES = {5: "gcount", 8: "missing", 11: "missingVar"}


def files(shape: str) -> dict[str, str]:
    return {"go.mod": GO_MOD, "main.go": MAIN, "p/pulls.go": PULLS, "p/value.go": SHAPES[shape]}


def build(minor: int, shape: str, work: Path) -> str:
    """``go build``'s complaint ("" when it links)."""
    d = work / f"{shape}-{minor}"
    for name, text in files(shape).items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
    built = subprocess.run(
        ["go", "build", "-o", "prog", "."],
        cwd=d,
        env=toolchains.go_env(minor, work),
        capture_output=True,
        text=True,
    )
    return "" if built.returncode == 0 else built.stderr


def errors(minor: int, shape: str) -> dict[str, list[Finding]]:
    ws = Workspace({name: text.encode() for name, text in files(shape).items()})
    report = analyse(ws, (minor,), ("linux/amd64",), stdlib=load_window((minor,)))
    out: dict[str, list[Finding]] = {name: [] for name in LINES.values()}
    for f in report.findings:
        if f.path == "p/pulls.go" and f.severity is Severity.ERROR:
            out[LINES[f.line]].append(f)
    return out


#: What ``go build`` says of each shape's program, by the pull it names (1.22 checks no pulls).
COMPLAINTS = {
    "gcount": "invalid reference to runtime.gcount",
    "missing": "relocation target runtime.notThere not defined",
}


@pytest.mark.toolchain
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("minor", [22, 23, 27])
def test_an_error_only_where_go_build_fails(minor: int, shape: str, tmp_path: Path) -> None:
    check(minor, shape, tmp_path)


@pytest.mark.matrix
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("minor", [21, 24, 25, 26])
def test_an_error_only_where_go_build_fails_matrix(minor: int, shape: str, tmp_path: Path) -> None:
    check(minor, shape, tmp_path)


def check(minor: int, shape: str, tmp_path: Path) -> None:
    complaint = build(minor, shape, tmp_path)
    failing = {name for name, text in COMPLAINTS.items() if text in complaint}
    assert bool(failing) == bool(complaint), complaint  # it fails for a reason we know
    found = errors(minor, shape)
    assert {name for name, fs in found.items() if fs} == failing, (minor, shape, complaint, found)
    assert (
        failing
        == {
            "dormant": set(),
            "blank": set(),
            "refused": {"gcount"} if minor >= 23 else set(),
            "called": {"missing"},
            "inlined": {"gcount"} if minor >= 23 else set(),
        }[shape]
    )


def test_dormant_pulls_are_warnings_that_say_why() -> None:
    ws = Workspace({name: text.encode() for name, text in files("dormant").items()})
    report = analyse(ws, (23,), ("linux/amd64",), stdlib=load_window((23,)))
    by_line = {(f.line, f.rule): f for f in report.findings if f.path == "p/pulls.go"}
    refused = by_line[(5, "invalid-reference")]
    assert refused.severity is Severity.WARNING
    # runtime.NumGoroutine carries a reference to gcount when inlined: not "links today"
    assert refused.message.startswith(
        "nothing refers to `gcount` yet, so this links unless a call the compiler inlines "
        "refers to `runtime.gcount` (`runtime.NumGoroutine` does)"
    )
    assert "invalid reference to runtime.gcount" in refused.message
    assert by_line[(8, "undefined-target")].severity is Severity.WARNING
    assert by_line[(11, "undefined-target")].severity is Severity.WARNING


def _package(sources: dict[str, str], *, complete: bool = True, asm: bool = False) -> Package:
    window = ((23,), ("linux/amd64",))
    files = [SourceFile(p, t.encode(), window) for p, t in sorted(sources.items())]
    return Package("p", "p", "example.com/p", files, complete=complete, has_assembly=asm)


DECLARED = (
    'package p\n\nimport _ "unsafe"\n\n'
    "// f is the runtime's f.\n//go:linkname f runtime.f\nfunc f() int\n"
)


@pytest.mark.parametrize(
    ("code", "refers"),
    [
        ("", False),
        ('\nvar s = "f"\n// f again\n', False),  # a string and a comment
        ("\nfunc g() int { return f() }\n", True),
        ("\nvar h = f\n", True),  # its value
        ("\nfunc g(x struct{ f int }) int { return x.f }\n", False),  # a field of that name
        ("\nfunc g() { f := 1; _ = f }\n", True),  # a local that shadows it: may be anything
        ("\nfunc g() { f( }\n", True),  # the parser cannot read it all: may refer
        ("\nvar _ = f\n", False),  # a package-level blank var: the compiler drops it
        ("\nvar (\n\t_, _ = f, 1\n)\n", False),
        ("\nvar _ = f()\n", True),  # a call is kept
        ("\nfunc g() { _ = f }\n", True),  # inside a function it is kept
    ],
)
def test_refers_to(code: str, refers: bool) -> None:
    assert refers_to((DECLARED + code).encode(), "f") is refers


def test_a_var_declaration_is_not_a_reference() -> None:
    source = b'package p\n\nimport _ "unsafe"\n\n//go:linkname v runtime.v\nvar v int\n'
    assert not refers_to(source, "v")
    assert refers_to(source + b"\nfunc g() int { return v }\n", "v")


def test_unreferenced_only_when_certain() -> None:
    assert unreferenced(_package({"a.go": DECLARED}), "f")
    # a test of the package refers to it: go test links it
    tested = _package({"a.go": DECLARED, "a_test.go": "package p\n\nfunc g() { _ = f }\n"})
    assert not unreferenced(tested, "f") and referrers(tested, "f") == "tests"
    assert referrers(_package({"a.go": DECLARED + "\nvar v = f\n"}), "f") == "code"
    assert not unreferenced(_package({"a.go": DECLARED}, complete=False), "f")
    assert not unreferenced(_package({"a.go": DECLARED}, asm=True), "f")  # a .s file may call it
    exported = DECLARED.replace(" f", " F")
    assert not unreferenced(_package({"a.go": exported}), "F")  # other packages may


PER_PORT = """package main

import (
\t"fmt"
\t"runtime"
\t_ "unsafe"
)

//go:linkname sysctlEnabled internal/cpu.sysctlEnabled
func sysctlEnabled(name []byte) bool

func enabled() bool {
\t%s
}

func main() { fmt.Println(enabled()) }
"""

CALLS = {
    # gopkg's lscq shape: the call sits in a branch on a constant the compiler drops elsewhere
    "branch": 'if runtime.GOOS == "darwin" {\n\t\treturn sysctlEnabled([]byte("x\\x00"))\n\t}'
    "\n\treturn false",
    "call": 'return runtime.GOOS == "darwin" || sysctlEnabled([]byte("x\\x00"))',
}


@pytest.mark.toolchain
@pytest.mark.parametrize("shape", sorted(CALLS))
def test_a_per_port_target_fails_only_where_a_call_is_linked(shape: str, tmp_path: Path) -> None:
    source = PER_PORT % CALLS[shape]
    (tmp_path / "go.mod").write_text(GO_MOD)
    (tmp_path / "main.go").write_text(source)
    outcome = {}
    for port in ("darwin/arm64", "linux/arm64"):
        goos, _, goarch = port.partition("/")
        env = {**toolchains.go_env(27, tmp_path), "GOOS": goos, "GOARCH": goarch}
        built = subprocess.run(
            ["go", "build", "-o", os.devnull, "."],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        outcome[port] = built.stderr
    assert outcome["darwin/arm64"] == ""
    failed = "relocation target internal/cpu.sysctlEnabled not defined" in outcome["linux/arm64"]
    assert failed == (shape == "call"), outcome
    ws = Workspace({"go.mod": GO_MOD.encode(), "main.go": source.encode()})
    report = analyse(ws, (27,), ("darwin/arm64", "linux/arm64"), stdlib=load_window((27,)))
    (f,) = [f for f in report.findings if f.rule == "platform-only"]
    assert f.severity is Severity.WARNING and f.platforms == ("linux/arm64",)
    assert "a reference that is linked in fails with `relocation target" in f.message
    assert "a call in a branch the compiler drops" in f.message


TESTED = """package p

import "testing"

func TestCount(t *testing.T) {
\tif gcount() < 1 {
\t\tt.Fatal("no goroutine")
\t}
}
"""


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [22, 23, 27])
def test_a_pull_only_tests_refer_to_fails_only_go_test(minor: int, tmp_path: Path) -> None:
    code = files("dormant") | {"p/p_test.go": TESTED}
    for name, text in code.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    def go(*args: str) -> str:
        env = toolchains.go_env(minor, tmp_path)
        done = subprocess.run(["go", *args], cwd=tmp_path, env=env, capture_output=True, text=True)
        return "" if done.returncode == 0 else done.stderr

    assert go("build", "-o", os.devnull, ".") == ""
    tested = go("test", "-c", "-o", os.devnull, "./p")
    assert ("invalid reference to runtime.gcount" in tested) == (minor >= 23), tested
    ws = Workspace({name: text.encode() for name, text in code.items()})
    report = analyse(ws, (minor,), ("linux/amd64",), stdlib=load_window((minor,)))
    refused = [f for f in report.findings if f.rule == "invalid-reference" and f.line == 5]
    assert bool(refused) == (minor >= 23)
    for f in refused:
        assert f.severity is Severity.ERROR and f.settings == ("go test",)
        assert f.message.endswith("(only in go test: only tests refer to `gcount`)")


@pytest.mark.toolchain
def test_the_inlined_call_is_what_refers(tmp_path: Path) -> None:
    """Without inlining in ``p`` (``-gcflags=…/p=-l``) the "inlined" shape links: the reference
    to ``runtime.gcount`` is the one ``runtime.NumGoroutine``'s body brings."""
    assert "invalid reference to runtime.gcount" in build(23, "inlined", tmp_path)
    d = tmp_path / "inlined-23"
    built = subprocess.run(
        ["go", "build", "-gcflags=example.com/m/p=-l", "-o", "prog", "."],
        cwd=d,
        env=toolchains.go_env(23, tmp_path),
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr


def test_an_inlined_carrier_keeps_the_error_and_names_the_call() -> None:
    found = errors(23, "inlined")["gcount"]
    assert [f.rule for f in found] == ["invalid-reference"]
    assert found[0].message.endswith(
        "(`runtime.NumGoroutine`, called at p/value.go:5, is inlined with a reference to it)"
    )
    assert ("p/value.go", 5) in [(r.path, r.line) for r in found[0].related]


def _inlined_report(
    value: str, minors: tuple[int, ...] = (23,), platforms: tuple[str, ...] = ("linux/amd64",)
) -> list[Finding]:
    sources = {**files("dormant"), "p/value.go": value}
    ws = Workspace({name: text.encode() for name, text in sources.items()})
    report = analyse(ws, minors, platforms, stdlib=load_window(minors))
    return [f for f in report.findings if f.path == "p/pulls.go" and f.line == 5]


@pytest.mark.parametrize(
    "value",
    [
        # a method of that name is not the carrier
        "package p\n\ntype r struct{}\n\nfunc (r) NumGoroutine() int { return 1 }\n\n"
        "func Value() int { var x r; return x.NumGoroutine() }\n",
        # another package named runtime
        'package p\n\nimport runtime "example.com/m/q"\n\n'
        "func Value() int { return runtime.NumGoroutine() }\n",
    ],
)
def test_a_call_that_may_not_carry_is_a_warning(value: str) -> None:
    (f,) = _inlined_report(value)
    assert f.severity is Severity.WARNING, f.message
    assert "links unless a call the compiler inlines" in f.message


def test_an_aliased_import_is_followed() -> None:
    value = 'package p\n\nimport rt "runtime"\n\nfunc Value() int { return rt.NumGoroutine() }\n'
    (f,) = _inlined_report(value)
    assert f.severity is Severity.ERROR
    assert "`runtime.NumGoroutine`, called at p/value.go:5" in f.message


def test_versions_split_by_what_the_call_carries() -> None:
    """1.22 does not check pulls (no error to keep); 1.23 and 1.27 refuse the carried pull."""
    found = _inlined_report(
        'package p\n\nimport "runtime"\n\nfunc Value() int { return runtime.NumGoroutine() }\n',
        (22, 23, 27),
    )
    errors_ = [f for f in found if f.severity is Severity.ERROR]
    assert [f.go for f in errors_] == [("1.23", "1.27")]


def test_a_call_in_a_file_of_one_port_fails_there_only() -> None:
    value = (
        '//go:build linux\n\npackage p\n\nimport "runtime"\n\n'
        "func Value() int { return runtime.NumGoroutine() }\n"
    )
    found = _inlined_report(value, platforms=("linux/amd64", "windows/amd64"))
    graded = {(f.severity, f.platforms) for f in found}
    assert graded == {
        (Severity.ERROR, ("linux/amd64",)),
        (Severity.WARNING, ("windows/amd64",)),
    }


class _Facts:
    """Inlining facts of one shape, for the grading alone."""

    def __init__(self, carriers: tuple[tuple[str, int], ...] | None, compiler: bool) -> None:
        self._carriers, self._compiler = carriers, compiler

    def carriers(self, minor: int, symbol: str) -> tuple[tuple[str, int], ...] | None:
        return self._carriers

    def compiler_calls(self, minor: int, symbol: str) -> bool | None:
        return None if self._carriers is None else self._compiler


@pytest.mark.parametrize(
    ("facts", "starts"),
    [
        (_Facts((), False), "nothing refers to `gcount` yet, so this links today"),
        (
            _Facts((), True),
            "nothing refers to `gcount` yet, so this links unless code the compiler generates "
            "calls `runtime.gcount` itself",
        ),
        (
            _Facts((("runtime.NumGoroutine", 2),), False),  # deeper: the budget may stop it
            "nothing refers to `gcount` yet, so this links unless a call the compiler inlines",
        ),
        (
            _Facts(None, False),
            "nothing refers to `gcount` yet, so this links unless an inlined call refers to "
            "`runtime.gcount` (not measured for Go 1.23)",
        ),
    ],
)
def test_what_a_dormant_refused_pull_says(facts: _Facts, starts: str) -> None:
    """The "inlined" shape (it calls ``runtime.NumGoroutine``) graded by each kind of fact."""
    sources = files("inlined")
    report = analyse(
        Workspace({name: text.encode() for name, text in sources.items()}),
        (23,),
        ("linux/amd64",),
        stdlib=load_window((23,)),
    )
    package = _package({p.removeprefix("p/"): t for p, t in sources.items() if p.startswith("p/")})
    for f in package.files:
        f.path = f"p/{f.path}"
    refused = Finding(
        "p/pulls.go", 5, 1, "invalid-reference", Severity.ERROR, "refused", "runtime.gcount",
        go=("1.23",), platforms=("linux/amd64",),
    )  # fmt: skip
    (graded,) = quiet_unreferenced_pulls([refused], report.directives, lambda _: package, facts)
    assert graded.severity is Severity.WARNING
    assert graded.message.startswith(starts), graded.message
