"""``signature-mismatch``: does the local declaration pass what the standard library takes?

No toolchain compares a linknamed declaration with its target. What matters at run time is what
the hardware and the garbage collector see, version by version and platform by platform:

1. **Words.** Parameters and results are flattened into the machine words the register ABI
   assigns (``bot.golang.abi``), the local side from the repository's sources
   (``bot.analyse.local_types``), the standard library's from the layouts the real toolchains
   computed (``bot.stdlib.layouts``). Another number, size, class (integer, pointer, float) or
   order of words, or a missing or extra result, is an error; a ``uintptr`` where the standard
   library has a pointer (the GC cannot see it), a wider integer in the same word,
   ``unsafe.Pointer`` standing in for a typed pointer, or extra results that every call
   discards (``bot.analyse.result_uses``) is a warning.
2. **Pointees.** A pointer is one word whatever it points to. Where the targets differ (a
   library's mirror of ``internal/abi.Type``), the local struct's declared fields must be a
   layout prefix of the standard library's: same offsets, sizes and classes; a field that is not
   is an error naming both sides. A struct the standard library keeps for callers that allocate
   it (``runtime.linknameIter``, "Callers of mapiterinit allocate their own iter structure")
   may be larger on the caller's side. A layout that cannot be known (a type from another
   module) is a warning.
3. **Vars.** A var pull views the standard library's memory through the local type: the same
   prefix rule as a pointee.

A registry entry's recorded (``local``, ``remote``) pair silences the rule for the Go versions its
``go`` range covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tree_sitter import Node

from bot.analyse.directives import Directive
from bot.analyse.emit import findings
from bot.analyse.local_types import FindPackage, Resolver, parameters
from bot.findings import Finding, Related, Severity
from bot.golang.abi import GoType, Word, arch_of, block_shape, ordinal, words
from bot.golang.symbols import split_symbol
from bot.stdlib.facts import StdlibWindow, Symbol
from bot.stdlib.layouts import StdSignature, VersionLayouts
from bot.versions import Config, span

#: ``accepted(target, local, remote, version)``: the registry vouches for the pair in that version.
Accepted = Callable[[str, str, str, int], bool]
Layouts = Mapping[int, VersionLayouts]

ERROR, WARNING = Severity.ERROR, Severity.WARNING


class Uses(Protocol):
    """What the code under review does with the values a directive's declaration describes."""

    def reads(self, field: str, owners: frozenset[str], config: Config) -> bool:
        """Whether a file compiled in ``config`` reads ``field`` of one of the structs named
        ``owners`` (``x.field``, where ``x``'s type is unknown, counts)."""
        ...

    def uses_results(self, path: str, local: str, config: Config) -> bool:
        """Whether a file compiled in ``config`` may use the results of the function ``local``
        declared in the file at ``path`` (anything but a call as a statement counts)."""
        ...


class UsesEverything:
    """Without the code at hand: every field is read, every result used."""

    def reads(self, field: str, owners: frozenset[str], config: Config) -> bool:
        return True

    def uses_results(self, path: str, local: str, config: Config) -> bool:
        return True


@dataclass(frozen=True)
class _Ctx:
    contracts: Mapping[str, str]
    reads: Callable[[str, frozenset[str]], bool]  # ``Reads`` for the configuration judged
    word: int  # bytes in a machine word of the port judged


@dataclass(frozen=True)
class Problem:
    severity: Severity
    message: str


def check_signatures(
    directives: Sequence[Directive],
    stdlib: StdlibWindow,
    layouts: Layouts,
    accepted: Accepted | None,
    find_package: FindPackage,
    uses: Uses | None = None,
) -> list[Finding]:
    """``signature-mismatch`` findings for every push and pull into the standard library.
    ``uses``: what the code under review reads (default: everything)."""
    std_packages = frozenset().union(*(stdlib[v].packages for v in stdlib))
    out: list[Finding] = []
    for d in directives:
        if d.kind not in ("pull", "push") or d.object is None or not d.configs:
            continue
        if split_symbol(d.target)[0] not in std_packages and not any(
            d.target in stdlib[v] for v in stdlib
        ):
            continue
        out += _Check(d, stdlib, layouts, accepted, find_package, uses or UsesEverything()).run()
    return out


