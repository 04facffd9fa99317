"""Link- and type-level rules over the committed standard-library facts.

Expectations for linux/amd64 were checked with the real toolchains (1.22, 1.23, 1.26, 1.27):
``go build`` of a one-directive module gives ✓ or the error the rule names.
"""

from __future__ import annotations

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.stdlib.facts import load_window

LINK_RULES = frozenset(
    "invalid-reference undefined-target duplicate-definition platform-only "
    "signature-mismatch".split()
)
ALL = ("1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27")
P4 = ("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64")
LINUX = ("linux/amd64", "linux/arm64")
HEADER = 'package main\n\nimport "unsafe"\n\nvar _ unsafe.Pointer\n\n'  # directive on line 7
WINDOW = load_window(range(21, 28))

Row = tuple[str, int, tuple[str, ...], tuple[str, ...]]


def link_findings(
    files: dict[str, str], accepted: object = None, package: str = "main"
) -> list[Row]:
    data = {
        name: text.replace("package main", f"package {package}") for name, text in files.items()
    }
    ws = Workspace(
        {"go.mod": b"module example.com/m\n\ngo 1.21\n"} | {k: v.encode() for k, v in data.items()}
    )
    report = analyse(ws, tuple(range(21, 28)), None, stdlib=WINDOW, accepted=accepted)  # type: ignore[arg-type]
    return sorted(
        (f.rule, f.line, f.go, f.platforms) for f in report.findings if f.rule in LINK_RULES
    )


