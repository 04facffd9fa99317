"""Validate write bodies against GitHub's own request schemas (bot/testing/fakegithub/openapi)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

_FILE = Path(__file__).parent / "openapi" / "request_bodies.json"


def _strict(schema: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: `nullable` → null type; objects refuse unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k not in ("description", "example")}
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


@cache
def _validators() -> dict[str, Draft202012Validator]:
    operations = json.loads(_FILE.read_text())["operations"]
    return {op: Draft202012Validator(_strict(v["schema"])) for op, v in operations.items()}


def validation_errors(operation: str, body: Any) -> list[str]:
    """GitHub-like messages for what is wrong with `body`; empty if valid."""
    validator = _validators()[operation]
    errors = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "body"
        errors.append(f"{where}: {error.message}")
    return errors