class _Check:
    def __init__(
        self,
        d: Directive,
        stdlib: StdlibWindow,
        layouts: Layouts,
        accepted: Accepted | None,
        find_package: FindPackage,
        uses: Uses,
    ) -> None:
        self.d = d
        self.uses = uses
        self.stdlib = stdlib
        self.layouts = layouts
        self.accepted = accepted
        self.find_package = find_package
        self.kinds: dict[str, set[Config]] = {}
        self.problems: dict[Problem, set[Config]] = {}

    def run(self) -> list[Finding]:
        d = self.d
        for v, p in sorted(c for c in d.configs if c[0] in self.stdlib):
            facts = self.stdlib[v]
            if facts.is_std(d.package):
                continue  # the standard library's own directive: part of the facts
            sym = facts.symbol(d.target)
            if sym is None or sym.generic:
                continue
            problem = self._judge(sym, (v, p))
            if problem is not None:
                self.problems.setdefault(problem, set()).add((v, p))
        return self._findings()

    def _judge(self, sym: Symbol, config: Config) -> Problem | None:
        d = self.d
        v, p = config
        local_kind = "var" if d.object == "var" else "func"
        remote_kind = "var" if sym.kind == "var" else "func"
        if local_kind != remote_kind:
            self.kinds.setdefault(sym.kind, set()).add(config)
            return None
        facts = self.stdlib[v]
        if d.kind == "pull" and p in facts.platforms and p not in sym.platforms:
            return None  # undefined there: the link rules say so
        local, remotes = d.signature, sym.signatures(p)
        if not remotes and p not in facts.platforms:  # a port the symbol facts do not cover
            remotes = next((sym.signatures(q) for q in sorted(sym.platforms)), ())
        if local is None or not remotes or local in remotes:
            return None
        if self.accepted is not None and any(self.accepted(d.target, local, r, v) for r in remotes):
            return None
        version = self.layouts.get(v)
        std = version.signatures(d.target, p) if version is not None else ()
        declared = self._local(config, version)
        if version is None or not std or declared is None:
            missing = (
                "the declaration could not be read"
                if declared is None and version is not None
                else f"the facts have no layout of `{d.target}`"
            )
            return Problem(
                WARNING,
                f"`{d.local}` is declared as `{local}` but `{d.target}` has "
                f"{'type' if d.object == 'var' else 'signature'} `{remotes[0]}`; not verified: "
                f"{missing}",
            )
        arch = arch_of(p)

        def reads(field: str, owners: frozenset[str]) -> bool:
            return self.uses.reads(field, owners, config)

        def results_used() -> bool:
            return self.uses.uses_results(d.path, d.local, config)

        verdicts = [
            _compare(d, declared, s, version, arch.word, reads, arch.name, results_used)
            for s in std
        ]
        if any(x is None for x in verdicts):
            return None
        found = [x for x in verdicts if x is not None]
        return min(found, key=lambda x: -x.severity.rank)

    def _local(self, config: Config, version: VersionLayouts | None) -> StdSignature | None:
        """The local declaration laid out for ``config``, as a signature."""
        d = self.d
        if version is None or d.decl_path is None:
            return None
        package = self.find_package(d.package)
        if package is None:
            return None
        f = next((f for f in package.files if f.path == d.decl_path), None)
        node: Node | None = f.parsed.node(d.local) if f is not None else None
        if f is None or node is None:
            return None
        v, p = config
        facts = self.stdlib[v]
        resolver = Resolver(
            package,
            config,
            arch_of(p),
            lambda name: version.named_type(name, p),
            facts.is_std,
            self.find_package,
        )
        if d.object == "var":
            t = node.child_by_field_name("type")
            return StdSignature((), (), var=resolver.resolve(t, f)) if t is not None else None
        params = parameters(resolver, node.child_by_field_name("parameters"), f)
        results = parameters(resolver, node.child_by_field_name("result"), f)
        return StdSignature(tuple(params), tuple(results))

    # Findings ---------------------------------------------------------------------------

    def _findings(self) -> list[Finding]:
        d = self.d
        related: tuple[Related, ...] = ()
        if d.decl is not None and d.decl_path is not None:
            related = (Related(d.decl_path, d.decl.line, 1, f"`{d.local}` is declared here"),)
        out: list[Finding] = []
        for kind, configs in self.kinds.items():
            local = "a var" if d.object == "var" else "a func"
            message = (
                f"`{d.local}` is {local} here but `{d.target}` is a {kind} in Go "
                f"{span(c[0] for c in configs)}"
            )
            out += self._emit(message, configs, ERROR, related)
        for problem, configs in sorted(self.problems.items(), key=lambda kv: min(kv[1])):
            out += self._emit(problem.message, configs, problem.severity, related)
        return out

    def _emit(
        self,
        message: str,
        configs: Iterable[Config],
        severity: Severity,
        related: tuple[Related, ...],
    ) -> list[Finding]:
        d = self.d
        return findings(
            "signature-mismatch",
            d.path,
            d.line,
            d.column,
            message,
            configs,
            target=d.target,
            severity=severity,
            related=related,
        )


