"""Race-only files are judged against the race build's facts (issue 9, "Configurations").

A mockey-shaped module: ``internal/inst/generic_extra_race.go`` (``//go:build race``) pulls the
runtime's race entry points (assembly, declared in Go only in race builds), and a plain sibling
file builds without them. The truth is ``go build -race`` (CGO_ENABLED=1, the host C compiler)
and a plain ``go build``: the race pulls link on 1.21–1.26 and fail on 1.27 (``invalid
reference``: 1.27 checks assembly symbols), and the plain build never sees them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Severity
from bot.stdlib.facts import load_window
from bot.stdlib.sanitizers import constraint, required_sanitizer
from bot.testing import toolchains
from tests.oracle_cases import MATRIX

W = load_window(MATRIX)
PLATFORM = "linux/amd64"
LINK_RULES = ("invalid-reference", "undefined-target", "duplicate-definition")

RACE_FILE = """//go:build race
// +build race

package inst

import (
\t"reflect"
\t_ "unsafe"
)

//go:linkname racefuncenter runtime.racefuncenter
func racefuncenter(callpc uintptr)

//go:linkname racefuncexit runtime.racefuncexit
func racefuncexit()

//go:linkname racereadrange runtime.racereadrange
func racereadrange(addr, size uintptr)

//go:linkname racewriterangepc1 runtime.racewriterangepc1
func racewriterangepc1(addr, size, pc uintptr)

func init() {
\tProxies = map[uintptr]string{
\t\treflect.ValueOf(racefuncenter).Pointer():     "racefuncenter",
\t\treflect.ValueOf(racefuncexit).Pointer():      "racefuncexit",
\t\treflect.ValueOf(racereadrange).Pointer():     "racereadrange",
\t\treflect.ValueOf(racewriterangepc1).Pointer(): "racewriterangepc1",
\t}
}
"""

PLAIN_FILE = """package inst

// Proxies maps the race runtime's entry points to their names (race builds only).
var Proxies map[uintptr]string
"""

MAIN = """package main

import "example.com/mk/internal/inst"

func main() { println(len(inst.Proxies)) }
"""


def files() -> dict[str, str]:
    return {
        "go.mod": "module example.com/mk\n\ngo 1.21\n",
        "internal/inst/generic_extra_race.go": RACE_FILE,
        "internal/inst/generic_extra.go": PLAIN_FILE,
        "main.go": MAIN,
    }


def test_required_sanitizer() -> None:
    race = constraint("//go:build race\n\npackage p\n")
    assert required_sanitizer(race, 27, "linux/amd64") == "race"
    either = constraint("//go:build race || !linux\n\npackage p\n")
    assert required_sanitizer(either, 27, "linux/amd64") == "race"
    assert required_sanitizer(either, 27, "windows/amd64") is None
    assert required_sanitizer(constraint("//go:build !race\n\npackage p\n"), 27, PLATFORM) is None
    assert required_sanitizer(constraint("//go:build asan && cgo\npackage p\n"), 24, PLATFORM) == (
        "asan"
    )
    assert required_sanitizer(None, 27, PLATFORM) is None


def test_race_facts_have_the_race_runtime() -> None:
    for minor in MATRIX:
        plain, race = W[minor], W[minor].variant("race")
        assert "linux/amd64" in race.platforms and "linux/386" not in race.platforms
        s = race.symbol("runtime.racefuncenter")
        assert s is not None and PLATFORM in s.asm_platforms & s.go_platforms
        p = plain.symbol("runtime.racefuncenter")
        assert p is None or PLATFORM not in p.asm_platforms
        assert "runtime.racefuncenter" not in W[minor].variant("msan")


def bot_errors(minor: int) -> dict[tuple[str, ...], set[str]]:
    """Link-rule errors for (1.minor, linux/amd64), by the build settings they name."""
    ws = Workspace({p: t.encode() for p, t in files().items()})
    report = analyse(ws, (minor,), (PLATFORM,), stdlib=W)
    out: dict[tuple[str, ...], set[str]] = {}
    for f in report.findings:
        if f.severity is Severity.ERROR and f.rule in LINK_RULES:
            out.setdefault(f.settings, set()).add(f.rule)
    return out


def go_build(minor: int, race: bool) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="race-") as t:
        root = Path(t)
        for rel, text in files().items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        env = toolchains.go_env(minor, root) | {"GOOS": "linux", "GOARCH": "amd64"}
        args = ["go", "build", "-o", "/dev/null"]
        if race:
            env |= {"CGO_ENABLED": "1"}
            args.append("-race")
        return subprocess.run(
            [*args, "."], cwd=root, env=env, capture_output=True, text=True, timeout=900
        )


def _check(minor: int) -> None:
    plain = go_build(minor, race=False)
    assert plain.returncode == 0, plain.stderr
    raced = go_build(minor, race=True)
    errors = bot_errors(minor)
    assert () not in errors  # the plain build never compiles the race file
    if raced.returncode == 0:
        assert errors == {}, (minor, errors)
    else:
        assert "invalid reference to runtime.race" in raced.stderr, raced.stderr
        assert errors == {("race",): {"invalid-reference"}}, (minor, errors)


needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="-race needs a C compiler")


@needs_cc
@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [26, 27])
def test_race_only_file_agrees_with_go_build_race(minor: int) -> None:
    _check(minor)


@needs_cc
@pytest.mark.matrix
@pytest.mark.parametrize("minor", [m for m in MATRIX if m not in (26, 27)])
def test_race_only_file_agrees_with_go_build_race_matrix(minor: int) -> None:
    _check(minor)


ASAN_FILE = """//go:build asan

