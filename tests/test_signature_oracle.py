"""Differential check of ``signature-mismatch`` against running the code (linux/amd64).

Each case is a small ``package main`` shaped like a real library's use of linkname: a mirror of
the runtime's type descriptor passed to ``reflect.unsafe_New`` (go-json, reflect2), sonic's pull
of ``runtime.growslice``, segmentio/encoding's ``runtime.typedslicecopy``, mockey's
``runtime.findfunc`` read as two pointers instead of one two-word struct, ugorji's
``runtime.zeroVal``, an empty struct var over a runtime struct. The program checks what it reads
through its declaration against a safe source (``reflect``, the slice it built) and prints
``agree``; a wrong declaration prints ``differ`` or crashes. The analyzer must give an error on
the case's directive iff the run does not agree, and no finding at all where it agrees and the
case says the shape is proven compatible. A dropped result is harmless while the register ABI
returns it (amd64: a warning) and overwrites the caller's frame where results go on the stack
(386 binaries run here too: an error).
"""

from __future__ import annotations

import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Finding, Severity
from bot.stdlib.facts import load_window
from bot.testing import toolchains

RTYPE = """
type rtype struct {
    size       uintptr
    ptrdata    uintptr
    hash       uint32
    tflag      uint8
    align      uint8
    fieldAlign uint8
    kind       uint8
    equal      func(unsafe.Pointer, unsafe.Pointer) bool
    gcdata     *byte
    str        int32
    ptrToThis  int32
}

type eface struct {
    typ  *rtype
    data unsafe.Pointer
}

type slice struct {
    data unsafe.Pointer
    len  int
    cap  int
}

func typeOf(x any) *rtype { return (*eface)(unsafe.Pointer(&x)).typ }

func verdict(ok bool) {
    if ok {
        fmt.Println("agree")
    } else {
        fmt.Println("differ")
    }
}
"""


@dataclass(frozen=True)
class Case:
    name: str
    body: str  # declarations and main; the checked directive follows a // CHECK line
    expect_quiet: bool  # proven compatible: no signature-mismatch finding at all
    goarch: str = "amd64"  # linux/386 binaries run on linux/amd64 too
    wrong: bool = False  # the shape misreads at run time (the run must say so)

    @property
    def platform(self) -> str:
        return f"linux/{self.goarch}"

    def source(self) -> str:
        head = 'package main\n\nimport ("fmt"; "reflect"; "unsafe")\n\nvar _ = reflect.TypeOf\n'
        return head + RTYPE + textwrap.dedent(self.body)

    def line(self) -> int:
        for i, text in enumerate(self.source().split("\n"), 1):
            if "// CHECK" in text:
                return i + 1  # the directive below the marker
        raise AssertionError("no // CHECK directive")


