"""What ``cmd/link`` of one Go version says to a linkname pull of a standard-library symbol.

A port of ``(*Loader).checkLinkname`` (cmd/link/internal/loader) over the generated facts:

1. 1.21 and 1.22 check nothing.
   The linker checks only references the object file lists by name (non-package references
   with the linkname flag); two kinds of pulls are written as indices and never reach
   ``checkLinkname``, not even its blocked list:

   * ``indexed`` (1.23+): the referencing package's compiler read the target from its
     package's export data *before* the pull, so the symbol already has an index and is
     referenced as (package, index). Certain for a method whose receiver type the local's
     signature names (``func abs(time.Time) uint64`` pulling ``time.Time.abs``): reading the
     type reads its methods. (Also when an *earlier* declaration of the package names the
     type; later ones do not count. The caller decides; only the signature is used here.)
   * ``builtin`` (1.23): a func in the compiler's builtin list (``goobj.BuiltinIdx``, e.g.
     ``runtime.mapaccess1``, ``runtime.asanwrite``) is referenced by builtin index; 1.24's
     ``NumberSyms`` exempts linknamed references (``!rs.IsLinkname()``). The facts carry the
     list where the exemption is missing (``VersionFacts.builtin_ref``).
2. A ``blockedLinknames`` entry admits only the packages it lists (1.24+: also their frozen
   ``crypto/internal/fips140/vX.Y.Z/...`` copies).
3. A reference from the symbol's own package is allowed.
4. 1.23–1.26: a symbol defined in assembly is never checked (measured: also ``<ABIInternal>``
   ones such as ``runtime.mcall``). 1.27 checks the marks of its Go declaration's ABI wrapper,
   except on architectures without register-ABI wrappers.
5. Otherwise the symbol's package must mark it: ``//go:linkname``, or since 1.27
   ``//go:linknamestd``, which admits only standard-library packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.golang.symbols import split_symbol
from bot.stdlib.facts import Symbol, VersionFacts

#: GOARCHes with register-ABI wrappers (``buildcfg.Experiment.RegabiWrappers``).
REGABI_ARCHES = frozenset(("amd64", "arm64", "ppc64", "ppc64le", "riscv64", "loong64"))

Status = Literal[
    "unchecked",
    "indexed",
    "builtin",
    "blocked",
    "listed",
    "own",
    "assembly",
    "marked",
    "std-only",
    "unmarked",
]
REFUSED: frozenset[Status] = frozenset(("blocked", "std-only", "unmarked"))


@dataclass(frozen=True)
class Verdict:
    status: Status
    allowed_packages: tuple[str, ...] = ()  # for blocked and listed

    @property
    def refused(self) -> bool:
        return self.status in REFUSED

    def describe(self, symbol: str) -> str:
        package = split_symbol(symbol)[0]
        return {
            "unchecked": "not checked (the linker checks linkname pulls since 1.23)",
            "indexed": "not checked (the local's signature names the receiver type: "
            "a package-indexed reference)",
            "builtin": "not checked (a compiler builtin: a builtin-indexed reference)",
            "blocked": "blocked (blockedLinknames: "
            + (
                "from " + ", ".join(self.allowed_packages) + " only"
                if self.allowed_packages
                else "from no package"
            )
            + ")",
            "listed": "blocked, but this package is listed",
            "own": "the symbol's own package",
            "assembly": "defined in assembly, not checked",
            "marked": f"marked by {package}",
            "std-only": f"marked //go:linknamestd by {package} (standard library only)",
            "unmarked": f"not marked by {package}",
        }[self.status]


def verdict(
    facts: VersionFacts, symbol: Symbol, platform: str, referrer: str, *, indexed: bool = False
) -> Verdict:
    """The linker's answer to ``referrer`` pulling ``symbol`` on ``platform``; ``indexed``: the
    referrer's compiler has read the target from export data before the pull (see above)."""
    minor = facts.minor
    arch = platform.partition("/")[2]
    if minor >= 23:
        if indexed:
            return Verdict("indexed")
        if symbol.kind == "func" and _builtin_ref(facts, symbol.name, arch):
            return Verdict("builtin")
    blocked = facts.blocked_for(symbol.name)
    if blocked is not None:
        if referrer in blocked or (minor >= 24 and _fips_unfrozen(referrer) in blocked):
            return Verdict("listed", blocked)
        return Verdict("blocked", blocked)
    if minor < 23:
        return Verdict("unchecked")
    if symbol.package == referrer:
        return Verdict("own")
    in_asm = platform in symbol.asm_platforms and platform not in symbol.body_platforms
    if in_asm and (minor <= 26 or arch not in REGABI_ARCHES):
        return Verdict("assembly")
    if platform in symbol.marked_platforms:
        return Verdict("marked")
    if platform in symbol.std_only_platforms:
        return Verdict("marked" if facts.is_std(referrer) else "std-only")
    return Verdict("unmarked")


#: ``obj.ABIInternal``: the ABI a Go func reference has.
_ABI_INTERNAL = 1


def _builtin_ref(facts: VersionFacts, name: str, arch: str) -> bool:
    """A Go pull of ``name`` is written as a builtin reference (``goobj.BuiltinIdx``: the ABI
    must match only with register-ABI wrappers). Var pulls define the var: never builtin."""
    abi = facts.builtin_ref(name)
    return abi is not None and (abi == _ABI_INTERNAL or arch not in REGABI_ARCHES)


def _fips_unfrozen(package: str) -> str:
    if not package.startswith("crypto/internal/fips140/v"):
        return package
    parts = package.split("/")
    return "/".join(parts[:3] + parts[4:])
