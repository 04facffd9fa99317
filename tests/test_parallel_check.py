"""``check --jobs``: a large tree's packages judged in forked processes, the same report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.analyse.engine import PackageVerdict
from bot.analyse.package import Package, SourceFile
from bot.cli import _plain_check
from bot.cli.parallel import in_processes

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks only on Linux")

WINDOW = ((23,), ("linux/amd64",))


def packages(count: int) -> list[Package]:
    """``count`` one-file packages, each with a directive; package i has i + 1 lines."""
    out = []
    for i in range(count):
        data = b"package p\n//go:linkname x runtime.x\n" + b"// pad\n" * i
        f = SourceFile(f"p{i}/p.go", data, WINDOW)
        out.append(Package(f"p{i}", "p", f"example.com/p{i}", [f]))
    return out


def pid_judge(package: Package) -> PackageVerdict:
    """A judge that says where it ran: its process id as the verdict's scope."""
    return PackageVerdict([], [], ((os.getpid(), len(package.files[0].data)), ()))


def test_large_trees_are_judged_in_other_processes_in_order() -> None:
    pkgs = packages(12)
    verdicts = in_processes(2, least_marked_files=10)(pkgs, pid_judge)
    assert verdicts is not None
    where = [v.scope[0][0] for v in verdicts if v.scope is not None]
    sizes = [v.scope[0][1] for v in verdicts if v.scope is not None]
    assert os.getpid() not in where
    assert 1 <= len(set(where)) <= 2
    assert sizes == [len(p.files[0].data) for p in pkgs]  # the packages' order, not the pool's


def test_small_trees_and_one_job_stay_in_this_process() -> None:
    for runner, pkgs in (
        (in_processes(2, least_marked_files=10), packages(9)),
        (in_processes(1, least_marked_files=0), packages(12)),
    ):
        verdicts = runner(pkgs, pid_judge)
        assert {v.scope[0][0] for v in verdicts if v.scope is not None} == {os.getpid()}


def module(top: Path, count: int) -> None:
    """A module with ``count`` packages pulling runtime symbols, a few with findings."""
    (top / "go.mod").write_text("module example.com/big\n\ngo 1.22\n")
    for i in range(count):
        d = top / f"p{i:03d}"
        d.mkdir()
        unsafe = "" if i % 17 == 0 else 'import _ "unsafe"\n'  # some miss the import
        target = "runtime.gcount" if i % 5 == 0 else "runtime.nanotime"  # refused since 1.23
        (d / "p.go").write_text(
            f"package p{i}\n\n{unsafe}\n//go:linkname now {target}\nfunc now() int64\n"
        )
        if i % 7 == 0:  # a file that builds on one port only
            (d / "p_windows.go").write_text(
                f'package p{i}\n\nimport _ "unsafe"\n\n//go:linkname w runtime.nanotime1\n'
                "func w() int64\n"
            )


def check(top: Path, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", ".", "--format", "json", *args],
        cwd=top,
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 1), out.stderr
    return out.stdout


def test_check_reports_the_same_with_several_jobs(tmp_path: Path) -> None:
    module(tmp_path, 120)  # past the 100 files with directives that make forking pay
    one = check(tmp_path, "--jobs", "1")
    assert '"rule": "invalid-reference"' in one and '"rule": "missing-unsafe-import"' in one
    assert check(tmp_path, "--jobs", "2") == one
    assert check(tmp_path, "-j", "2") == one  # the typer command


def test_jobs_must_be_a_positive_number(tmp_path: Path) -> None:
    assert _plain_check(["check", "--jobs", "3"]) == (
        None,
        {"jobs": 3, "paths": None, "platform": None},
    )
    assert _plain_check(["check", "--jobs", "0"]) is None  # left to typer, which refuses it
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", ".", "--jobs", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "--jobs" in out.stderr
