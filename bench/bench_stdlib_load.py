"""Load the standard-library facts of the window 1.21–1.27 cold, with a lookup in each version.

``python bench/bench_stdlib_load.py [--repeat 7]`` prints, for repeated cold loads (the process
cache of decoded facts cleared before each), the minimum and median of

* ``load_window(1.21-1.27)`` + one ``symbol()`` lookup per version (what a review does first),
* the same plus the race variant of each version (a review of race-only files),

and the registry's size on disk. Goals: under 150 ms for the window; the registry under 10 MB.
The facts cover every port: there is no smaller load for the four default platforms.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.stdlib import facts
from bot.stdlib.facts import load_window, registry_dir
from bot.versions import KNOWN_VERSIONS


def once(race: bool) -> float:
    facts._DECODED.clear()
    start = time.perf_counter()
    window = load_window(KNOWN_VERSIONS)
    for minor in window:
        v = window[minor]
        assert v.symbol("runtime.nanotime") is not None
        if race:
            assert v.variant("race").symbol("runtime.racefuncenter") is not None
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    size = sum(p.stat().st_size for p in registry_dir().iterdir())
    print(f"registry/stdlib: {size / 2**20:.2f} MB ({size} bytes)")
    for race in (False, True):
        times = [once(race) for _ in range(args.repeat)]
        label = "window + race variants" if race else "window"
        print(
            f"{label} 1.21-1.27: min {min(times):.0f} ms, median {statistics.median(times):.0f} ms"
            f" over {args.repeat} cold loads"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