# Comparison ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One word of a parameter or result list, with the parameter it belongs to."""

    word: Word
    name: str  # the parameter's name, or "parameter 2" / "result 1" when it has none
    named: bool
    type: GoType


def _slots(items: Sequence[tuple[str, GoType]], noun: str) -> list[_Slot]:
    out: list[_Slot] = []
    for i, (name, t) in enumerate(items):
        named = bool(name) and name != "_"
        shown = name if named else f"{noun} {i + 1}"
        out += [_Slot(w, shown, named, t) for w in words(t)]
    return out


def _names(items: Sequence[tuple[str, GoType]]) -> str:
    return ", ".join(n or t.spell() for n, t in items)


def _compare(
    d: Directive,
    local: StdSignature,
    std: StdSignature,
    version: VersionLayouts,
    word: int,
    reads: Callable[[str, frozenset[str]], bool],
    goarch: str = "amd64",
    results_used: Callable[[], bool] = lambda: True,
) -> Problem | None:
    """The worst problem of ``local`` against one standard-library signature, or None."""
    ctx = _Ctx(version.contracts, reads, word)
    if local.var is not None or std.var is not None:
        if local.var is None or std.var is None:
            return None
        return _layout(d, local.var, std.var, ctx, f"`{d.local}`")
    problems: list[Problem] = []
    params = _words(d, local.params, std.params, "passes", "takes", "word", word)
    if params is not None:
        problems.append(params)
    unread = _unread_extra_results(d, local, std, word, results_used)
    if unread is not None:
        problems.insert(0, unread)  # before a hidden type: the worse of two warnings
    else:
        problems += _results(d, local, std, word, goarch)
    if not any(p.severity is ERROR for p in problems):
        for lp, sp in zip(
            _slots(local.params, "parameter") + _slots(local.results, "result"),
            _slots(std.params, "parameter") + _slots(std.results, "result"),
            strict=False,
        ):
            lt, st = lp.word.type, sp.word.type
            if lt.kind == "pointer" and st.kind == "pointer" and lt.target and st.target:
                found = _pointee(d, lp, sp, ctx)
                if found is not None:
                    problems.append(found)
    if not problems:
        return None
    return min(problems, key=lambda x: -x.severity.rank)


