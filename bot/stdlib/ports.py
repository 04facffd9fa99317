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
from dataclasses import dataclass
from pathlib import Path

#: Build settings with their own standard-library variant, and the go command's flag for each.
SANITIZERS: tuple[str, ...] = ("race", "msan", "asan")
_SUPPORTED_FUNC = {
    "race": "RaceDetectorSupported",
    "msan": "MSanSupported",
    "asan": "ASanSupported",
}

_DIST_ENTRY = re.compile(r'^\s*\{"(\w+)",\s*"(\w+)"\}:\s*\{([^}]*)\},', re.M)
_CASE = re.compile(r"^\tcase ([^:]+):\n\t\treturn ([^\n]+)$", re.M)


@dataclass(frozen=True)
class Port:
    """One ``GOOS/GOARCH`` of a Go version."""

    name: str
    cgo: bool = False  #: CgoSupported
    first_class: bool = False
    cgo_only: bool = False  #: a plain build must link externally (needs cgo and a C toolchain)
    race: bool = False
    msan: bool = False
    asan: bool = False

    @property
    def goos(self) -> str:
        return self.name.partition("/")[0]

    @property
    def goarch(self) -> str:
        return self.name.partition("/")[2]

    def supports(self, setting: str) -> bool:
        """Whether ``go build -<setting>`` (race, msan, asan) is possible on this port."""
        return bool(getattr(self, setting)) if setting in SANITIZERS else False

    def flags(self) -> str:
        """``cgo first-class race``: the manifest's spelling."""
        names = ("cgo", "first-class", "cgo-only", *SANITIZERS)
        values = (self.cgo, self.first_class, self.cgo_only, self.race, self.msan, self.asan)
        return " ".join(n for n, v in zip(names, values, strict=True) if v)

    @classmethod
    def from_flags(cls, name: str, flags: str) -> Port:
        f = set(flags.split())
        return cls(
            name,
            cgo="cgo" in f,
            first_class="first-class" in f,
            cgo_only="cgo-only" in f,
            race="race" in f,
            msan="msan" in f,
            asan="asan" in f,
        )


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
