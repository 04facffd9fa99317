"""``signature-mismatch`` verdicts on library-shaped declarations, against the committed facts
and layouts (no toolchain needed; ``test_signature_oracle.py`` runs the same shapes)."""

from __future__ import annotations

import pytest

from bot.analyse.engine import Workspace, analyse
from bot.findings import Finding, Severity
from bot.stdlib.facts import load_window
from tests.gofixtures import referring

HEADER = 'package main\n\nimport "unsafe"\n\nvar _ unsafe.Pointer\n\n'  # directive on line 7

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
"""

NEW = "//go:linkname unsafe_New reflect.unsafe_New\n"

HITER = """
type hiter struct {
	key         unsafe.Pointer
	elem        unsafe.Pointer
	t           *rtype
	h           unsafe.Pointer
	buckets     unsafe.Pointer
	bptr        unsafe.Pointer
	overflow    unsafe.Pointer
	oldoverflow unsafe.Pointer
	startBucket uintptr
	offset      uint8
	wrapped     bool
	B           uint8
	i           uint8
	bucket      uintptr
	checkBucket uintptr
}
"""


def mismatches(
    source: str, versions: tuple[int, ...], platforms: tuple[str, ...] = ("linux/amd64",)
) -> list[Finding]:
    ws = Workspace(
        {"go.mod": b"module example.com/m\n\ngo 1.21\n", "main.go": referring(source).encode()}
    )
    report = analyse(ws, versions, platforms, stdlib=load_window(versions))
    return [f for f in report.findings if f.rule == "signature-mismatch"]


def severities(found: list[Finding]) -> dict[tuple[str, ...], str]:
    return {f.go: f.severity.value for f in found}


def test_mirrored_type_descriptor_is_compatible() -> None:
    src = HEADER + NEW + "func unsafe_New(*rtype) unsafe.Pointer\n" + RTYPE
    assert mismatches(src, (21, 22, 23, 24, 25, 26, 27)) == []


def test_mirror_longer_than_the_std_struct_is_an_error() -> None:
    src = (
        HEADER
        + "//go:linkname unsafe_New reflect.unsafe_New\nfunc unsafe_New(*big) unsafe.Pointer\n"
        + RTYPE
        + "type big struct {\n\trtype\n\textra uintptr\n}\n"
    )
    # Nothing reads `extra` yet: the wrong field cannot misread anything.
    (unread,) = mismatches(src, (24,))
    assert (
        unread.severity is Severity.WARNING
        and "nothing in the files reviewed reads" in unread.message
    )
    (f,) = mismatches(src + "\nfunc size(b *big) uintptr { return b.extra }\n", (24,))
    assert f.severity is Severity.ERROR
    assert "`big.extra`" in f.message
    assert "past the end of `internal/abi.Type` (48 bytes)" in f.message
    assert f.line == 7 and f.related and f.related[0].line == 8


def test_pre_120_growslice_names_the_word() -> None:
    src = (
        HEADER
        + "//go:linkname growslice runtime.growslice\n"
        + "func growslice(et *rtype, old []byte, cap int) []byte\n"
        + RTYPE
    )
    (f,) = mismatches(src, (21, 22, 23, 24, 25, 26, 27))
    assert f.severity is Severity.ERROR
    assert f.go == ("1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27")
    assert f.message.startswith(
        "`growslice` passes a pointer as its 2nd word (`old`'s data pointer); "
        "`runtime.growslice` takes `newLen int` there (`oldPtr, newLen, oldCap, num, et`)"
    )


def test_seven_words_for_five() -> None:
    src = (
        HEADER
        + "//go:linkname typedslicecopy runtime.typedslicecopy\n"
        + "func typedslicecopy(t *rtype, dst, src []byte) int\n"
        + RTYPE
    )
    (f,) = mismatches(src, (23,))
    assert f.severity is Severity.ERROR
    assert "4th word (`dst`'s capacity)" in f.message


def test_stop_the_world_drift() -> None:
    stop = HEADER + "//go:linkname stopTheWorld runtime.stopTheWorld\n"
    stop += "func stopTheWorld(reason string)\n"
    found = mismatches(stop, (21, 22))
    assert {f.severity for f in found} == {Severity.ERROR}
    assert {v for f in found for v in f.go} == {"1.21", "1.22"}
    start = HEADER + "//go:linkname startTheWorld runtime.startTheWorld\nfunc startTheWorld()\n"
    (f,) = mismatches(start, (21, 22))
    assert f.go == ("1.22",) and f.severity is Severity.ERROR
    assert "passes 0 words" in f.message and "takes 2 (`w`)" in f.message


def test_constant_array_length_is_evaluated() -> None:
    src = HEADER + "//go:linkname zeroVal runtime.zeroVal\nvar zeroVal [1024]byte\n"
    assert mismatches(src, (21, 24, 27)) == []
    short = HEADER + "//go:linkname zeroVal runtime.zeroVal\nvar zeroVal [2048]byte\n"
    (f,) = mismatches(short, (24,))
    assert f.severity is Severity.ERROR and "past the end" in f.message


def test_empty_struct_var_over_a_runtime_struct() -> None:
    src = HEADER + "//go:linkname sched runtime.sched\nvar sched struct{}\n"
    assert mismatches(src, (21, 22, 23, 24, 25, 26, 27)) == []


def test_caller_allocated_iterator_keeps_the_old_layout() -> None:
    src = (
        HEADER
        + "//go:linkname mapiterinit runtime.mapiterinit\n"
        + "func mapiterinit(t *rtype, m unsafe.Pointer, it *hiter)\n"
        + RTYPE
        + HITER
    )
    found = mismatches(src, (21, 22, 23, 24, 25, 26, 27))
    assert all(f.severity is not Severity.ERROR for f in found), found


def test_uintptr_for_a_pointer_is_a_warning() -> None:
    src = HEADER + NEW + "func unsafe_New(uintptr) unsafe.Pointer\n"
    (f,) = mismatches(src, (24,))
    assert f.severity is Severity.WARNING and "does not see a pointer" in f.message


def test_missing_result() -> None:
    src = HEADER + "//go:linkname nanotime runtime.nanotime\nfunc nanotime()\n"
    # The register ABI returns it in a register the caller does not read: nothing is overwritten.
    (f,) = mismatches(src, (24,))
    assert f.severity is Severity.WARNING and "drops the result" in f.message
    # On a port that returns results on the stack the callee writes into the caller's frame.
    (f,) = mismatches(src, (24,), ("linux/386",))
    assert f.severity is Severity.ERROR and "misses result" in f.message
    extra = HEADER + "//go:linkname nanotime runtime.nanotime\nfunc nanotime() (int64, int64)\n"
    (f,) = mismatches(extra + "func use() { a, b := nanotime(); _, _ = a, b }\n", (24,))
    assert f.severity is Severity.ERROR and "has extra result" in f.message
    # Declared but never used: nothing reads the word the callee leaves alone.
    (f,) = mismatches(extra + "func use() { nanotime() }\n", (24,))
    assert f.severity is Severity.WARNING and "1 result word more" in f.message


def test_a_struct_result_read_as_its_words_is_no_error() -> None:
    two = HEADER + "//go:linkname findfunc runtime.findfunc\n"
    found = mismatches(two + "func findfunc(uintptr) (unsafe.Pointer, unsafe.Pointer)\n", (24,))
    assert found and all(f.severity is Severity.WARNING for f in found), found
    (f,) = mismatches(two + "func findfunc(uintptr) (unsafe.Pointer, int32, int32)\n", (24,))
    assert f.severity is Severity.ERROR
    three = two + "func findfunc(uintptr) (uintptr, uintptr, uintptr)\n"
    (f,) = mismatches(three + "func use() { a, b, c := findfunc(0); _, _, _ = a, b, c }\n", (24,))
    assert f.severity is Severity.ERROR and "has extra result" in f.message


def test_wider_integer_in_the_same_word_is_a_warning() -> None:
    src = HEADER + "//go:linkname gcount runtime.gcount\nfunc gcount(includeSys uint) int32\n"
    (f,) = mismatches(src, (26,))
    assert f.severity is Severity.WARNING and "wider integer" in f.message


def test_a_word_over_a_flag_and_its_twin_is_a_warning() -> None:
    # sonic's `var RuntimeWriteBarrier uintptr`: on 1.21 the word also covers `needed bool`
    # (always equal to `enabled`); from 1.22 only padding. A wider read in one word: fragile.
    src = HEADER + "//go:linkname wb runtime.writeBarrier\nvar wb uintptr\n"
    found = mismatches(src, (21, 22))
    assert {f.severity for f in found} == {Severity.WARNING}, found
    by_version = {f.go: f.message for f in found}
    assert "and `needed bool`" in by_version[("1.21",)]
    assert "`enabled bool` (1 byte)" in by_version[("1.22",)]
    # The same read on a 32-bit port is a word too; two words over two fields are not.
    wide = HEADER + "//go:linkname wb runtime.writeBarrier\nvar wb uint64\n"
    (f,) = mismatches(wide, (21,), ("linux/386",))
    assert f.severity is Severity.ERROR and "(uint64) is at offset 0" in f.message


@pytest.mark.parametrize("platform", ["linux/386", "linux/arm"])
def test_32_bit_ports_are_laid_out(platform: str) -> None:
    right = HEADER + "//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n"
    assert mismatches(right, (24,), (platform,)) == []
    src = HEADER + NEW + "func unsafe_New(*rtype) unsafe.Pointer\n" + RTYPE
    assert mismatches(src, (24,), (platform,)) == []
    wrong = src.replace("ptrdata    uintptr", "ptrdata    uint64")
    wrong += "\nfunc ptrdata(t *rtype) uint64 { return t.ptrdata }\n"
    (f,) = mismatches(wrong, (24,), (platform,))
    assert f.severity is Severity.ERROR and "ptrdata" in f.message


def test_mirror_in_another_package_of_the_repository() -> None:
    rt = 'package rt\n\nimport "unsafe"\n' + RTYPE.replace("type rtype", "type GoType")
    rt += "\nfunc (t *GoType) Kind() uint8 { return t.kind }\n"
    main = (
        'package main\n\nimport (\n\t"unsafe"\n\n\t"example.com/m/internal/rt"\n)\n\n'
        "//go:linkname unsafe_New reflect.unsafe_New\nfunc unsafe_New(*rt.GoType) unsafe.Pointer\n"
    )
    files = {"go.mod": b"module example.com/m\n\ngo 1.21\n", "main.go": referring(main).encode()}

    def found(rt_source: str) -> list[Finding]:
        ws = Workspace({**files, "internal/rt/rt.go": rt_source.encode()})
        report = analyse(ws, (24,), ("linux/amd64",), stdlib=load_window((24,)))
        return [f for f in report.findings if f.rule == "signature-mismatch"]

    assert found(rt) == []
    (f,) = found(rt.replace("\tptrdata    uintptr\n", ""))
    assert f.severity is Severity.ERROR and "`GoType.kind` (uint8) is at offset 15" in f.message


def test_type_from_another_module_is_not_verified() -> None:
    src = (
        'package main\n\nimport (\n\t"unsafe"\n\n\t"example.org/other/rt"\n)\n\n'
        "//go:linkname unsafe_New reflect.unsafe_New\nfunc unsafe_New(*rt.Type) unsafe.Pointer\n"
    )
    ws = Workspace({"go.mod": b"module example.com/m\n\ngo 1.21\n", "main.go": src.encode()})
    report = analyse(ws, (24,), ("linux/amd64",), stdlib=load_window((24,)))
    (f,) = [f for f in report.findings if f.rule == "signature-mismatch"]
    assert f.severity is Severity.WARNING and "not verified" in f.message
    assert "example.org/other/rt.Type" in f.message