def _results(
    d: Directive, local: StdSignature, std: StdSignature, word: int, goarch: str
) -> list[Problem]:
    """The problems of the results the local declares against those the target returns."""
    found: list[Problem] = []
    registers = goarch in _REGABI and _in_registers(std.results)
    results = _words(
        d, local.results, std.results, "reads", "returns", "result word", word, registers
    )
    if len(local.results) != len(std.results):
        if not local.results or (results is not None and results.severity is ERROR):
            found.append(_result_count(d, local, std, goarch))
        elif goarch in _REGABI and not (
            _in_registers(local.results) and _in_registers(std.results)
        ):
            # The same words, grouped otherwise: where some go on the stack, which ones
            # follow each result, not the words; not verified.
            found.append(
                Problem(
                    WARNING,
                    f"`{d.local}` reads {len(local.results)} results where `{d.target}` returns "
                    f"{len(std.results)} (`{_names(std.results)}`) of the same words; not "
                    "verified where results do not all fit in registers",
                )
            )
        elif results is not None:
            found.append(results)
        # Otherwise the same words in the same places: a struct result is returned field by
        # field (in registers, or laid out like a struct on the stack), e.g. mockey's
        # `findfunc(uintptr) (unsafe.Pointer, unsafe.Pointer)` for `runtime.funcInfo`.
    elif results is not None:
        found.append(results)
    return found


def _unread_extra_results(
    d: Directive,
    local: StdSignature,
    std: StdSignature,
    word: int,
    results_used: Callable[[], bool],
) -> Problem | None:
    """More result words than the target returns, the target's own read right, and no call
    using them: the callee leaves the extra words alone (registers it does not set, or stack
    slots the caller reserved beyond the ones it writes), and nothing reads them. Measured with
    a ugorji-shaped `mapiternext(it) (key unsafe.Pointer)` on amd64 and 386, Go 1.21-1.27."""
    ls, ss = _slots(local.results, "result"), _slots(std.results, "result")
    if len(ls) <= len(ss):
        return None
    for i, (a, b) in enumerate(zip(ls, ss, strict=False)):
        found = _word(d, i, a, b, "reads", "returns", "result word", std.results, word)
        if found is not None and found.severity is ERROR:
            return None
    if results_used():
        return None
    extra = len(ls) - len(ss)
    return Problem(
        WARNING,
        f"`{d.local}` declares {extra} result word{'s' if extra > 1 else ''} more than "
        f"`{d.target}` returns (`{_names(std.results) or 'nothing'}`): every call in the files "
        "reviewed discards the results, so nothing reads the garbage; a call that used "
        f"{'them' if extra > 1 else 'it'} would",
    )


#: Ports whose register ABI returns results in registers (cmd/compile's regabi), and how many
#: integer and float registers it has at least (amd64: 9 and 15).
_REGABI = frozenset(("amd64", "arm64", "ppc64", "ppc64le", "riscv64", "loong64"))
_INT_REGISTERS, _FLOAT_REGISTERS = 9, 15


def _in_registers(results: Sequence[tuple[str, GoType]]) -> bool:
    """Whether the register ABI returns these results in registers (none on the stack)."""
    ws = [w for _, t in results for w in words(t)]
    if any(w.cls not in ("int", "pointer", "float") for w in ws):
        return False
    if any(t.kind == "array" or "[" in w.path for _, t in results for w in words(t)):
        return False  # arrays of more than one element are never register-assigned
    floats = sum(w.cls == "float" for w in ws)
    return len(ws) - floats <= _INT_REGISTERS and floats <= _FLOAT_REGISTERS


def _result_count(d: Directive, local: StdSignature, std: StdSignature, goarch: str) -> Problem:
    n, m = len(local.results), len(std.results)
    what = "misses" if n < m else "has extra"
    if n == 0 and goarch in _REGABI and _in_registers(std.results):
        # The callee leaves its results in registers the caller does not read: nothing is
        # overwritten (on ports that return results on the stack it writes into the caller's
        # frame).
        return Problem(
            WARNING,
            f"`{d.local}` drops the result{'s' if m > 1 else ''} of `{d.target}` "
            f"(`{_names(std.results)}`): harmless only while "
            f"{'they travel' if m > 1 else 'it travels'} in registers (the register ABI); "
            "where results go on the stack the callee overwrites the caller's frame",
        )
    return Problem(
        ERROR,
        f"`{d.local}` {what} result{'s' if abs(n - m) > 1 else ''}: it declares {n}, "
        f"`{d.target}` returns {m} (`{_names(std.results) or 'nothing'}`)",
    )


