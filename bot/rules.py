"""The catalogue of rule ids: stable, kebab-case, each with a default severity and a doc page."""

from __future__ import annotations

from dataclasses import dataclass

from bot.findings import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE

DOCS_BASE = "https://github.com/linkname-bot/linkname-bot/blob/main/docs/rules/"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"


_RULES = [
    # What cmd/compile rejects (or silently ignores).
    Rule("malformed-directive", E, "the directive has the wrong number of fields"),
    Rule("missing-unsafe-import", E, "the file uses //go:linkname without importing unsafe"),
    Rule("unknown-local", E, "the local name is not a package-level func or var"),
    Rule("instantiated-target", E, "the target names a generic instantiation"),
    Rule("generic-local", E, "a generic func without a body cannot be linknamed"),
    Rule("duplicate-directive", E, "the same local is linknamed twice"),
    Rule("misplaced-directive", E, "the directive follows code on the same line"),
    Rule("ignored-directive", W, "the compiler silently ignores this near-miss directive"),
    # What cmd/link of each version does.
    Rule("invalid-reference", E, "the linker refuses this pull of a standard-library symbol"),
    Rule("undefined-target", E, "the target does not exist in the standard library"),
    Rule("duplicate-definition", E, "a push defines a symbol the standard library already defines"),
    Rule("platform-only", W, "the target exists on some platforms the file builds on, not all"),
    Rule("signature-mismatch", E, "the local declaration disagrees with the target's signature"),
    # The repository's own policy.
    Rule("unknown-target", N, "the target is not in the repository's registry of known targets"),
    Rule("registry-mismatch", W, "the declaration disagrees with the registry entry"),
    Rule("stale-registry-entry", W, "a registry entry no longer matches the standard library"),
    Rule("handshake-incomplete", W, "one side of a linkname handshake is missing"),
    Rule("unjustified-suppression", W, "a //linkname:ignore comment gives no reason"),
    Rule("config-error", E, "the repository's linkname-bot configuration is invalid"),
    Rule("parse-error", N, "part of the file could not be parsed; directives there may be missed"),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
