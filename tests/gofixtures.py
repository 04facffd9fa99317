"""Small Go workspaces for tests."""

from __future__ import annotations

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