def _words(
    d: Directive,
    local: Sequence[tuple[str, GoType]],
    std: Sequence[tuple[str, GoType]],
    verb: str,
    std_verb: str,
    noun: str,
    word: int,
    registers: bool = False,
) -> Problem | None:
    """Compare two parameter (or result) lists word by word: the first error, else the
    first warning. ``registers``: the results travel in registers, so reading fewer of
    them overwrites nothing."""
    kind = "parameter" if noun == "word" else "result"
    ls, ss = _slots(local, kind), _slots(std, kind)
    first: Problem | None = None
    for i, (a, b) in enumerate(zip(ls, ss, strict=False)):
        found = _word(d, i, a, b, verb, std_verb, noun, std, word)
        if found is not None and found.severity is ERROR:
            return found
        first = first or found
    if registers and len(ls) < len(ss):
        return Problem(
            WARNING,
            f"`{d.local}` {verb} {len(ls)} of the {len(ss)} result words of `{d.target}` "
            f"(`{_names(std)}`): harmless only while they travel in registers (the register "
            "ABI)",
        )
    if len(ls) != len(ss):
        plural = "words" if noun == "word" else "result words"
        return Problem(
            ERROR,
            f"`{d.local}` {verb} {len(ls)} {plural} (`{_names(local)}`); `{d.target}` "
            f"{std_verb} {len(ss)} (`{_names(std)}`)",
        )
    if first is not None:
        return first
    for a in ls:
        if a.word.type.kind == "unknown":
            return Problem(WARNING, f"layout not verified: {a.word.type.why}")
    return None


def _word(
    d: Directive,
    i: int,
    a: _Slot,
    b: _Slot,
    verb: str,
    std_verb: str,
    noun: str,
    std: Sequence[tuple[str, GoType]],
    word: int,
) -> Problem | None:
    la, lb = a.word, b.word
    if la.cls == "unknown" or lb.cls == "unknown":
        return None  # judged after the count
    where = f"{ordinal(i + 1)} {noun}"
    head = f"`{d.local}` {verb} {_class(la)} as its {where} ({_local_part(a)})"
    there = f"`{d.target}` {std_verb} {_std_part(b)} there (`{_names(std)}`)"
    if la.cls != lb.cls:
        kinds = {la.type.kind, lb.type.kind}
        if la.cls in ("int", "pointer") and lb.cls in ("int", "pointer") and "uintptr" in kinds:
            return Problem(
                WARNING,
                f"{head}; {there}: the garbage collector does not see a pointer in a `uintptr`",
            )
        return Problem(ERROR, f"{head}; {there}")
    if la.size != lb.size:
        if la.cls == "int" and la.size > lb.size and la.size <= word:
            return Problem(
                WARNING,
                f"{head}; {there}: a wider integer in the same word works only while the upper "
                "bits are ignored",
            )
        return Problem(ERROR, f"{head}; {there}: {la.size} bytes for {lb.size}")
    if la.cls == "block" and block_shape(la.type) != block_shape(lb.type):
        return Problem(ERROR, f"{head}; {there}")
    if la.type.kind == "unsafe" and lb.type.kind == "pointer":
        return Problem(
            WARNING,
            f"`{d.local}` {verb} `unsafe.Pointer` as its {where} ({_local_part(a)}) where "
            f"`{d.target}` {std_verb} {_std_part(b)}: the call works, but the declaration "
            "hides the type",
        )
    return None


def _class(w: Word) -> str:
    t = w.type
    if t.kind == "uintptr":
        return "a `uintptr`"
    if w.cls == "pointer":
        return "a pointer"
    if w.cls == "float":
        return f"a float{w.size * 8}"
    if w.cls == "block":
        return f"a {w.size}-byte array"
    return f"an integer ({t.spell()})" if t.kind == "int" else f"a {t.spell()}"


