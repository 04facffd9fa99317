"""Time to load the whole window's standard-library facts and layouts, side by side.

``python bench/bench_layouts.py [--repeat 5]`` prints the median over fresh loads (the
process-wide caches cleared each time) of

* the symbol facts of every version (``load_window``), decoded;
* the layouts of every version (``load_layouts``), decoded;
* both, and the layouts' share.

The goal: the whole window (facts and layouts) under 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.stdlib import facts, layouts
from bot.versions import KNOWN_VERSIONS


def load_facts() -> float:
    facts._DECODED.clear()
    t = time.perf_counter()
    w = facts.load_window(KNOWN_VERSIONS)
    for v in w:
        w[v]
    return time.perf_counter() - t


def load_layouts() -> float:
    layouts._DECODED.clear()
    t = time.perf_counter()
    w = layouts.load_layouts(KNOWN_VERSIONS)
    for v in w:
        w[v]
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    f_times, l_times = [], []
    for _ in range(args.repeat):
        f_times.append(load_facts())
        l_times.append(load_layouts())
    f, lay = statistics.median(f_times), statistics.median(l_times)
    print(f"facts x{len(KNOWN_VERSIONS)}:   {f * 1000:7.1f} ms")
    print(f"layouts x{len(KNOWN_VERSIONS)}: {lay * 1000:7.1f} ms")
    print(f"both:       {(f + lay) * 1000:7.1f} ms (layouts {lay / (f + lay):.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
