"""SARIF 2.1.0, for code scanning: one run, the rule catalogue, registry suggestions as fixes.

Fixes compose: where the policy file has a ``known:`` block list, each suggested entry is a
pure insertion at its end, so applying any number of them gives one list. Where it has none
(no file, no ``known:``, ``known: []``), inserting one entry also writes the ``known:`` key,
so a single fix on the first result adds every entry at once, and no two fixes can write the
key twice. Targets the linker refuses are never offered (``bot.report.suggestions``).
"""

from __future__ import annotations

import json
from typing import Any

from bot.findings import Finding, Report, Severity
from bot.policy.edit import add_entries, entry_edit
from bot.report.fingerprint import fingerprint_findings
from bot.report.links import rule_url
from bot.report.suggestions import entry_of, registry_suggestions
from bot.rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def render(
    report: Report,
    *,
    config: tuple[str, str | None] | None = None,
    tool_version: str = "0.1.0",
    docs: str | None = None,
    suggestions: bool = True,
) -> str:
    """The SARIF log; with ``config`` (the policy file's path and text, None when it does not
    exist yet) every suggested registry entry is also a fix that inserts it there."""
    rules = sorted(RULES.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}
    locals_ = {(d.path, d.line): d.local for d in report.directives}
    fps = fingerprint_findings(report.findings, locals_)
    entries = registry_suggestions(report.findings).entries if suggestions else ()
    fixes = _fixes(report.findings, entries, config) if config is not None else {}
    doc: dict[str, Any] = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "linkname-bot",
                        "version": tool_version,
                        "informationUri": "https://github.com/linkname-bot/linkname-bot",
                        "rules": [
                            {
                                "id": r.id,
                                "name": "".join(p.title() for p in r.id.split("-")),
                                "shortDescription": {"text": r.summary},
                                "helpUri": rule_url(r.id, docs),
                                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                            }
                            for r in rules
                        ],
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": [
                    _result(f, index[f.rule], fps[f], entries, fixes.get(f))
                    for f in report.findings
                ],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _result(
    f: Finding,
    rule_index: int,
    fingerprint: str,
    entries: tuple[str, ...],
    fix: dict[str, Any] | None,
) -> dict[str, Any]:
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": f.path},
            "region": {"startLine": f.line, "startColumn": max(f.column, 1)},
        }
    }
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "properties": {"go": list(f.go), "platforms": list(f.platforms), "target": f.target},
        "partialFingerprints": {"linknameFinding/v2": fingerprint},
    }
    entry = entry_of(f) if f.rule == "unknown-target" else None
    if entry is not None and entry in entries:
        result["message"]["text"] += "\n\nSuggested registry entry:\n" + entry
        result["properties"]["suggestion"] = entry
    if fix is not None:
        result["fixes"] = [fix]
    return result


def _fixes(
    found: list[Finding], entries: tuple[str, ...], config: tuple[str, str | None]
) -> dict[Finding, dict[str, Any]]:
    """The fix each result carries: each entry once, on the first result suggesting it."""
    text = config[1]
    owners: dict[str, Finding] = {}
    for f in found:
        entry = entry_of(f) if f.rule == "unknown-target" else None
        if entry is not None and entry in entries:
            owners.setdefault(entry, f)
    if not owners:
        return {}
    if _insertions_compose(text, list(owners)):
        out = {}
        for entry, f in owners.items():
            fix = _registry_fix(entry, config, "add the registry entry")
            if fix is not None:
                out[f] = fix
        return out
    first = min(owners.values())
    fix = _registry_fix("\n".join(owners), config, f"add the {len(owners)} registry entries")
    return {first: fix} if fix is not None else {}


def _insertions_compose(text: str | None, entries: list[str]) -> bool:
    """Every one-entry edit is a pure insertion at the same offset, and together they give
    the file with every entry added (in any order they stay one list)."""
    edits = [entry_edit(text, e) for e in entries]
    if text is None or any(e is None or e[1] != 0 for e in edits):
        return False
    offsets = {e[0] for e in edits if e is not None}
    if len(offsets) != 1:
        return False
    (at,) = offsets
    joined = text[:at] + "".join(e[2] for e in edits if e is not None) + text[at:]
    return joined == add_entries(text, entries)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _registry_fix(entry: str, config: tuple[str, str | None], verb: str) -> dict[str, Any] | None:
    """The entry inserted under ``known:`` of the policy file (``columnKind`` is UTF-16)."""
    path, text = config
    edit = entry_edit(text, entry)
    if edit is None:
        return None
    offset, deleted, inserted = edit
    old = text or ""
    return {
        "description": {"text": f"{verb} to {path}"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": path},
                "replacements": [
                    {
                        "deletedRegion": {
                            "charOffset": _utf16(old[:offset]),
                            "charLength": _utf16(old[offset : offset + deleted]),
                        },
                        "insertedContent": {"text": inserted},
                    }
                ],
            }
        ],
    }