CASES: list[tuple[str, str, list[Row]]] = [
    (
        "unmarked: refused from 1.23; signature changed in 1.26",
        "//go:linkname gcount runtime.gcount\nfunc gcount() int32\n",
        [
            ("invalid-reference", 7, ALL[2:], P4),
            ("signature-mismatch", 7, ("1.26", "1.27"), P4),
        ],
    ),
    (
        "marked and matching: links everywhere",
        "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
        [],
    ),
    (
        "assembly on linux: unchecked until 1.26, refused in 1.27",
        "//go:linkname sbrk0 runtime.sbrk0\nfunc sbrk0() uintptr\n",
        [
            ("invalid-reference", 7, ALL[2:6], ("darwin/arm64", "windows/amd64")),
            ("invalid-reference", 7, ("1.27",), P4),
        ],
    ),
    (
        "marked until 1.26 (assembly), unmarked Go in 1.27",
        "//go:linkname memhash32 runtime.memhash32\n"
        "func memhash32(p unsafe.Pointer, h uintptr) uintptr\n",
        [("invalid-reference", 7, ("1.27",), P4)],
    ),
    (
        "var: refused while it exists, silently zero once gone",
        "//go:linkname ncpu runtime.ncpu\nvar ncpu int32\n",
        [
            ("invalid-reference", 7, ("1.23", "1.24"), P4),
            ("undefined-target", 7, ("1.25", "1.26", "1.27"), P4),
        ],
    ),
    (
        "blocked, then linknamestd; missing in 1.21",
        "//go:linkname newcoro runtime.newcoro\n"
        "func newcoro(func(unsafe.Pointer)) unsafe.Pointer\n",
        [
            ("invalid-reference", 7, ALL[2:], P4),
            ("signature-mismatch", 7, ALL[1:], P4),
            ("undefined-target", 7, ("1.21",), P4),
        ],
    ),
    (
        "exists on linux only",
        "//go:linkname sigaction runtime.rt_sigaction\n"
        "func sigaction(sig uintptr, new, old unsafe.Pointer, size uintptr) int32\n",
        [
            ("invalid-reference", 7, ("1.27",), LINUX),
            ("platform-only", 7, ALL, ("darwin/arm64", "windows/amd64")),
            ("signature-mismatch", 7, ALL, LINUX),
        ],
    ),
    (
        "push onto a Go definition",
        "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64 { return 0 }\n",
        [("duplicate-definition", 7, ALL, P4)],
    ),
    (
        "push of a var with data links (measured)",
        "//go:linkname pps runtime.physPageSize\nvar pps uintptr = 4096\n",
        [],
    ),
    (
        "method: receiver first; checked like a func (test_oracle_link)",
        "//go:linkname blen strings.(*Builder).Len\nfunc blen(b unsafe.Pointer) int\n",
        [("invalid-reference", 7, ALL[2:], P4), ("signature-mismatch", 7, ALL, P4)],
    ),
    (
        "compiler builtin: 1.23 writes a builtin index, unchecked; 1.24 exempts linknames",
        "//go:linkname asanread runtime.asanread\nfunc asanread(addr unsafe.Pointer, sz uintptr)\n",
        [("invalid-reference", 7, ALL[3:], P4)],
    ),
    (
        "generic func: only instantiations are symbols",
        "//go:linkname index slices.Index\nfunc index(s []int, v int) int\n",
        [("undefined-target", 7, ALL, P4)],
    ),
    (
        "no such func",
        "//go:linkname nosuch runtime.nosuchfunc\nfunc nosuch()\n",
        [("undefined-target", 7, ALL, P4)],
    ),
    (
        "outside the standard library and go.mod's requirements (tests/test_oracle_truth.py)",
        "//go:linkname f example.com/x.F\nfunc f()\n",
        [("undefined-target", 7, ALL, P4)],
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(source: str, expected: list[Row]) -> None:
    assert link_findings({"main.go": HEADER + source}) == expected


def test_method_pull_naming_its_receiver_is_an_indexed_reference() -> None:
    """Measured 1.23-1.27: the compiler reads ``strings.Builder`` (with its methods' object
    indices) for the local's signature, so the pull is a package-indexed reference."""
    source = (
        'package main\n\nimport (\n\t"strings"\n\t_ "unsafe"\n)\n\n'
        "//go:linkname blen strings.(*Builder).Len\nfunc blen(b *strings.Builder) int\n"
    )
    assert link_findings({"main.go": source}) == []


def test_file_name_restricts_platforms() -> None:
    source = HEADER + CASES[6][1]
    assert link_findings({"sig_linux.go": source}) == [
        ("invalid-reference", 7, ("1.27",), LINUX),
        ("signature-mismatch", 7, ALL, LINUX),
    ]


def test_build_constraint_restricts_versions() -> None:
    source = "//go:build go1.24 && !go1.26\n\n" + HEADER + CASES[0][1]
    assert link_findings({"main.go": source}) == [("invalid-reference", 9, ("1.24", "1.25"), P4)]


def test_accepted_pairs_silence_signature_mismatch() -> None:
    seen: list[tuple[str, str, str]] = []

    def accepted(target: str, local: str, remote: str, minor: int) -> bool:
        seen.append((target, local, remote))
        return True

    source = HEADER + CASES[9][1]
    assert [
        f for f in link_findings({"main.go": source}, accepted) if f[0] != "invalid-reference"
    ] == []
    assert (
        "strings.(*Builder).Len",
        "func(unsafe.Pointer) int",
        "func(*strings.Builder) int",
    ) in seen


def test_messages() -> None:
    ws = Workspace(
        {
            "go.mod": b"module example.com/m\n\ngo 1.21\n",
            "main.go": (HEADER + CASES[3][1] + CASES[4][1].replace("7", "9")).encode(),
        }
    )
    report = analyse(ws, tuple(range(21, 28)), ("linux/amd64",), stdlib=WINDOW)
    by_rule = {(f.rule, f.target): f.message for f in report.findings}
    refused = by_rule["invalid-reference", "runtime.memhash32"]
    assert "Go 1.27" in refused and "Go 1.21–1.26 links it: 1.21–1.22: not checked" in refused
    assert refused.count("1.21–1.26") == 1
    assert "1.23: not checked (a compiler builtin: a builtin-indexed reference); " in refused
    assert "1.24–1.26: defined in assembly, not checked." in refused
    assert "invalid reference to runtime.memhash32`): not marked by runtime. Go 1.21" in refused
    assert refused.index("not marked") < refused.index("-checklinkname=0")
    assert "silently reads zero" in by_rule["undefined-target", "runtime.ncpu"]


def test_standard_library_directives_are_not_judged() -> None:
    ws = Workspace(
        {
            "go.mod": b"module std\n\ngo 1.23\n",
            "runtime/x.go": (
                b'package runtime\n\nimport _ "unsafe"\n\n'
                b"//go:linkname sync_nanotime sync.runtime_nanotime\n"
                b"func sync_nanotime() int64 { return 0 }\n"
            ),
        }
    )
    report = analyse(ws, (23,), ("linux/amd64",), stdlib=WINDOW)
    assert [f for f in report.findings if f.rule in LINK_RULES] == []
