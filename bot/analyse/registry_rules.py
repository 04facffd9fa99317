"""The repository's registry of known targets: what it vouches for, and what it lacks.

Every two-argument directive should name a target the registry knows; an unknown one gets a
finding that carries the exact YAML entry to paste. Entries that the standard library has moved
away from are reported on the entry's own line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from bot.analyse.directives import Directive
from bot.analyse.emit import findings
from bot.findings import Finding, Severity
from bot.golang.symbols import split_symbol
from bot.policy.config import CONFIG_PATH, Entry, Policy
from bot.stdlib.query import StdQuery
from bot.versions import Config, span


def check_registry(
    directives: Sequence[Directive],
    policy: Policy,
    std: StdQuery | None,
    window: tuple[tuple[int, ...], tuple[str, ...]],
    broken: Mapping[tuple[str, int], frozenset[Config]] | None = None,
    withheld: frozenset[tuple[str, int]] = frozenset(),
) -> list[Finding]:
    """Registry findings. ``broken`` maps a directive's (path, line) to the configurations where
    the linker already refuses its target: the registry cannot vouch for those, so they are
    left to the link-level error rather than offered as an entry to add. ``withheld`` names
    the directives with an error of their own (a refused pull, an ABI mismatch): no entry is
    offered for them until it is fixed."""
    out: list[Finding] = []
    for d in directives:
        if not d.explicit or d.kind == "unknown" or not d.configs:
            continue
        failing = (broken or {}).get((d.path, d.line), frozenset())
        if failing:
            d = replace(d, configs=d.configs - failing)
            if not d.configs:
                continue
        out += _unknown_target(d, policy, std, window, (d.path, d.line) in withheld)
        out += _registry_mismatch(d, policy)
    out += _stale_entries(policy, std, window, directives)
    return out


def covering(entries: Iterable[Entry], version: int) -> list[Entry]:
    out = []
    for e in entries:
        versions = e.known.versions()
        if versions is None or version in versions:
            out.append(e)
    return out


def _unknown_target(
    d: Directive,
    policy: Policy,
    std: StdQuery | None,
    window: tuple[tuple[int, ...], tuple[str, ...]],
    withheld: bool = False,
) -> list[Finding]:
    entries = policy.entries_for(d.target)
    missing = frozenset(c for c in d.configs if not covering(entries, c[0]))
    if not missing:
        return []
    severity = Severity.WARNING if policy.has_registry else Severity.NOTICE
    where = policy.config_path or CONFIG_PATH
    message = (
        f"`{d.target}` is not in the registry of known targets ({d.kind} of a {d.object}); "
        f"add the entry below under `known:` in {where} so reviewers can see what the "
        "repository relies on"
    )
    if entries:
        message = (
            f"the registry knows `{d.target}` only for other Go versions; widen its `go` "
            "range or add the entry below"
        )
    if withheld:
        message = (
            f"`{d.target}` is not in the registry of known targets; no entry is suggested "
            "while this directive has an error: fix it first"
        )
    entry = suggest_entry(d, std, window)
    return findings(
        "unknown-target",
        d.path,
        d.line,
        d.column,
        message,
        missing,
        target=d.target,
        suggestion=entry,
        severity=severity,
    )


def suggest_entry(
    d: Directive, std: StdQuery | None, window: tuple[tuple[int, ...], tuple[str, ...]]
) -> str:
    """The YAML list item that makes ``unknown-target`` go away for this directive."""
    versions = sorted({v for v, _ in d.configs})
    entry: dict[str, str] = {"target": d.target}
    if d.signature:
        entry["local"] = d.signature
    note = None
    if std is not None:
        note = "outside the standard library"
    if std is not None and any(std.is_std(d.target, v) for v in versions):
        good = [
            v
            for v in versions
            if std.exists(d.target, v)
            and (d.kind != "pull" or std.pullable(d.target, v, d.package))
        ]
        remote = {std.signature(d.target, v) for v in (good or versions)} - {None}
        if len(remote) == 1:
            (sig,) = remote
            if sig and sig != d.signature:
                entry["remote"] = sig
        versions = good or versions
        note = "standard library"
    entry["go"] = span(versions, dash="-", sep=",")
    if note:
        entry["note"] = note
    return list_item(entry)


def list_item(entry: dict[str, str]) -> str:
    """``entry`` as the one-item YAML list ``yaml.safe_dump`` writes (block style, keys in
    order, no trailing newline). Keys and values YAML writes plain (or, a lone Go version,
    single-quoted) are written directly; any other entry goes through ``yaml.safe_dump``
    (imported only then)."""
    lines = []
    for i, (k, v) in enumerate(entry.items()):
        key, value = _scalar(k), _scalar(v)
        if key is None or value is None:
            break
        lines.append(("- " if i == 0 else "  ") + f"{key}: {value}")
    else:
        return "\n".join(lines)
    import yaml

    text: str = yaml.safe_dump(
        [entry], sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
    )
    return text.rstrip("\n")


#: Text YAML writes as a plain scalar: starts with a letter or _, no indicator YAML reacts to
#: after it (``:``, ``#``, quotes, ``&``, ``!``, ``|``, ``>``, ``%``, ``@``, `` ` ``, ``?``).
_PLAIN_TEXT = re.compile(r"[A-Za-z_][A-Za-z0-9_.()*/,\[\]{} -]*")
#: A Go version span with a range or a list (a lone ``1.23`` would read back as a number).
_PLAIN_SPAN = re.compile(r"1\.[0-9]+(-1\.[0-9]+)?(,1\.[0-9]+(-1\.[0-9]+)?)*")
_LONE_VERSION = re.compile(r"1\.[0-9]+")
#: Words YAML 1.1 reads as booleans or null.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _scalar(value: str) -> str | None:
    """``value`` as ``yaml.safe_dump`` writes it, for the shapes known here; None otherwise."""
    if not value or len(value) > 500 or value != value.strip() or "  " in value:
        return None
    if value.lower() in _YAML_WORDS:
        return None
    if _PLAIN_TEXT.fullmatch(value):
        return value
    if _LONE_VERSION.fullmatch(value):
        return f"'{value}'"  # a float to YAML: quoted
    if _PLAIN_SPAN.fullmatch(value) and ("-" in value or "," in value):
        return value
    return None


def _registry_mismatch(d: Directive, policy: Policy) -> list[Finding]:
    if d.signature is None:
        return []
    bad: set[Config] = set()
    recorded: set[str] = set()
    for c in d.configs:
        entries = covering(policy.entries_for(d.target), c[0])
        locals_ = {e.known.local for e in entries if e.known.local}
        if locals_ and d.signature not in locals_:
            bad.add(c)
            recorded |= locals_
    if not bad:
        return []
    return findings(
        "registry-mismatch",
        d.path,
        d.line,
        d.column,
        f"the registry records `{d.target}` with local signature `{' | '.join(sorted(recorded))}`"
        f", but `{d.local}` is declared as `{d.signature}`: update the declaration or the entry",
        bad,
        target=d.target,
    )


def _stale_entries(
    policy: Policy,
    std: StdQuery | None,
    window: tuple[tuple[int, ...], tuple[str, ...]],
    directives: Sequence[Directive],
) -> list[Finding]:
    if std is None:
        return []
    versions, platforms = window
    users: Mapping[str, str] = {d.target: d.package for d in directives if d.kind == "pull"}
    out: list[Finding] = []
    for e in policy.entries:
        k = e.known
        allowed = k.versions()
        in_range = [v for v in versions if allowed is None or v in allowed]
        std_versions = [v for v in in_range if std.is_std(k.target, v)]
        problems: dict[str, set[int]] = {}
        for v in std_versions:
            if not std.exists(k.target, v):
                problems.setdefault("no longer exists", set()).add(v)
            elif not std.pullable(k.target, v, users.get(k.target, "main")):
                problems.setdefault("is not pullable", set()).add(v)
            else:
                expected = k.remote or k.local
                actual = std.signature(k.target, v)
                if expected and actual and expected != actual:
                    problems.setdefault(
                        f"has signature `{actual}` (stdlib type changed?)", set()
                    ).add(v)
        for what, vs in problems.items():
            configs = {(v, p) for v in vs for p in platforms}
            out += findings(
                "stale-registry-entry",
                e.path,
                e.line,
                1,
                f"registry entry `{k.target}`: in Go {span(vs, dash='-', sep=',')} the target "
                f"{what}; update or narrow the entry's `go` range",
                configs,
                target=k.target,
            )
    return out


def check_handshakes(
    directives: Sequence[Directive],
    packages: Mapping[str, bool],
    full_tree: bool,
) -> list[Finding]:
    """One side of a handshake inside the repository without the other.

    ``packages`` maps the import paths of the repository's packages to whether all their files
    were analysed; a partner is only looked for where it could be seen.
    """
    one_arg = {(d.package, d.local) for d in directives if not d.explicit}
    pushed = {d.target for d in directives if d.explicit and d.kind == "push"}
    out: list[Finding] = []
    for d in directives:
        if d.explicit and d.kind in ("push", "pull"):
            pkg, name = split_symbol(d.target)
            if not packages.get(pkg, False) or (pkg, name) in one_arg:
                continue
            want = "receive (`//go:linkname " + name + "` on its bodiless declaration)"
            if d.kind == "pull":
                want = "export (`//go:linkname " + name + "` on its definition)"
            out += findings(
                "handshake-incomplete",
                d.path,
                d.line,
                d.column,
                f"`{d.target}` is in this repository but package {pkg} has no {want}; "
                "mark both sides so the linker and readers see the agreement",
                d.configs,
                target=d.target,
            )
        elif full_tree and d.kind == "receive" and d.target not in pushed:
            out += findings(
                "handshake-incomplete",
                d.path,
                d.line,
                d.column,
                f"`{d.local}` waits for a push to `{d.target}` but no package of this "
                "repository pushes it (`//go:linkname local " + d.target + "` on a definition)",
                d.configs,
                target=d.target,
            )
    return out
