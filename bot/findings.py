"""The one result type every check produces and every reporter renders."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    """What a finding means, the same everywhere.

    ``error``: some Go version in the window fails to build it, or it is certainly wrong at run
    time. ``warning``: it builds but is fragile or suspicious. ``notice``: information.
    """

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "notice": 0}[self.value]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or piece of advice) at one place in one file."""

    path: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    target: str | None = None
    go: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    suggestion: str | None = field(default=None, compare=False)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity.value,
            "target": self.target,
            "go": list(self.go),
            "platforms": list(self.platforms),
            "message": self.message,
            "suggestion": self.suggestion,
        }
