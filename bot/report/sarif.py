"""SARIF 2.1.0, for code scanning: one run, the rule catalogue, registry suggestions as fixes."""

from __future__ import annotations

import json
from typing import Any

from bot.findings import Finding, Report, Severity
from bot.policy.edit import entry_edit
from bot.rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def render(
    report: Report,
    *,
    config: tuple[str, str | None] | None = None,
    tool_version: str = "0.1.0",
) -> str:
    """The SARIF log; with ``config`` (the policy file's path and text, None when it does not
    exist yet) every suggested registry entry is also a fix that inserts it there."""
    rules = sorted(RULES.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}
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
                                "helpUri": r.help_uri,
                                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                            }
                            for r in rules
                        ],
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": [_result(f, index[f.rule], config) for f in report.findings],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _result(f: Finding, rule_index: int, config: tuple[str, str | None] | None) -> dict[str, Any]:
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
        "partialFingerprints": {"linknameFinding/v1": _fingerprint(f)},
    }
    if f.suggestion:
        result["message"]["text"] += "\n\nSuggested registry entry:\n" + f.suggestion
        result["properties"]["suggestion"] = f.suggestion
        fix = _registry_fix(f.suggestion, config) if config is not None else None
        if fix is not None:
            result["fixes"] = [fix]
    return result


def _fingerprint(f: Finding) -> str:
    return f"{f.rule}:{f.path}:{f.target or ''}:{','.join(f.go)}"


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _registry_fix(entry: str, config: tuple[str, str | None]) -> dict[str, Any] | None:
    """The entry inserted under ``known:`` of the policy file (``columnKind`` is UTF-16)."""
    path, text = config
    edit = entry_edit(text, entry)
    if edit is None:
        return None
    offset, deleted, inserted = edit
    old = text or ""
    return {
        "description": {"text": f"add the registry entry to {path}"},
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
