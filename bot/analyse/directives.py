"""Classify each honoured directive against its package: push, pull, export or receive.

The compiler looks the local name up in package scope, so the answer depends on which files
build: a directive is resolved once per configuration and the configurations that agree are
grouped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.analyse.package import Package, SourceFile
from bot.findings import Directive, Kind, Object
from bot.golang.directives import DirectiveText
from bot.golang.source import Decl
from bot.golang.symbols import symbol_prefix
from bot.versions import Config

__all__ = ["Directive", "Kind", "Object", "Resolution", "kind_of", "resolve", "to_directive"]


def kind_of(decl: Decl | None, explicit: bool) -> Kind:
    if decl is None or decl.object not in ("func", "var"):
        return "unknown"
    if explicit:
        return "push" if decl.defined else "pull"
    return "export" if decl.defined else "receive"


@dataclass(frozen=True)
class Resolution:
    """One honoured, well-formed directive resolved in some configurations."""

    file: SourceFile
    text: DirectiveText
    configs: frozenset[Config]
    decl_file: SourceFile | None
    decl: Decl | None


def resolve(
    package: Package, f: SourceFile, d: DirectiveText, within: frozenset[Config] | None = None
) -> list[Resolution]:
    """Resolve a directive's local name in ``within`` (default: every config its file builds in)."""
    local = d.local or ""
    groups: dict[tuple[str, int] | None, set[Config]] = defaultdict(set)
    found: dict[tuple[str, int], tuple[SourceFile, Decl]] = {}
    for config in f.configs if within is None else within:
        hit = package.lookup(local, config, f)
        key = None if hit is None else (hit[0].path, hit[1].line)
        if hit is not None and key is not None:
            found[key] = hit
        groups[key].add(config)
    out = []
    for key, configs in groups.items():
        decl_file, decl = found[key] if key is not None else (None, None)
        out.append(Resolution(f, d, frozenset(configs), decl_file, decl))
    out.sort(key=lambda r: min(r.configs))
    return out


def to_directive(package: Package, r: Resolution) -> Directive:
    d = r.text
    local = d.local or ""
    explicit = d.target is not None
    target = d.target if d.target is not None else f"{symbol_prefix(package.import_path)}.{local}"
    decl = r.decl if r.decl is not None and r.decl.object in ("func", "var") else None
    obj: Object | None = None
    if decl is not None:
        obj = "func" if decl.object == "func" else "var"
    signature = None
    if decl is not None and r.decl_file is not None:
        signature = r.decl_file.parsed.signature(local)
    return Directive(
        path=r.file.path,
        line=d.line,
        column=d.column,
        local=local,
        target=target,
        explicit=explicit,
        kind=kind_of(decl, explicit),
        object=obj,
        configs=r.configs,
        package=package.import_path,
        std=d.std,
        decl=decl,
        decl_path=r.decl_file.path if r.decl_file is not None else None,
        signature=signature,
    )
