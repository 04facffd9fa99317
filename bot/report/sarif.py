"""SARIF 2.1.0, for code scanning: one run, the rule catalogue, registry suggestions as fixes.

Each finding's fixes (text edits the analysis made, ``bot.policy.edit.registry_fixes``)
become SARIF fixes: they compose, so applying any number of them never writes ``known:``
twice. Targets the linker refuses are never offered.
"""

from __future__ import annotations

import json
from typing import Any

from bot.findings import Finding, Fix, Report, Severity
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
    # Fixes edit the policy file: its text locates them (an empty text: a new file).
    policy_text = (config[1] or "") if config is not None and suggestions else None
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
                    _result(f, index[f.rule], fps[f], entries, policy_text) for f in report.findings
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
    policy_text: str | None,
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
    if f.fixes and policy_text is not None:
        result["fixes"] = [_fix(fix, policy_text) for fix in f.fixes]
    return result


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fix(fix: Fix, text: str) -> dict[str, Any]:
    """A text edit as a SARIF replacement at a UTF-16 ``charOffset`` of the file it edits."""
    lines = text.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1

    changes = []
    for edit in fix.edits:
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        changes.append(
            {
                "artifactLocation": {"uri": edit.path},
                "replacements": [
                    {
                        "deletedRegion": {
                            "charOffset": _utf16(text[:start]),
                            "charLength": _utf16(text[start:end]),
                        },
                        "insertedContent": {"text": edit.new_text},
                    }
                ],
            }
        )
    return {"description": {"text": fix.message}, "artifactChanges": changes}
