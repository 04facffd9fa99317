"""Link-level differential cases, generated from the committed standard-library facts.

Every case is a dependency-free ``package main`` module with one ``//go:linkname`` directive in
``lnk.go``; ``main.go`` holds ``var sinks []any`` and ``lnk.go`` appends the local to it in an
``init`` func, so the linker sees a reference to the target (a pull) or a definition of it (a
push) whatever the build keeps. The targets are *sampled* from ``registry/stdlib`` with a fixed
seed, by what the facts say about them; the expected outcome is never written down here: the
test asks the real ``go build`` and the analyzer and compares the two.

Categories (``Case.category``): ``marked``, ``unmarked``, ``mark-changed`` (marked in one
version, not in another), ``std-only`` (``//go:linknamestd``), ``blocked`` (``blockedLinknames``;
the referencing package is ``main``, which no entry lists: a module cannot be an allowed
package such as ``iter``, whose import path belongs to the standard library), ``asm`` (defined
in assembly), ``removed`` (in an older version, not a newer one), ``added``, ``renamed`` (one
name removed and one with the same signature added in the same package and version, e.g.
``runtime.fastrand`` → ``runtime.cheaprand``), ``var-pull`` (no initial value), ``var-push``
(initial value: a definition), ``push`` (a func with a body onto an existing std func, Go or
assembly), ``method``, ``tagged`` (a pull in a file with ``//go:build go1.A && !go1.B``),
``nonexistent``, ``method-marked`` (a method its package marks with a bodiless declaration under
another name, as reflect/badlinkname.go does), ``moved`` (a runtime-internal package path that
exists in some versions only, e.g. ``Syscall6``), ``blocked-internal`` (blocked entries of
``internal/sync``, ``crypto/internal/sysrand``, ``internal/weak``) and ``race`` (a
``//go:build race`` file pulling the race runtime, built with ``-race``: ``Case.flags``).

Targets are limited to packages every binary links (``runtime``) or that the case can import
on every toolchain of the matrix (1.21–1.27): a pull of a symbol of a package missing from the
binary is undefined whatever the facts say, and the analyzer cannot know what a build imports
transitively. The local's signature is the facts' signature for the newest version that has the
symbol, written with the case's imports; where it names a type the case cannot spell
(unexported, from an internal package, or a symbol some version lacks) the local is ``func()``
/ ``uintptr``. The toolchain
never compares signatures, so the test leaves ``signature-mismatch`` out of the comparison.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.stdlib.facts import StdlibWindow, Symbol, load_window

PLATFORM = "linux/amd64"
MATRIX = tuple(range(21, 28))
SEED = 20240923
GOMOD = "module example.com/m\n\ngo 1.21\n"
MAIN = "package main\n\nvar sinks []any\n\nfunc main() { println(len(sinks)) }\n"

_QUALIFIED = re.compile(r"((?:[a-z0-9_]+/)*[a-z0-9_]+)\.([A-Za-z_]\w*)")
_BASIC_VALUE = {
    **dict.fromkeys(
        (
            "int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
            "float32 float64 byte rune"
        ).split(),
        "1",
    ),
    "bool": "true",
    "string": '"x"',
}


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    target: str
    files: dict[str, str]
    flags: tuple[str, ...] = ()  #: go build flags, e.g. ``-race`` for a race-only file

    def module(self) -> dict[str, str]:
        return {"go.mod": GOMOD, "main.go": MAIN, **self.files}


class _Facts:
    """The questions the sampler asks of the window, on ``PLATFORM``."""

    def __init__(self, window: StdlibWindow, versions: Sequence[int]) -> None:
        self.w = window
        self.versions = tuple(versions)
        self.newest = self.w[max(self.versions)]

    def sym(self, v: int, name: str) -> Symbol | None:
        s = self.w[v].symbol(name)
        return s if s is not None and PLATFORM in s.platforms else None

    @cached_property
    def importable(self) -> frozenset[str]:
        """Packages with code on PLATFORM in every version, that a module may import."""
        per_version = []
        for v in self.versions:
            facts = self.w[v]
            pkgs = set()
            for name in facts.names():
                s = facts.symbol(name)
                if s is not None and PLATFORM in s.platforms:
                    pkgs.add(s.package)
            per_version.append(pkgs)
        common = set.intersection(*per_version)
        return frozenset(
            p
            for p in common
            if "internal" not in p.split("/")
            and not p.startswith(("vendor/", "cmd/"))
            and p not in ("runtime/cgo", "unsafe")
        )

    def linkable(self, name: str) -> bool:
        pkg = self.w[max(self.versions)].symbol(name)
        package = pkg.package if pkg is not None else name.rpartition(".")[0]
        return package == "runtime" or package in self.importable

    def names(self, v: int) -> list[str]:
        return sorted(n for n in self.w[v].names() if self.sym(v, n) is not None)

    def newest_with(self, name: str) -> tuple[int, Symbol] | None:
        for v in sorted(self.versions, reverse=True):
            s = self.sym(v, name)
            if s is not None:
                return v, s
        return None


def _pick(rng: random.Random, pool: Iterable[str], n: int, taken: set[str]) -> list[str]:
    candidates = sorted(set(pool) - taken)
    chosen = rng.sample(candidates, min(n, len(candidates)))
    taken.update(chosen)
    return chosen


class _Writer:
    """Go source for one directive, with the imports its signature needs."""

    def __init__(self, facts: _Facts) -> None:
        self.facts = facts

    def spell(self, sig: str | None) -> tuple[str | None, set[str]]:
        """The signature with package paths replaced by import names, and the imports."""
        if sig is None:
            return None, set()
        imports: set[str] = set()
        ok = True

        def sub(m: re.Match[str]) -> str:
            nonlocal ok
            pkg, name = m[1], m[2]
            if pkg == "unsafe" and name == "Pointer":
                imports.add("unsafe")
                return "unsafe.Pointer"
            if not name[0].isupper() or pkg not in self.facts.importable:
                ok = False
                return m[0]
            imports.add(pkg)
            return f"{_alias(pkg)}.{name}"

        text = _QUALIFIED.sub(sub, sig)
        return (text, imports) if ok else (None, set())

    def case(
        self,
        id: str,
        category: str,
        target: str,
        *,
        object: str = "func",
        body: bool = False,
        value: bool = False,
        tag: str | None = None,
        flags: tuple[str, ...] = (),
    ) -> Case:
        found = self.facts.newest_with(target)
        # Types are spelled only for symbols every toolchain of the matrix has: a type that a
        # symbol added later mentions may not exist in an older version (a compile error).
        everywhere = all(self.facts.sym(v, target) is not None for v in self.facts.versions)
        sig, imports = self.spell(found[1].signature(PLATFORM) if found and everywhere else None)
        package = target.rpartition(".")[0].split(".(")[0]
        if found is not None:
            package = found[1].package
        if package != "runtime" and package in self.facts.importable:
            imports.add(package)
        local = "lnk"
        if object == "var":
            typ = sig if sig is not None and not sig.startswith("func(") else "uintptr"
            if value:
                init = _BASIC_VALUE.get(typ)
                if init is None:
                    typ, init = "uintptr", "1"
                decl = f"var {local} {typ} = {init}"
            else:
                decl = f"var {local} {typ}"
            use = f"&{local}"
        else:
            fsig = sig if sig is not None and sig.startswith("func(") else "func()"
            params_result = fsig[len("func") :]
            decl = f"func {local}{params_result}"
            if body:
                decl += " { panic(0) }" if _has_result(params_result) else " {}"
            use = local
        lines = []
        if tag:
            lines += [f"//go:build {tag}", ""]
        lines += ["package main", "", "import ("]
        named = {"unsafe"} & imports
        if not named:
            lines.append('\t_ "unsafe"')
        for imp in sorted(imports):
            alias = _alias(imp)
            used = imp in named or (sig is not None and f"{alias}." in sig)
            if imp == "unsafe":
                lines.append('\t"unsafe"')
            elif used:
                lines.append(f'\t{alias} "{imp}"')
            else:
                lines.append(f'\t_ "{imp}"')
        lines += [")", "", f"//go:linkname {local} {target}", decl, ""]
        lines += [f"func init() {{ sinks = append(sinks, {use}) }}", ""]
        return Case(id, category, target, {"lnk.go": "\n".join(lines)}, flags)


def _alias(pkg: str) -> str:
    return "p_" + re.sub(r"\W", "_", pkg)


def _has_result(params_result: str) -> bool:
    depth = 0
    for i, ch in enumerate(params_result):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0:
            return bool(params_result[i + 1 :].strip())
    return False


def generate(
    seed: int = SEED, versions: Sequence[int] = MATRIX, window: StdlibWindow | None = None
) -> list[Case]:
    """The cases, sampled deterministically from the facts of ``versions``."""
    w = window if window is not None else load_window(versions)
    facts = _Facts(w, versions)
    rng = random.Random(seed)
    writer = _Writer(facts)
    taken: set[str] = set()
    newest = max(versions)
    all_names = sorted({n for v in versions for n in facts.names(v)})
    cases: list[Case] = []

    def pool(
        v: int, test: Callable[[Symbol], bool], among: Iterable[str] | None = None
    ) -> list[str]:
        out = []
        for n in among if among is not None else facts.names(v):
            s = facts.sym(v, n)
            if s is not None and not s.generic and facts.linkable(n) and test(s):
                out.append(n)
        return out

    def add(category: str, targets: Iterable[str], **kw: object) -> None:
        for t in targets:
            cases.append(writer.case(f"{category}-{len(cases):03d}", category, t, **kw))  # type: ignore[arg-type]

    def runtime_half(candidates: list[str], n: int) -> list[str]:
        rt = [c for c in candidates if c.startswith("runtime.")]
        other = [c for c in candidates if not c.startswith("runtime.")]
        first = _pick(rng, rt, n - n // 2, taken)
        return first + _pick(rng, other, n - len(first), taken)

    def go_func(s: Symbol) -> bool:
        return s.kind == "func" and PLATFORM in s.go_platforms and s.blocked_for is None

    add(
        "marked",
        runtime_half(pool(newest, lambda s: go_func(s) and PLATFORM in s.marked_platforms), 14),
    )
    add(
        "unmarked",
        runtime_half(
            pool(
                newest,
                lambda s: (
                    go_func(s)
                    and PLATFORM in s.body_platforms
                    and not s.marked
                    and not s.std_only_platforms
                ),
            ),
            14,
        ),
    )
    in_23 = set(pool(23, lambda s: go_func(s) and PLATFORM in s.marked_platforms))
    changed = pool(
        newest, lambda s: go_func(s) and PLATFORM not in s.marked_platforms, sorted(in_23)
    )
    add("mark-changed", _pick(rng, changed, 6, taken))
    add("std-only", _pick(rng, pool(newest, lambda s: PLATFORM in s.std_only_platforms), 4, taken))
    blocked = sorted(
        {n for v in versions if w[v].blocked for n in w[v].blocked or {} if facts.linkable(n)}
    )
    blocked = [n for n in blocked if (f := facts.newest_with(n)) and f[1].kind == "func"]
    add("blocked", _pick(rng, blocked, 8, taken))
    asm_version = max(v for v in versions if v <= 26) if min(versions) <= 26 else newest
    asm = pool(
        asm_version,
        lambda s: s.kind == "func" and s.platforms - s.body_platforms >= {PLATFORM},
    )
    with_go = [n for n in asm if PLATFORM in (facts.sym(asm_version, n) or _NONE).go_platforms]
    add("asm", _pick(rng, with_go, 6, taken) + _pick(rng, asm, 4, taken))
    removed_f: list[str] = []
    removed_v: list[str] = []
    added: list[str] = []
    for n in all_names:
        present = [v for v in versions if facts.sym(v, n) is not None]
        if not facts.linkable(n) or not present:
            continue
        s = facts.sym(present[-1], n)
        assert s is not None
        if s.generic or s.kind == "method" or s.blocked_for is not None:
            continue
        if present[-1] < newest and (s.kind == "var" or PLATFORM in s.go_platforms):
            (removed_v if s.kind == "var" else removed_f).append(n)
        elif present[0] > min(versions) and s.kind == "func" and PLATFORM in s.go_platforms:
            added.append(n)
    add("removed", _pick(rng, removed_f, 8, taken))
    add("added", _pick(rng, added, 6, taken))
    renamed = []
    for old in removed_f:
        last = max(v for v in versions if facts.sym(v, old) is not None)
        s_old = facts.sym(last, old)
        assert s_old is not None
        for new in added:
            s_new = facts.sym(last + 1, new)
            if (
                s_new is not None
                and s_new.package == s_old.package
                and facts.sym(last, new) is None
                and s_new.signature(PLATFORM) == s_old.signature(PLATFORM)
            ):
                renamed.append((old, new))
    # fastrand → cheaprand is a rename in spirit: cheaprand arrived while fastrand stayed
    for old, new in (("runtime.fastrand", "runtime.cheaprand"),):
        if old in all_names and new in all_names:
            renamed.append((old, new))
    for old, new in rng.sample(sorted(set(renamed)), min(3, len(set(renamed)))):
        add("renamed", [x for x in (old, new) if x not in taken])
        taken.update((old, new))
    var = pool(newest, lambda s: s.kind == "var" and s.blocked_for is None)
    add("var-pull", runtime_half(var, 6) + _pick(rng, removed_v, 3, taken), object="var")
    add("var-push", runtime_half(var, 4), object="var", value=True)
    body = pool(newest, lambda s: go_func(s) and PLATFORM in s.body_platforms)
    add("push", runtime_half(body, 6), body=True)
    add("push", _pick(rng, asm, 3, taken), body=True)
    methods = pool(newest, lambda s: s.kind == "method" and PLATFORM in s.go_platforms)
    add("method", runtime_half(methods, 8))
    tagged_pool = sorted(
        set(in_23)
        | set(changed)
        | set(removed_f)
        | set(added)
        | set(blocked[:])
        | set(pool(newest, lambda s: go_func(s) and not s.marked))
    )
    for target in _pick(rng, tagged_pool, 10, taken):
        lo = rng.randint(min(versions), newest)
        hi = rng.randint(lo + 1, newest + 1)
        tag = f"go1.{lo} && !go1.{hi}" if hi <= newest else f"go1.{lo}"
        cases.append(writer.case(f"tagged-{len(cases):03d}", "tagged", target, tag=tag))
    cases.append(
        writer.case(f"nonexistent-{len(cases):03d}", "nonexistent", "runtime.lnkOracleNone")
    )
    # Marks of every shape, moved packages and blocked entries of internal packages (issue 9).
    marked_methods = pool(newest, lambda s: s.kind == "method" and PLATFORM in s.marked_platforms)
    add("method-marked", _pick(rng, marked_methods, 6, taken))
    add("moved", _moved(facts, rng, taken))
    internal_blocked = sorted(
        n
        for v in versions
        for n in w[v].blocked or {}
        if n.startswith(_BLOCKED_INTERNAL) and (f := facts.newest_with(n)) and f[1].kind == "func"
    )
    add("blocked-internal", _pick(rng, internal_blocked, 6, taken))
    # Configuration-gated files: a //go:build race file pulling what only the race build has,
    # built with -race (the race runtime's entry points are assembly: 1.27 checks them).
    raced = [n for n in _race_only(facts) if n not in taken]
    add("race", _pick(rng, raced, 4, taken), tag="race", flags=("-race",))
    cases.append(
        writer.case(
            f"nonexistent-{len(cases):03d}", "nonexistent", "runtime.lnkOracleNoneV", object="var"
        )
    )
    return cases


#: Packages whose blocked entries the sampler also takes, though no module can import them.
_BLOCKED_INTERNAL = ("internal/sync.", "crypto/internal/sysrand.", "internal/weak.")
#: Runtime-internal package trees every binary links, whose paths moved between versions.
_RUNTIME_INTERNAL = ("runtime/internal/", "internal/runtime/")


def _moved(facts: _Facts, rng: random.Random, taken: set[str]) -> list[str]:
    """Funcs of runtime-internal packages whose path exists in some versions only (e.g.
    ``Syscall6``: runtime/internal/syscall ≤ 1.22, internal/runtime/syscall 1.23–1.25,
    internal/runtime/syscall/linux 1.26+), always including every ``Syscall6``."""
    pool = []
    for n in sorted({n for v in facts.versions for n in facts.names(v)}):
        package = n.rpartition(".")[0]
        if not package.startswith(_RUNTIME_INTERNAL) or package.split("/").count("internal") > 1:
            continue  # internal/runtime/gc/internal/gen: a generator's library, never linked
        present = [v for v in facts.versions if facts.w[v].is_std(package)]
        if len(present) == len(facts.versions):
            continue
        found = facts.newest_with(n)
        if found and found[1].kind == "func" and not found[1].generic:
            pool.append(n)
    syscall6 = [n for n in pool if n.endswith(".Syscall6")]
    taken.update(syscall6)
    return syscall6 + _pick(rng, pool, 6, taken)


def _race_only(facts: _Facts) -> list[str]:
    """Runtime funcs a Go pull finds on PLATFORM in every version's race build, not in the
    plain build."""
    out = []
    for n in _race_names(facts):
        ok = True
        for v in facts.versions:
            race = facts.w[v].variant("race").symbol(n)
            plain = facts.sym(v, n)
            if race is None or PLATFORM not in race.go_platforms or plain is not None:
                ok = False
                break
        if ok:
            out.append(n)
    return out


def _race_names(facts: _Facts) -> list[str]:
    newest = facts.w[max(facts.versions)].variant("race")
    return sorted(n for n in newest.names() if n.startswith("runtime.race"))


class _NoSymbol:
    go_platforms: frozenset[str] = frozenset()


_NONE = _NoSymbol()

if __name__ == "__main__":
    import sys

    all_cases = generate()
    counts: dict[str, int] = {}
    for c in all_cases:
        counts[c.category] = counts.get(c.category, 0) + 1
        if "-v" in sys.argv:
            print(f"--- {c.id} {c.target}\n{c.files['lnk.go']}")
    print(len(all_cases), counts)
