"""Link- and type-level rules: what ``cmd/link`` of each Go version does with a directive.

Only targets in the standard library are judged: a symbol the facts know, or one in a package
that is a standard-library package in some version of the window. Directives of
standard-library packages themselves are the facts and are not judged. Each finding names
exactly the (version, platform) configurations it holds in: the directive's configurations
intersected with where the rule applies.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.analyse.directives import Directive
from bot.analyse.emit import findings
from bot.analyse.local_types import FindPackage
from bot.analyse.signature_rules import Accepted, Layouts, Uses, check_signatures
from bot.findings import Finding, Severity
from bot.golang.symbols import split_symbol
from bot.stdlib.facts import StdlibWindow, Symbol, VersionFacts
from bot.stdlib.linker import Verdict, verdict
from bot.stdlib.sanitizers import constraint, required_sanitizer, variant_facts
from bot.stdlib.std_names import CGO_DATA_VARS
from bot.versions import Config, span

_LAST_RESORT = (
    "`-ldflags=-checklinkname=0` turns the check off, but only as a last resort: "
    "it hides every other refused linkname too"
)


def check_links(
    directives: Sequence[Directive],
    stdlib: StdlibWindow,
    accepted: Accepted | None,
    sources: Mapping[str, bytes] | None = None,
    *,
    defined_here: frozenset[str] = frozenset(),
    cgo_possible: Callable[[str], bool] | None = None,
    imports_runtime_cgo: Callable[[str], bool] | None = None,
    layouts: Layouts | None = None,
    find_package: FindPackage | None = None,
    uses: Uses | None = None,
) -> list[Finding]:
    """Findings of the link-level rules for every push and pull into the standard library, and
    ``signature-mismatch`` (``bot.analyse.signature_rules``).

    With the files' ``sources``, a directive in a file only a sanitizer build compiles
    (``//go:build race``) is judged against that build's facts, on the ports supporting it,
    and its findings carry the setting (``settings=("race",)``).
    ``defined_here``: symbols the repository defines itself (a body pushed under a std name,
    e.g. ``runtime.getgp``): a pull of one that the standard library lacks is not undefined
    (measured 1.21-1.27: it links when the defining package is in the program).
    ``cgo_possible(path)``: whether the directive's file can build with cgo (default: yes);
    ``imports_runtime_cgo(path)``: whether its package imports runtime/cgo itself (default: no).
    """
    std_packages = frozenset().union(*(stdlib[v].packages for v in stdlib))
    out: list[Finding] = []
    for d in directives:
        if d.kind not in ("pull", "push") or d.object is None or not d.configs:
            continue
        if (
            split_symbol(d.target)[0] not in std_packages
            and not any(d.target in stdlib[v] for v in stdlib)
            and not any(stdlib[v].blocked_for(d.target) is not None for v in stdlib)
            and not any(stdlib[v].in_any_version(d.target) for v in stdlib)
        ):
            continue
        here = d.target in defined_here
        cgo = cgo_possible is None or cgo_possible(d.path)
        runtime_cgo = imports_runtime_cgo is not None and imports_runtime_cgo(d.path)
        for setting, configs in _by_build(d, stdlib, sources).items():
            window = (
                stdlib
                if not setting
                else {v: f for v in stdlib if (f := variant_facts(stdlib[v], setting))}
            )
            check = _Check(
                replace(d, configs=configs),
                window,
                settings=(setting,) if setting else (),
                defined_here=here,
                cgo_possible=cgo,
                runtime_cgo=runtime_cgo,
            )
            out += check.run()
    out += check_signatures(
        directives,
        stdlib,
        layouts or {},
        accepted,
        find_package or (lambda _: None),
        uses,
    )
    return out


def _by_build(
    d: Directive, stdlib: StdlibWindow, sources: Mapping[str, bytes] | None
) -> dict[str, frozenset[Config]]:
    """The directive's configurations by the build that compiles its file there: "" (plain)
    or a sanitizer. A sanitizer build on a port without it, or without facts, is dropped."""
    data = sources.get(d.path) if sources is not None else None
    x = constraint(data.decode("utf-8", "replace")) if data is not None else None
    if x is None:
        return {"": d.configs}
    groups: dict[str, set[Config]] = defaultdict(set)
    for v, p in d.configs:
        setting = required_sanitizer(x, v, p) or ""
        if setting and v in stdlib:
            facts = variant_facts(stdlib[v], setting)
            if facts is None or p not in facts.platforms:
                continue
        groups[setting].add((v, p))
    return {k: frozenset(c) for k, c in groups.items()}


#: The last version whose linker fails a Go body pushed onto an ABI0 assembly func.
ABI_WRAPPER_CYCLE_UNTIL = 26


@dataclass
class _Check:
    d: Directive
    stdlib: StdlibWindow
    defined_here: bool = False  # the repository defines the target itself
    cgo_possible: bool = True  # the directive's file can build with cgo
    runtime_cgo: bool = False  # its package imports runtime/cgo: linked even without cgo
    missing: set[Config] = field(default_factory=set)
    defined: set[Config] = field(default_factory=set)
    defined_with_cgo: set[Config] = field(default_factory=set)
    wrapper_cycle: set[Config] = field(default_factory=set)
    verdicts: dict[Config, Verdict] = field(default_factory=dict)
    settings: tuple[str, ...] = ()

    def run(self) -> list[Finding]:
        d = self.d
        configs = sorted(c for c in d.configs if c[0] in self.stdlib)
        for v, p in configs:
            facts = self.stdlib[v]
            if facts.is_std(d.package):
                continue  # the standard library's own directive: part of the facts
            self._judge(facts, facts.symbol(d.target), (v, p))
        out: list[Finding] = []
        out += self._undefined()
        out += self._duplicate()
        out += self._refused()
        return out

    def _judge(self, facts: VersionFacts, sym: Symbol | None, config: Config) -> None:
        d, p = self.d, config[1]
        if d.kind == "pull":
            found = sym is not None and p in _pullable_on(sym, d.object == "func")
            blocked = facts.blocked_for(d.target)
            if not found and blocked is not None and d.package not in blocked:
                # cmd/link checks blockedLinknames by name, before it looks for a definition
                self.verdicts[config] = Verdict("blocked", blocked)
                return
            if sym is None and self.defined_here:
                return  # a body pushed under this name elsewhere in the repository defines it
            if sym is None or not found:
                self.missing.add(config)
                return
            indexed = sym.kind == "method" and names_receiver(d.signature, d.target)
            self.verdicts[config] = verdict(facts, sym, p, d.package, indexed=indexed)
        else:
            if sym is None:
                return
            # Measured (1.22-1.27): a push onto a Go body, an ABIInternal assembly func or a var
            # with an initial value is a duplicated definition; onto an ABI0 assembly func the
            # ABI wrappers call each other ("nosplit stack over … limit … infinite cycle") up to
            # 1.26, and 1.27 links it; onto a var without an initial value it links.
            # cmd/link's loader (addSym) keeps a var with data over one without (BSS) and
            # refuses two with data: a var whose only data comes from runtime/cgo's push
            # (runtime.iscgo) is defined twice only when runtime/cgo is linked (cgo builds).
            func = d.object == "func"
            cgo_data = d.target in CGO_DATA_VARS.get(config[0], ())
            if not func and p in sym.body_platforms and cgo_data and not self.runtime_cgo:
                if self.cgo_possible:
                    self.defined_with_cgo.add(config)
            elif p in sym.body_platforms or (func and p in sym.asm_internal_platforms):
                self.defined.add(config)
            elif func and p in sym.asm_platforms and config[0] <= ABI_WRAPPER_CYCLE_UNTIL:
                self.wrapper_cycle.add(config)

    # Findings ---------------------------------------------------------------------------

    def _emit(
        self,
        rule: str,
        message: str,
        configs: Iterable[Config],
        severity: Severity | None = None,
    ) -> list[Finding]:
        d = self.d
        return findings(
            rule,
            d.path,
            d.line,
            d.column,
            message,
            configs,
            target=d.target,
            severity=severity,
            settings=self.settings,
        )

    def _exists_in(self) -> list[int]:
        return [v for v in self.stdlib if self.d.target in self.stdlib[v]]

    def _undefined(self) -> list[Finding]:
        if not self.missing:
            return []
        d = self.d
        by_version: dict[int, set[str]] = defaultdict(set)
        for v, p in d.configs:
            by_version[v].add(p)
        nowhere = {
            (v, p) for v, p in self.missing if self.missing >= {(v, q) for q in by_version[v]}
        }
        somewhere = self.missing - nowhere
        out: list[Finding] = []
        elsewhere = [v for v in self._exists_in() if v not in {c[0] for c in nowhere}]
        if nowhere:
            what = self._missing_effect()
            where = f" (it exists in Go {span(elsewhere)})" if elsewhere else ""
            detail = self._asm_only_note(nowhere)
            message = (
                f"`{d.target}` does not exist in Go {span(c[0] for c in nowhere)}{where}: "
                f"{what}{detail}"
            )
            out += self._emit("undefined-target", message, nowhere)
        if somewhere:
            present = sorted({p for v, p in d.configs if (v, p) not in self.missing})
            absent = sorted({p for _, p in somewhere})
            # measured: a call the compiler drops leaves no relocation
            effect = (
                self._missing_effect()
                if d.object == "var"
                else f"a reference that is linked in fails with `relocation target {d.target} "
                "not defined` (a call in a branch the compiler drops, such as one on "
                "`runtime.GOOS`, does not)"
            )
            message = (
                f"`{d.target}` exists only on {', '.join(present)} among the platforms this "
                f"file builds on; on {', '.join(absent)} {effect}. Restrict the file with a "
                "build constraint or file-name suffix"
            )
            out += self._emit("platform-only", message, somewhere)
        return out

    def _missing_effect(self) -> str:
        if self.d.object == "var":
            return (
                "a var pull still links and silently reads zero, which is worse than a "
                "build failure"
            )
        return f"the link fails with `relocation target {self.d.target} not defined`"

    def _asm_only_note(self, configs: set[Config]) -> str:
        for v, p in configs:
            sym = self.stdlib[v].symbol(self.d.target)
            if sym is not None and p in sym.asm_platforms:
                return (
                    "; it is defined only in assembly (ABI0), without a Go declaration that "
                    "would give it the ABIInternal entry a Go pull references"
                )
            if sym is not None and sym.generic:
                return "; it is generic, and only its instantiations are symbols"
        return ""

    def _duplicate(self) -> list[Finding]:
        out = self._wrapper_cycle() + self._defined_by_cgo()
        if not self.defined:
            return out
        d = self.d
        package = split_symbol(d.target)[0]
        message = (
            f"the standard library already defines `{d.target}` in Go "
            f"{span(c[0] for c in self.defined)}: the link fails with `duplicated definition "
            f"of symbol {d.target}, from {package} and {d.package}`. Pull it (a declaration "
            "without a body) instead of pushing a definition"
        )
        return out + self._emit("duplicate-definition", message, self.defined)

    def _defined_by_cgo(self) -> list[Finding]:
        if not self.defined_with_cgo:
            return []
        d = self.d
        message = (
            f"only runtime/cgo gives `{d.target}` an initial value: a plain build links this "
            "initialised push (the linker keeps data over a zero value), but a cgo build that "
            'links runtime/cgo (any package with `import "C"`, or net and os/user with cgo) '
            f"fails with `duplicated definition of symbol {d.target}, from runtime/cgo and "
            f"{d.package}` in Go {span(c[0] for c in self.defined_with_cgo)}. Restrict the "
            "file with `//go:build !cgo`"
        )
        return findings(
            "duplicate-definition",
            d.path,
            d.line,
            d.column,
            message,
            self.defined_with_cgo,
            target=d.target,
            settings=("cgo",),
        )

    def _wrapper_cycle(self) -> list[Finding]:
        if not self.wrapper_cycle:
            return []
        d = self.d
        message = (
            f"the standard library defines `{d.target}` in assembly (ABI0): with a Go body "
            "pushed onto it the two ABI wrappers call each other and the link fails in Go "
            f"{span(c[0] for c in self.wrapper_cycle)} (`{d.target}: nosplit stack over … "
            "limit … infinite cycle`). Pull it (a declaration without a body) instead"
        )
        return self._emit("duplicate-definition", message, self.wrapper_cycle)

    def _refused(self) -> list[Finding]:
        refused = {c for c, v in self.verdicts.items() if v.refused}
        if not refused:
            return []
        d = self.d
        refused_versions = sorted({v for v, _ in refused})
        allowed = sorted({v for v, _ in self.verdicts} - set(refused_versions))
        allows = f" Go {span(allowed)} links it: {self._history(allowed)}." if allowed else ""
        message = (
            f"the linker refuses this pull in Go {span(refused_versions)} (`link: {d.package}: "
            f"invalid reference to {d.target}`): {self._history(refused_versions)}.{allows} "
            f"Use a supported API or ask the package owner to mark it; {_LAST_RESORT}"
        )
        return self._emit("invalid-reference", message, refused)

    def _history(self, versions: list[int]) -> str:
        """Why the linker answers as it does in ``versions``, each version range said once:
        ``not marked by runtime``, or ``1.23–1.26: marked by runtime; 1.27: not marked``."""
        per_version: dict[int, str] = {}
        for v in versions:
            said = {p: x.describe(self.d.target) for (w, p), x in self.verdicts.items() if w == v}
            texts = sorted(set(said.values()))
            if len(texts) == 1:
                per_version[v] = texts[0]
            else:
                per_version[v] = " and ".join(
                    f"{t} on {', '.join(sorted(p for p, s in said.items() if s == t))}"
                    for t in texts
                )
        runs: list[tuple[list[int], str]] = []
        for v, text in per_version.items():
            if runs and runs[-1][1] == text and runs[-1][0][-1] + 1 == v:
                runs[-1][0].append(v)
            else:
                runs.append(([v], text))
        if len(runs) == 1 and runs[0][0] == versions:
            return runs[0][1]
        return "; ".join(f"{span(vs)}: {text}" for vs, text in runs)


def names_receiver(signature: str | None, method: str) -> bool:
    """The local's canonical signature names the receiver type of ``method``
    (``time.Time.abs``, ``time.(*Time).abs``), e.g. ``func(time.Time) uint64``: compiling it
    reads the type, with its methods and their object indices, from the package's export data,
    so the pull becomes an indexed reference the linker does not check (measured 1.23-1.27)."""
    if not signature:
        return False
    package, rest = split_symbol(method)
    receiver = rest.rpartition(".")[0].strip("()*")
    if not package or not receiver:
        return False
    type_name = re.escape(f"{package}.{receiver}")
    return re.search(rf"(?<![\w./]){type_name}(?![\w])", signature) is not None


def _pullable_on(sym: Symbol, func: bool) -> frozenset[str]:
    """Where a pull finds it. A generic func is no symbol (only its instantiations are).

    Measured (tests/test_oracle_link.py): a func pull needs a func with a Go declaration and a
    definition, a Go body or assembly; a declaration alone (a compiler builtin such as
    ``runtime.getcallerpc``, or ``runtime.duffzero`` on amd64 since 1.26) is undefined, and so is
    a func pull of a var. Method pulls are checked like funcs (``invalid reference`` on 1.23+)
    unless the local's signature names the receiver type (``names_receiver``).
    """
    if sym.generic:
        return frozenset()
    if not func:
        return sym.platforms
    if sym.kind == "var":
        return frozenset()
    return sym.go_platforms & (sym.body_platforms | sym.asm_platforms)