def _local_part(s: _Slot) -> str:
    path = s.word.path
    if not path:
        return f"`{s.name}`"
    if path.startswith((".", "[")):
        field, _, part = path.partition(" ")
        return f"`{s.name}{field}`" + (f"'s {part}" if part else "")
    return f"`{s.name}`'s {path}"


def _std_part(s: _Slot) -> str:
    path = s.word.path
    whole = f"`{s.name} {s.type.spell()}`" if s.named else f"`{s.type.spell()}`"
    if not path:
        return whole
    if path.startswith((".", "[")):
        field, _, part = path.partition(" ")
        base = f"`{s.name}{field} {s.word.type.spell()}`"
        return f"the {part} of {base}" if part else base
    return f"the {path} of {whole}"


# Layouts ---------------------------------------------------------------------------------


def _pointee(d: Directive, a: _Slot, b: _Slot, ctx: _Ctx) -> Problem | None:
    lt, st = a.word.type, b.word.type
    if lt.target is None or st.target is None:
        return None
    if lt.target_name and lt.target_name == st.target_name:
        return None
    local, std = lt.target(), st.target()
    if local.name and local.name == std.name:
        return None
    return _layout(d, local, std, ctx, f"`{a.name}`", 1)


def _layout(
    d: Directive,
    local: GoType,
    std: GoType,
    ctx: _Ctx,
    what: str,
    depth: int = 0,
) -> Problem | None:
    """The local type's declared fields against the standard library's layout."""
    if std.kind == "unknown" or (local.name and local.name == std.name):
        return None
    if local.kind == "unknown":
        return Problem(WARNING, f"layout of {what} not verified: {local.why}")
    if local.kind == "pointer" and std.kind == "pointer":
        if local.target_name and local.target_name == std.target_name:
            return None
        if depth > 0 or local.target is None or std.target is None:
            return Problem(
                WARNING,
                f"layout of {what} not verified: a pointer to a pointer (`{local.spell()}` for "
                f"`{std.spell()}`)",
            )
        return _layout(d, local.target(), std.target(), ctx, what, depth + 1)
    caller_allocated = ctx.contracts.get(std.name) == "caller-allocated"
    warnings: list[Problem] = []
    errors: list[tuple[str, str]] = []
    lw, sw = words(local, memory=True), words(std, memory=True)
    mine = d.local if depth == 0 else local.name.rpartition(".")[2] or local.spell()
    theirs = std.name or (d.target if depth == 0 else std.spell())
    for w in lw:
        if w.size == 0 or _blank(w.path):
            continue
        if w.cls == "unknown":
            return Problem(WARNING, f"layout of {what} not verified: {w.type.why}")
        field = f"{mine}{_field(w.path)}"
        if w.offset + w.size > std.size:
            if caller_allocated:
                continue
            errors.append(
                (
                    w.path,
                    f"your `{field}` ({w.what}, offset {w.offset}) lies past the end of "
                    f"`{theirs}` ({std.size} bytes)",
                )
            )
            continue
        s = next((x for x in sw if x.offset == w.offset), None)
        inside = next((x for x in sw if x.offset < w.offset < x.offset + x.size), None)
        if s is None and inside is not None and inside.cls == "block" and w.cls != "pointer":
            continue
        if w.cls == "block" and (s is None or s.cls != "block"):
            continue  # a byte array over several fields: nothing is misread by its shape
        if s is not None and s.cls == "unknown":
            continue
        if s is not None and _same_slot(w, s):
            continue
        if s is not None and w.cls == s.cls == "int" and w.size > s.size:
            # A wider integer over the same start. Within one machine word the value is right
            # while the bytes after the field are zero (``uintptr`` over ``enabled bool``),
            # which the declaration alone cannot prove or refute; past the word, or over
            # fields beyond padding in another word, it reads another field's value.
            covered = [
                x for x in sw if w.offset < x.offset < w.offset + w.size and not _padding(x.path)
            ]
            if not covered or w.size <= ctx.word:
                also = "".join(f", and `{_field(x.path).lstrip('.')} {x.what}`" for x in covered)
                warnings.append(
                    Problem(
                        WARNING,
                        f"your `{field}` reads {w.size} bytes at offset {w.offset} where "
                        f"`{theirs}` has `{_field(s.path).lstrip('.')} {s.what}` "
                        f"({_bytes(s.size)}){also}: right only while the bytes after it stay "
                        "zero",
                    )
                )
                continue
        errors.append((w.path, _moved(field, w, s or inside, theirs, sw)))
    for path, message in errors:
        name = _name(path)
        if not name or ctx.reads(name, _owners(local, path)):
            return Problem(ERROR, message)
    if errors:
        path, message = errors[0]
        return Problem(
            WARNING,
            f"{message}; nothing in the files reviewed reads `{_name(path)}`, so no wrong value "
            "is read yet",
        )
    return warnings[0] if warnings else None