package main

import "unsafe"

//go:linkname asanread runtime.asanread
func asanread(addr unsafe.Pointer, sz uintptr)

//go:linkname doasanread runtime.doasanread
func doasanread(addr unsafe.Pointer, sz, sp, pc uintptr)

func init() { sinks = append(sinks, asanread, doasanread) }
"""

ASAN_MAIN = "package main\n\nvar sinks []any\n\nfunc main() { println(len(sinks)) }\n"


def _asan(minor: int) -> None:
    """An asan-only file: ``go build -asan`` against the bot's asan facts (``-msan`` needs
    clang's ``-fsanitize=memory``, which this machine's gcc lacks: not measured here)."""
    module = {
        "go.mod": "module example.com/as\n\ngo 1.21\n",
        "as.go": ASAN_FILE,
        "main.go": ASAN_MAIN,
    }
    with tempfile.TemporaryDirectory(prefix="asan-") as t:
        root = Path(t)
        for rel, text in module.items():
            (root / rel).write_text(text)
        env = toolchains.go_env(minor, root) | {"GOOS": "linux", "GOARCH": "amd64"}
        env |= {"CGO_ENABLED": "1"}
        build = subprocess.run(
            ["go", "build", "-asan", "-o", "/dev/null", "."],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    ws = Workspace({p: t.encode() for p, t in module.items()})
    report = analyse(ws, (minor,), (PLATFORM,), stdlib=W)
    errors = {
        (f.rule, f.settings)
        for f in report.findings
        if f.severity is Severity.ERROR and f.rule in LINK_RULES
    }
    if build.returncode == 0:
        assert errors == set(), (minor, errors)
    else:
        rule = "invalid-reference" if "invalid reference" in build.stderr else "undefined-target"
        assert errors == {(rule, ("asan",))}, (minor, build.stderr, errors)


@needs_cc
@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [27])
def test_asan_only_file_agrees_with_go_build_asan(minor: int) -> None:
    _asan(minor)


@needs_cc
@pytest.mark.matrix
@pytest.mark.parametrize("minor", [m for m in MATRIX if m != 27])
def test_asan_only_file_agrees_with_go_build_asan_matrix(minor: int) -> None:
    _asan(minor)
