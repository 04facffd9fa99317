"""The one result type every check produces and every reporter renders.

Modelled on go/analysis's ``Diagnostic``: a position and an end, a rule (category) with a
documentation page, a message, related positions, and suggested fixes as text edits. A finding
also carries the configurations it holds in (Go versions × platforms × build settings), so no
reporter has to re-derive them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from bot.golang.symbols import split_symbol
from bot.versions import Config, labels, parse_version, platforms_of, versions_of

if TYPE_CHECKING:
    from bot.golang.source import Decl


class Severity(StrEnum):
    """What a finding means, the same everywhere.

    ``error``: some Go version in the window fails to build it, or it is certainly wrong at run
    time. ``warning``: it builds but is fragile or unverifiable. ``notice``: information.
    """

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "notice": 0}[self.value]


@dataclass(frozen=True, order=True)
class Related:
    """Another place that explains a finding: the declaration, the other side of a handshake,
    the registry entry."""

    path: str
    line: int
    column: int = 1
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace the text from (line, column) up to (end_line, end_column), 1-based, end exclusive.
    An insertion has start == end."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    new_text: str

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "new_text": self.new_text,
        }


@dataclass(frozen=True, order=True)
class Fix:
    """A suggested fix: a verb phrase ("Add runtime.nanotime to the registry") and its edits."""

    message: str
    edits: tuple[TextEdit, ...]

    def to_json(self) -> dict[str, object]:
        return {"message": self.message, "edits": [e.to_json() for e in self.edits]}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or piece of advice) at one place in one file.

    ``go`` and ``platforms`` are the configurations the finding holds in. ``settings`` names the
    build settings beyond a plain ``go build`` that the finding needs ("race", "cgo",
    "GOAMD64=v3", "go test", "tag:NAME"): empty means it holds in a plain build.
    """

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
    settings: tuple[str, ...] = ()
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)
    fixes: tuple[Fix, ...] = field(default=(), compare=False)

    @property
    def versions(self) -> tuple[int, ...]:
        """The Go minor versions of ``go`` (whose labels ``bot.versions.label`` wrote)."""
        return tuple(parse_version(g) for g in self.go)

    @property
    def configs(self) -> frozenset[Config]:
        """The (version, platform) configurations the finding holds in."""
        return frozenset((v, p) for v in self.versions for p in self.platforms)

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
            "settings": list(self.settings),
            "end_line": self.end_line,
            "end_column": self.end_column,
            "related": [r.to_json() for r in self.related],
            "fixes": [f.to_json() for f in self.fixes],
        }


Kind = Literal["push", "pull", "export", "receive", "unknown"]
Object = Literal["func", "var"]


@dataclass(frozen=True)
class Directive:
    """A directive as the compiler resolves it in a set of configurations."""

    path: str
    line: int
    column: int
    local: str
    target: str  # the linker symbol: explicit, or the package's own for one-argument forms
    explicit: bool
    kind: Kind
    object: Object | None
    configs: frozenset[Config]
    package: str  # the referencing package's import path
    std: bool = False  # //go:linknamestd
    decl: Decl | None = None
    decl_path: str | None = None
    signature: str | None = None

    @property
    def go(self) -> tuple[str, ...]:
        return versions_of(self.configs)

    @property
    def platforms(self) -> tuple[str, ...]:
        return platforms_of(self.configs)

    @property
    def target_package(self) -> str:
        """The import path part of the target symbol (``runtime`` of ``runtime.nanotime``)."""
        return split_symbol(self.target)[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "local": self.local,
            "target": self.target,
            "kind": self.kind,
            "object": self.object,
            "go": list(self.go),
            "platforms": list(self.platforms),
        }


@dataclass
class Report:
    versions: tuple[int, ...]
    platforms: tuple[str, ...]
    directives: list[Directive] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: path → (configuration → build settings the file needs there), for the analysed files
    settings: Mapping[str, Mapping[Config, tuple[str, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def to_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "go": list(labels(self.versions)),
            "platforms": list(self.platforms),
            "directives": [d.to_json() for d in self.directives],
            "findings": [f.to_json() for f in self.findings],
        }
