"""A synthetic change of 3 000 Go files (300 with linknames), scoped and analysed.

Prints the time and the peak RSS of one run in a fresh process. Goal: ≤ 200 MB peak RSS.

    .venv/bin/python bench/bench_scope.py [--files 3000] [--with-linkname 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthetic(files: int, with_linkname: int) -> tuple[dict[str, str], dict[str, str]]:
    """Base and head contents: every file edited, some gaining a directive."""
    base: dict[str, str] = {"go.mod": "module example.com/big\ngo 1.22\n"}
    head: dict[str, str] = dict(base)
    for i in range(files):
        path = f"pkg{i // 20}/f{i}.go"
        body = "".join(f"func F{i}_{j}(x int) int {{ return x + {j} }}\n\n" for j in range(30))
        base[path] = f"package pkg{i // 20}\n\n{body}"
        extra = ""
        if i < with_linkname:
            extra = (
                f'\nimport _ "unsafe"\n\n//go:linkname nanotime{i} runtime.nanotime\n'
                f"func nanotime{i}() int64\n"
            )
        head[path] = f"package pkg{i // 20}\n{extra}\n{body}// edited\n"
    return base, head


def run_once(files: int, with_linkname: int) -> dict[str, float]:
    from bot.analyse.engine import Workspace
    from bot.analyse.review import ReviewRequest, run_review
    from bot.scope.diff import from_contents
    from bot.scope.scope import file_scope
    from bot.stdlib.loader import load_stdlib

    base, head = synthetic(files, with_linkname)
    t0 = time.perf_counter()
    scopes = {}
    for path, text in head.items():
        if path.endswith(".go"):
            scopes[path] = file_scope(
                from_contents(path, base.get(path), text), text, base.get(path)
            )
    t1 = time.perf_counter()
    ws = Workspace({p: t.encode() for p, t in head.items()})
    del base, head
    review = run_review(ReviewRequest(ws, scopes=scopes, full_tree=False), load_stdlib)
    t2 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "scope_s": t1 - t0,
        "analyse_s": t2 - t1,
        "directives": len(review.report.directives),
        "findings": len(review.report.findings),
        "peak_rss_mb": rss_mb,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--with-linkname", type=int, default=300)
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_once(args.files, args.with_linkname)))
        return 0
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--files",
        str(args.files),
        "--with-linkname",
        str(args.with_linkname),
    ]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    print(f"synthetic change: {args.files} Go files, {args.with_linkname} with a linkname")
    print(f"  scope:   {out['scope_s']:.2f} s")
    print(
        f"  analyse: {out['analyse_s']:.2f} s "
        f"({out['directives']} directives, {out['findings']} findings)"
    )
    print(f"  peak RSS: {out['peak_rss_mb']:.0f} MB (goal ≤ 200 MB)")
    return 0 if out["peak_rss_mb"] <= 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