def _owners(local: GoType, path: str) -> frozenset[str]:
    """The structs whose field the word at ``path`` is, as ``x.f`` selects it: the one that
    declares it and those it is promoted through (embedded), by qualified name."""
    owners: set[str] = set()
    t: GoType | None = local
    parts = path.partition(" ")[0].split(".")[1:]
    for i, part in enumerate(parts):
        if t is None or t.kind != "struct":
            break
        owners.add(t.name)
        f = next((f for f in t.fields if f.name == part.split("[")[0]), None)
        if f is None or i == len(parts) - 1:
            break
        if not f.embedded:
            owners = set()  # x.f.g: g is read through f's type only
        t = f.type
    return frozenset(o for o in owners if o)


def _name(path: str) -> str:
    """The last field name of a word's path (``.GoType.Kind`` → ``Kind``)."""
    return path.partition(" ")[0].split("[")[0].rpartition(".")[2]


def _padding(path: str) -> bool:
    """A field that only pads: ``_`` or named ``pad…``."""
    last = path.partition(" ")[0].split("[")[0].rpartition(".")[2]
    return last == "_" or last.startswith("pad")


def _blank(path: str) -> bool:
    return any(part == "_" for part in path.replace(" ", ".").replace("[", ".").split("."))


def _same_slot(w: Word, s: Word) -> bool:
    if w.size != s.size:
        return False
    if w.cls == s.cls:
        return w.cls != "block" or block_shape(w.type) == block_shape(s.type)
    return {w.cls, s.cls} == {"int", "pointer"} and "uintptr" in {w.type.kind, s.type.kind}


def _field(path: str) -> str:
    field, _, part = path.partition(" ")
    return field + (f" ({part})" if part else "")


def _moved(field: str, w: Word, s: Word | None, theirs: str, sw: list[Word]) -> str:
    """``your `T.f` (uint32) is at offset 8; `abi.Type.F` is at offset 16 (at 8 it has …)``."""
    key = _key(w.path)
    same = next((x for x in sw if key and _key(x.path) == key), None)
    name = field.partition(" (")[0]
    mine = f"your `{name}` ({w.what}) is at offset {w.offset}"
    if same is not None and same.offset != w.offset:
        there = f" (at {w.offset} it has {_describe(s)})" if s else ""
        std_name = same.path.partition(" ")[0]
        return f"{mine}; `{theirs}{std_name}` is at offset {same.offset}{there}"
    if s is None:
        return f"{mine}; `{theirs}` has no field there"
    size = f" ({_bytes(s.size)})" if s.size != w.size else ""
    return f"{mine}; `{theirs}` has {_describe(s)} at offset {s.offset}{size}"


def _bytes(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


def _describe(w: Word) -> str:
    r"""``\`enabled bool\``` or ``the length of \`pkghashes []runtime.modulehash\```."""
    path, _, part = w.path.partition(" ")
    whole = f"`{path.lstrip('.')} {w.what}`"
    return f"the {part} of {whole}" if part else whole


def _key(path: str) -> str:
    return path.partition(" ")[0].lower().rstrip("_").replace("_", "")
