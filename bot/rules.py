"""The catalogue of rule ids: stable, kebab-case, each with a default severity and a doc page."""

from __future__ import annotations

from dataclasses import dataclass

from bot.findings import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE

DOCS_BASE = "https://github.com/linkname-bot/linkname-bot/blob/main/docs/rules/"


@dataclass(frozen=True)
class Rule:
    """A rule: its id, default severity, one-line summary and family.

    ``build_failure``: an error of this rule predicts that a build fails (what cmd/compile or
    cmd/link of some version says). Such a finding is never graded below ``error`` by a
    repository's policy, and a registry entry never vouches for the directive.
    """

    id: str
    severity: Severity
    summary: str
    family: str  # "compile" (what cmd/compile says), "link", "policy" or "parse"
    build_failure: bool = False

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"


def _compile(rule_id: str, severity: Severity, summary: str) -> Rule:
    return Rule(rule_id, severity, summary, "compile", build_failure=severity is E)


def _link(rule_id: str, severity: Severity, summary: str, *, build_failure: bool = True) -> Rule:
    return Rule(rule_id, severity, summary, "link", build_failure=build_failure and severity is E)


def _policy(rule_id: str, severity: Severity, summary: str) -> Rule:
    return Rule(rule_id, severity, summary, "policy")


def _parse(rule_id: str, severity: Severity, summary: str) -> Rule:
    return Rule(rule_id, severity, summary, "parse")


_RULES = [
    # What cmd/compile rejects (or silently ignores).
    _compile("malformed-directive", E, "the directive has the wrong number of fields"),
    _compile("missing-unsafe-import", E, "the file uses //go:linkname without importing unsafe"),
    _compile("unknown-local", E, "the local name is not a package-level func or var"),
    _compile("instantiated-target", E, "the target names a generic instantiation"),
    _compile("generic-local", E, "a generic func cannot be linknamed (bodiless, or instantiated)"),
    _compile("duplicate-directive", E, "the same local is linknamed twice"),
    _compile("misplaced-directive", E, "the directive follows code on the same line"),
    _compile("ignored-directive", W, "the compiler silently ignores this near-miss directive"),
    _compile(
        "inert-directive", N, "the compiler reads this directive and ignores it (go line < 1.18)"
    ),
    # What cmd/link of each version does.
    _link("invalid-reference", E, "the linker refuses this pull of a standard-library symbol"),
    _link("undefined-target", E, "nothing can define the target (std or the repository)"),
    _link(
        "duplicate-definition", E, "a push defines a symbol the standard library already defines"
    ),
    _link("platform-only", W, "the target exists on some platforms the file builds on, not all"),
    _link(
        "signature-mismatch",
        E,
        "the local declaration disagrees with the target's signature",
        build_failure=False,  # it builds; it is wrong at run time
    ),
    # The repository's own policy.
    _policy("unknown-target", N, "the target is not in the repository's registry of known targets"),
    _policy("registry-mismatch", W, "the declaration disagrees with the registry entry"),
    _policy("stale-registry-entry", W, "a registry entry no longer matches the standard library"),
    _policy("handshake-incomplete", W, "one side of a linkname handshake is missing"),
    _policy("unjustified-suppression", W, "a //linkname:ignore comment gives no reason"),
    _policy("config-error", E, "the repository's linkname-bot configuration is invalid"),
    _parse(
        "unchecked-directive",
        N,
        "the directive is listed but not checked there: no facts for that Go version or port",
    ),
    _parse(
        "parse-error", N, "part of the file could not be parsed; directives there may be missed"
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def family(name: str) -> frozenset[str]:
    """The ids of one family of rules."""
    return frozenset(r.id for r in _RULES if r.family == name)
