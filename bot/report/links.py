"""Links to the documentation: the project's docs by default, a self-hoster's copy via
``DOCS_URL`` (the caller passes the setting; nothing here reads the environment)."""

from __future__ import annotations

from bot.rules import DOCS_BASE

#: The documentation root (``…/docs/``); rule pages live under ``rules/``.
DEFAULT_DOCS_URL = DOCS_BASE.removesuffix("rules/")


def rule_url(rule_id: str, docs: str | None = None) -> str:
    base = (docs or DEFAULT_DOCS_URL).rstrip("/") + "/"
    return f"{base}rules/{rule_id}.md"


def rule_link(rule_id: str, docs: str | None = None) -> str:
    """A markdown link to the rule's page."""
    return f"[`{rule_id}`]({rule_url(rule_id, docs)})"
