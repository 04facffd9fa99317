"""Whole-process ``linkname-bot check DIR`` against the parse floor, side by side (issue 15).

The floor is the least any tree-sitter analyzer of directives pays, as a process of its own
(``python bench/bench_floor.py --floor DIR``): walk DIR (skipping what ``check`` skips:
``vendor/``, ``testdata/``, hidden and ``_`` directories), read every ``.go`` file, keep those
whose bytes mention ``go:linkname`` and parse them with tree-sitter-go. The bench runs the
floor and the venv's ``linkname-bot check DIR`` interleaved, ``--repeat`` times each, and
prints the median wall and CPU time, the ratio and each process's peak RSS (``os.wait4``,
children included) for

* a one-package module with two directives, generated in a temporary directory;
* all of GOROOT 1.23 ``src`` (``--goroot``; default ``.cache/goroots/1.23.*/go/src``), where
  ``check`` judges packages in as many processes as there are CPUs (its default), and
  ``check --jobs 1`` is shown beside it.

    .venv/bin/python bench/bench_floor.py [--repeat 7] [--goroot DIR]

Goals: the small module within 3x of the floor and under 150 ms whole-process; GOROOT within
1.3x of the floor; peak RSS on GOROOT at most 100 MB. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = ("vendor", "testdata")
# Both processes run as an installed CLI does: with byte-code caches (the warm-up run writes
# them), whatever PYTHONDONTWRITEBYTECODE this shell has.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def floor(top: str) -> tuple[int, int]:
    """Read every .go file under ``top``, parse those that mention go:linkname.

    Returns (files read, files parsed)."""
    import tree_sitter
    import tree_sitter_go

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))
    read = parsed = 0
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith((".", "_"))]
        for name in files:
            if not name.endswith(".go"):
                continue
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            read += 1
            if b"go:linkname" in data:
                parser.parse(data)
                parsed += 1
    return read, parsed


SMALL_MOD = "module example.com/small\n\ngo 1.23\n"
SMALL_GO = """package clock

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname fastrand runtime.fastrand
func fastrand() uint32

// Now is the monotonic clock in nanoseconds.
func Now() int64 { return nanotime() }

// Rand is a fast random number.
func Rand() uint32 { return fastrand() }
"""


def small_module(parent: Path) -> Path:
    """A one-package module with two pull directives."""
    top = parent / "small"
    (top / "clock").mkdir(parents=True)
    (top / "go.mod").write_text(SMALL_MOD)
    (top / "clock" / "clock.go").write_text(SMALL_GO)
    return top


def goroot_src(given: str | None) -> Path | None:
    if given:
        return Path(given)
    found = sorted((ROOT / ".cache" / "goroots").glob("1.23.*/go/src"))
    return found[-1] if found else None


def run(cmd: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """Run ``cmd``; returns (wall seconds, CPU seconds, peak RSS in MB, exit status).

    CPU and peak RSS include the process's children (``check --jobs``'s forked workers): the
    kernel folds a waited-for child's usage into its parent's."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return wall, usage.ru_utime + usage.ru_stime, rss_mb, proc.returncode


def compare(label: str, top: Path, repeat: int, *, one_job: bool = False) -> dict[str, float]:
    """Interleaved runs of the floor and of ``check`` (and, with ``one_job``, of
    ``check --jobs 1``); medians of wall and CPU time, and peak RSS."""
    bot = Path(sys.executable).parent / "linkname-bot"
    commands = {
        "floor": [sys.executable, str(Path(__file__).resolve()), "--floor", str(top)],
        "check": [str(bot), "check", str(top)],
    }
    if one_job:
        commands["check -j1"] = [str(bot), "check", "--jobs", "1", str(top)]
    for cmd in commands.values():  # warm the page cache and the byte-code caches
        run(cmd, top)
    walls: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, float] = dict.fromkeys(commands, 0.0)
    for i in range(repeat):
        order = list(commands) if i % 2 == 0 else list(reversed(commands))
        for name in order:
            wall, cpu, peak, _ = run(commands[name], top)
            walls[name].append(wall)
            cpus[name].append(cpu)
            rss[name] = max(rss[name], peak)
    fl = statistics.median(walls["floor"])
    print(f"{label}: {top}")
    for name in commands:
        med = statistics.median(walls[name])
        spread = f"{min(walls[name]):.3f}-{max(walls[name]):.3f}"
        cpu = statistics.median(cpus[name])
        print(
            f"  {name:9} median {med:7.3f} s  (runs {spread} s)  CPU {cpu:6.3f} s"
            f"  peak RSS {rss[name]:6.1f} MB  ratio {med / fl:5.2f}x"
        )
    ch = statistics.median(walls["check"])
    return {"floor": fl, "check": ch, "ratio": ch / fl, "rss": rss["check"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--floor", metavar="DIR", help="run only the floor on DIR (the child process)")
    ap.add_argument("--repeat", type=int, default=7, help="interleaved runs of each (median)")
    ap.add_argument("--goroot", help="GOROOT src directory (default: .cache/goroots/1.23.*)")
    args = ap.parse_args(argv)
    if args.floor:
        floor(args.floor)
        return 0
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        small = compare("one-package module", small_module(Path(tmp)), args.repeat)
    if small["ratio"] > 3.0:
        missed.append(f"small module: {small['ratio']:.2f}x the floor (goal <= 3x)")
    if small["check"] >= 0.150:
        missed.append(f"small module: {small['check'] * 1000:.0f} ms (goal < 150 ms)")
    src = goroot_src(args.goroot)
    if src is None or not src.is_dir():
        missed.append("GOROOT 1.23 src not found (python -m bot.testing.toolchains fetch 23)")
    else:
        big = compare("GOROOT 1.23 src", src, max(3, args.repeat // 2), one_job=True)
        if big["ratio"] > 1.3:
            missed.append(f"GOROOT: {big['ratio']:.2f}x the floor (goal <= 1.3x)")
        if big["rss"] > 100:
            missed.append(f"GOROOT: peak RSS {big['rss']:.0f} MB (goal <= 100 MB)")
    for line in missed:
        print(f"MISSED {line}")
    if not missed:
        print("all goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