CASES = [
    Case(
        "type-mirror-right",
        """
        // CHECK
        //go:linkname unsafe_New reflect.unsafe_New
        func unsafe_New(*rtype) unsafe.Pointer

        func main() {
            t := typeOf(42)
            p := (*int)(unsafe_New(t))
            *p = 7
            verdict(reflect.Kind(t.kind&31) == reflect.Int && t.size == 8 && *p == 7)
        }
        """,
        True,
    ),
    Case(
        "type-mirror-missing-field",
        """
        type badType struct {
            size       uintptr
            hash       uint32
            tflag      uint8
            align      uint8
            fieldAlign uint8
            kind       uint8
        }

        // CHECK
        //go:linkname unsafe_New reflect.unsafe_New
        func unsafe_New(*badType) unsafe.Pointer

        func main() {
            t := (*badType)(unsafe.Pointer(typeOf(42)))
            p := (*int)(unsafe_New(t))
            *p = 7
            verdict(reflect.Kind(t.kind&31) == reflect.Int && *p == 7)
        }
        """,
        False,
        wrong=True,
    ),
    Case(
        "growslice-current",
        """
        // CHECK
        //go:linkname growslice runtime.growslice
        func growslice(oldPtr unsafe.Pointer, newLen, oldCap, num int, et *rtype) slice

        func main() {
            s := []int{1}
            old := (*slice)(unsafe.Pointer(&s))
            n := growslice(old.data, 2, old.cap, 1, typeOf(0))
            grown := *(*[]int)(unsafe.Pointer(&n))
            verdict(len(grown) == 2 && cap(grown) >= 2 && grown[0] == 1)
        }
        """,
        True,
    ),
    Case(
        "growslice-pre-1.20",
        """
        // CHECK
        //go:linkname growslice runtime.growslice
        func growslice(et *rtype, old slice, cap int) slice

        func main() {
            s := []int{1}
            n := growslice(typeOf(0), *(*slice)(unsafe.Pointer(&s)), 2)
            grown := *(*[]int)(unsafe.Pointer(&n))
            verdict(cap(grown) >= 2 && len(grown) >= 1 && grown[0] == 1)
        }
        """,
        False,
        wrong=True,
    ),
    Case(
        "typedslicecopy-5-words",
        """
        // CHECK
        //go:linkname typedslicecopy runtime.typedslicecopy
        func typedslicecopy(typ *rtype,
            dstPtr unsafe.Pointer, dstLen int, srcPtr unsafe.Pointer, srcLen int) int

        func main() {
            src, dst := []int{1, 2, 3}, make([]int, 3, 8)
            d, s := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0])
            n := typedslicecopy(typeOf(0), d, 3, s, 3)
            verdict(n == 3 && dst[2] == 3)
        }
        """,
        True,
    ),
    Case(
        "typedslicecopy-7-words",
        """
        // CHECK
        //go:linkname typedslicecopy runtime.typedslicecopy
        func typedslicecopy(typ *rtype, dst, src slice) int

        func main() {
            src, dst := []int{1, 2, 3}, make([]int, 3, 8)
            d, s := *(*slice)(unsafe.Pointer(&dst)), *(*slice)(unsafe.Pointer(&src))
            n := typedslicecopy(typeOf(0), d, s)
            verdict(n == 3 && dst[2] == 3)
        }
        """,
        False,
        wrong=True,
    ),
    # The result dropped: in registers (amd64) nothing is written; on 386 the callee writes it
    # into the caller's frame.
    Case(
        "growslice-result-dropped-amd64",
        expect_quiet=False,
        body="""
        // CHECK
        //go:linkname growslice runtime.growslice
        func growslice(oldPtr unsafe.Pointer, newLen, oldCap, num int, et *rtype)

        //go:noinline
        func call(s []int) (a, b, c, d int) {
            a, b, c, d = 11, 22, 33, 44
            growslice(unsafe.Pointer(&s[0]), 2, 1, 1, typeOf(0))
            return a, b, c, d
        }

        func main() {
            a, b, c, d := call([]int{1})
            verdict(a == 11 && b == 22 && c == 33 && d == 44)
        }
        """,
    ),
    Case(
        "growslice-result-dropped-386",
        wrong=True,
        goarch="386",
        expect_quiet=False,
        body="""
        // CHECK
        //go:linkname growslice runtime.growslice
        func growslice(oldPtr unsafe.Pointer, newLen, oldCap, num int, et *rtype)

        //go:noinline
        func call(s []int) (a, b, c, d int) {
            a, b, c, d = 11, 22, 33, 44
            growslice(unsafe.Pointer(&s[0]), 2, 1, 1, typeOf(0))
            return a, b, c, d
        }

        func main() {
            a, b, c, d := call([]int{1})
            verdict(a == 11 && b == 22 && c == 33 && d == 44)
        }
        """,
    ),
    Case(
        "zeroval-literal-length",
        """
        // CHECK
        //go:linkname zeroVal runtime.zeroVal
        var zeroVal [1024]byte

        func main() {
            m := map[int][1024]byte{}
            v := m[1] // a miss returns the runtime's zero value
            verdict(len(zeroVal) == 1024 && zeroVal[1023] == 0 && v[1023] == 0)
        }
        """,
        True,
    ),
    Case(
        "struct-result-as-words-amd64",
        """
        // CHECK
        //go:linkname findfunc runtime.findfunc
        func findfunc(pc uintptr) (unsafe.Pointer, unsafe.Pointer)

        func target() {}

        func main() {
            f := target
            entry := **(**uintptr)(unsafe.Pointer(&f))
            fn, datap := findfunc(entry)
            verdict(fn != nil && **(**uint32)(datap) == 0xfffffff1) // moduledata.pcHeader.magic
        }
        """,
        False,
        goarch="amd64",
    ),
    Case(
        "struct-result-as-words-386",
        """
        // CHECK
        //go:linkname findfunc runtime.findfunc
        func findfunc(pc uintptr) (unsafe.Pointer, unsafe.Pointer)

        func target() {}

        func main() {
            f := target
            entry := **(**uintptr)(unsafe.Pointer(&f))
            fn, datap := findfunc(entry)
            verdict(fn != nil && **(**uint32)(datap) == 0xfffffff1) // moduledata.pcHeader.magic
        }
        """,
        False,
        goarch="386",
    ),
    Case(
        "opaque-struct-var",
        """
        // CHECK
        //go:linkname sched runtime.sched
        var sched struct{}

        func main() {
            verdict(unsafe.Pointer(&sched) != nil)
        }
        """,
        True,
    ),
]


def run(minor: int, case: Case, work: Path) -> str:
    d = work / case.name
    d.mkdir()
    (d / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    (d / "main.go").write_text(case.source())
    env = {**toolchains.go_env(minor, work), "GOARCH": case.goarch}
    built = subprocess.run(
        ["go", "build", "-o", "prog", "."], cwd=d, env=env, capture_output=True, text=True
    )
    if built.returncode != 0:
        return "build failed: " + built.stderr.strip()
    done = subprocess.run(["./prog"], cwd=d, env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout.strip()
    return out if done.returncode == 0 and out in ("agree", "differ") else "differ"


def verdicts(minor: int, case: Case) -> list[Finding]:
    ws = Workspace(
        {"go.mod": b"module example.com/m\n\ngo 1.21\n", "main.go": case.source().encode()}
    )
    report = analyse(ws, (minor,), (case.platform,), stdlib=load_window((minor,)))
    return [f for f in report.findings if f.rule == "signature-mismatch" and f.line == case.line()]


def check(minor: int) -> None:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            outcome = run(minor, case, Path(tmp))
            if outcome.startswith("build failed"):
                problems.append(f"{case.name}: {outcome}")
                continue
            found = verdicts(minor, case)
            errors = [f for f in found if f.severity is Severity.ERROR]
            if bool(errors) != (outcome == "differ"):
                problems.append(f"1.{minor} {case.name}: run says {outcome}, analyzer {found}")
            if case.expect_quiet and found:
                problems.append(f"1.{minor} {case.name}: expected no finding, got {found}")
            if case.wrong and outcome != "differ":
                problems.append(f"1.{minor} {case.name}: the wrong shape ran correctly")
    assert not problems, "\n".join(problems)


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [26])
def test_signature_verdicts_agree_with_running(minor: int) -> None:
    check(minor)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", [21, 22, 23, 24, 25, 27])
def test_signature_verdicts_agree_with_running_matrix(minor: int) -> None:
    check(minor)
