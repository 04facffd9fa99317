"""The JSON contract of ``linkname-bot check --format json``: exactly one object."""

from __future__ import annotations

import json

from bot.findings import Report


def render(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
