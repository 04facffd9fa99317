"""SARIF 2.1.0, for code scanning: one run, the rule catalogue, suggestions as fixes."""

from __future__ import annotations

import json
from typing import Any

from bot.analyse.engine import Report
from bot.findings import Finding, Severity
from bot.rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def render(report: Report, *, tool_version: str = "0.1.0") -> str:
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
                "results": [_result(f, index[f.rule]) for f in report.findings],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
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
        # The entry belongs in the repository's config, at a place only the policy knows:
        # carried as text rather than as a fix with a made-up region.
        result["message"]["text"] += "\n\nSuggested registry entry:\n" + f.suggestion
        result["properties"]["suggestion"] = f.suggestion
    return result


def _fingerprint(f: Finding) -> str:
    return f"{f.rule}:{f.path}:{f.target or ''}:{','.join(f.go)}"
