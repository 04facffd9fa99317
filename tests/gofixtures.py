"""Small Go workspaces for tests."""

from __future__ import annotations

import re

from bot.analyse.engine import Workspace


def workspace(files: dict[str, str], go: str = "1.21", module: str = "example.com/m") -> Workspace:
    data = {p: t.encode() for p, t in files.items()}
    data.setdefault("go.mod", f"module {module}\ngo {go}\n".encode())
    return Workspace(data)


PULLS = """package m

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname gcount runtime.gcount
func gcount() int32
"""


def referring(source: str) -> str:
    """``source`` with a function that refers to each local it linknames and nothing else
    mentions: library code uses what it pulls, and a pull that nothing refers to is only a
    warning (nothing can fail to link or call it; ``tests/test_dormant_pulls.py``)."""
    names = [
        n
        for n in re.findall(r"^//go:linkname (\w+)", source, re.M)
        if len(re.findall(rf"(?<![\w.]){n}\b", source)) <= 2  # the directive, the declaration
    ]
    return source + "\nfunc refer() {\n" + "".join(f"\t_ = {n}\n" for n in names) + "}\n"
