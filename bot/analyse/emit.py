"""Turn a rule hit on a set of configurations into findings."""

from __future__ import annotations

from collections.abc import Iterable

from bot.analyse.configs import rectangles
from bot.findings import Finding, Fix, Related, Severity
from bot.rules import rule
from bot.versions import Config


def findings(
    rule_id: str,
    path: str,
    line: int,
    column: int,
    message: str,
    configs: Iterable[Config],
    *,
    target: str | None = None,
    suggestion: str | None = None,
    severity: Severity | None = None,
    settings: tuple[str, ...] = (),
    related: tuple[Related, ...] = (),
    fixes: tuple[Fix, ...] = (),
) -> list[Finding]:
    """One finding per (versions × platforms) rectangle of ``configs``; none for an empty set."""
    sev = severity if severity is not None else rule(rule_id).severity
    return [
        Finding(
            path,
            line,
            column,
            rule_id,
            sev,
            message,
            target,
            go,
            platforms,
            suggestion,
            settings=settings,
            related=related,
            fixes=fixes,
        )
        for go, platforms in rectangles(configs)
    ]
