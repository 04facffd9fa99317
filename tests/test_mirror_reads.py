"""A stale mirror misreads only where the code reads its stale field: judged against running it.

Shaped like sonic's ``GoMapType``: a mirror of the pre-1.24 map type descriptor passed to
``runtime.makemap``. From Go 1.24 the runtime's map type is laid out differently, so the mirror's
``flags`` sits where the runtime keeps ``GroupSize``. In *gated* the mirror's ``flags`` is read
only in a ``//go:build !go1.24`` file (where it is right) and newer versions ask ``reflect``; in
*ungated* it is read on every version. The run prints ``agree`` or ``differ``; the analyzer must
give a ``signature-mismatch`` error on the ``makemap`` pull exactly where the run differs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Finding, Severity
from bot.stdlib.facts import load_window
from bot.testing import toolchains

GO_MOD = "module example.com/m\n\ngo 1.21\n"

MAIN = """package main

import (
\t"fmt"
\t"unsafe"
)

type rtype struct {
\tsize       uintptr
\tptrdata    uintptr
\thash       uint32
\ttflag      uint8
\talign      uint8
\tfieldAlign uint8
\tkind       uint8
\tequal      func(unsafe.Pointer, unsafe.Pointer) bool
\tgcdata     *byte
\tstr        int32
\tptrToThis  int32
}

type mapType struct {
\trtype
\tkey        *rtype
\telem       *rtype
\tbucket     *rtype
\thasher     func(unsafe.Pointer, uintptr) uintptr
\tkeysize    uint8
\tvaluesize  uint8
\tbucketsize uint16
\tflags      uint32
}

type eface struct {
\ttyp  *mapType
\tdata unsafe.Pointer
}

//go:linkname makemap runtime.makemap
func makemap(t *mapType, hint int, m unsafe.Pointer) unsafe.Pointer

func main() {
\tvar sample any = map[int][200]byte{}
\tt := (*eface)(unsafe.Pointer(&sample)).typ
\tm := makemap(t, 0, nil)
\tmp := *(*map[int][200]byte)(unsafe.Pointer(&m))
\tmp[1] = [200]byte{5}
\tif len(mp) == 1 && mp[1][0] == 5 && indirectElem(t) {
\t\tfmt.Println("agree")
\t} else {
\t\tfmt.Println("differ")
\t}
}
"""

READ_FLAGS = """package main

// A map element over 128 bytes is stored indirectly: flag 2 of the pre-1.24 map type.
func indirectElem(t *mapType) bool { return t.flags&2 != 0 }
"""

ASK_REFLECT = """//go:build go1.24

package main

import "reflect"

func indirectElem(t *mapType) bool { return reflect.TypeOf([200]byte{}).Size() > 128 }
"""

SHAPES = {
    "gated": {
        "read_flags.go": "//go:build !go1.24\n\n" + READ_FLAGS,
        "ask_reflect.go": ASK_REFLECT,
    },
    "ungated": {"read_flags.go": READ_FLAGS},
}


def files(shape: str) -> dict[str, str]:
    return {"go.mod": GO_MOD, "main.go": MAIN, **SHAPES[shape]}


def run(minor: int, shape: str, work: Path) -> str:
    d = work / f"{shape}-{minor}"
    d.mkdir()
    for name, text in files(shape).items():
        (d / name).write_text(text)
    env = toolchains.go_env(minor, work)
    built = subprocess.run(
        ["go", "build", "-o", "prog", "."], cwd=d, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    done = subprocess.run(["./prog"], cwd=d, env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout.strip()
    return out if done.returncode == 0 and out in ("agree", "differ") else "differ"


def verdicts(minor: int, shape: str) -> list[Finding]:
    ws = Workspace({name: text.encode() for name, text in files(shape).items()})
    report = analyse(ws, (minor,), ("linux/amd64",), stdlib=load_window((minor,)))
    return [f for f in report.findings if f.rule == "signature-mismatch" and f.target]


def check(minor: int, shape: str, tmp_path: Path) -> None:
    outcome = run(minor, shape, tmp_path)
    found = verdicts(minor, shape)
    errors = [f for f in found if f.severity is Severity.ERROR]
    assert bool(errors) == (outcome == "differ"), (minor, shape, outcome, found)
    if minor >= 24:
        assert found, "a stale mirror is at least a warning"
        assert (outcome == "differ") == (shape == "ungated")
        if errors:
            assert "your `makemap`" not in errors[0].message
            assert "mapType.flags` (uint32) is at offset 84" in errors[0].message, errors[0].message


@pytest.mark.toolchain
@pytest.mark.parametrize("shape", ["gated", "ungated"])
@pytest.mark.parametrize("minor", [23, 26])
def test_stale_mirror_is_an_error_only_where_read(minor: int, shape: str, tmp_path: Path) -> None:
    check(minor, shape, tmp_path)


@pytest.mark.matrix
@pytest.mark.parametrize("shape", ["gated", "ungated"])
@pytest.mark.parametrize("minor", [21, 22, 24, 25, 27])
def test_stale_mirror_matrix(minor: int, shape: str, tmp_path: Path) -> None:
    check(minor, shape, tmp_path)
