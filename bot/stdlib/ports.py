"""The ports of one Go version, read from its GOROOT sources (``internal/platform``).

``go tool dist list`` prints the ports of ``internal/platform/zosarch.go``'s ``distInfo`` that
are not ``Broken``; ``-json`` adds ``CgoSupported`` and ``FirstClass``. The sanitizer builds a
port supports come from ``RaceDetectorSupported``, ``MSanSupported`` and ``ASanSupported`` in
``internal/platform/supported.go`` (a ``switch goos`` whose cases return ``goarch == "x" || …``).
A port is *cgo only* where ``MustLinkExternal(goos, goarch, false)`` holds: even a build without
cgo must link externally, with a C toolchain (android except arm64, ios/arm64; identical in
1.21–1.27, checked by the tests).
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.golang.ports import SANITIZERS, Port

__all__ = ["SANITIZERS", "Port", "must_link_externally", "read_ports"]

_SUPPORTED_FUNC = {
    "race": "RaceDetectorSupported",
    "msan": "MSanSupported",
    "asan": "ASanSupported",
}

_DIST_ENTRY = re.compile(r'^\s*\{"(\w+)",\s*"(\w+)"\}:\s*\{([^}]*)\},', re.M)
_CASE = re.compile(r"^\tcase ([^:]+):\n\t\treturn ([^\n]+)$", re.M)


def must_link_externally(goos: str, goarch: str) -> bool:
    """``platform.MustLinkExternal(goos, goarch, false)``."""
    return (goos == "android" and goarch != "arm64") or (goos == "ios" and goarch == "arm64")


def _supported(text: str, func: str) -> dict[str, tuple[str, ...] | bool]:
    """goos → the goarches a ``switch goos`` function admits (True: every goarch)."""
    m = re.search(rf"\nfunc {func}\(goos, goarch string\) bool \{{\n(.*?)\n\}}", text, re.S)
    if m is None:
        raise ValueError(f"internal/platform: {func} not found")
    out: dict[str, tuple[str, ...] | bool] = {}
    for cases, result in _CASE.findall(m[1]):
        arches: tuple[str, ...] | bool = (
            True if result.strip() == "true" else tuple(re.findall(r'goarch == "(\w+)"', result))
        )
        for goos in re.findall(r'"(\w+)"', cases):
            out[goos] = arches
    return out


def read_ports(goroot: Path) -> tuple[Port, ...]:
    """Every port ``go tool dist list`` prints for this GOROOT, sorted by name."""
    platform = goroot / "src" / "internal" / "platform"
    dist = (platform / "zosarch.go").read_text()
    body = re.search(r"\nvar distInfo = map\[OSArch\]osArchInfo\{\n(.*?)\n\}", dist, re.S)
    if body is None:
        raise ValueError(f"{platform / 'zosarch.go'}: distInfo not found")
    supported_go = (platform / "supported.go").read_text()
    support = {s: _supported(supported_go, f) for s, f in _SUPPORTED_FUNC.items()}
    ports = []
    for goos, goarch, info in _DIST_ENTRY.findall(body[1]):
        if "Broken: true" in info:
            continue

        def ok(setting: str, goos: str = goos, goarch: str = goarch) -> bool:
            arches = support[setting].get(goos, ())
            return arches is True or (isinstance(arches, tuple) and goarch in arches)

        ports.append(
            Port(
                f"{goos}/{goarch}",
                cgo="CgoSupported: true" in info,
                first_class="FirstClass: true" in info,
                cgo_only=must_link_externally(goos, goarch),
                race=ok("race"),
                msan=ok("msan"),
                asan=ok("asan"),
            )
        )
    return tuple(sorted(ports, key=lambda p: p.name))
