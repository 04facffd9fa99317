"""The repository's policy: ``.github/linkname-bot.yml``, schema-validated.

A broken file never stops a review: ``parse_config`` returns the defaults plus ``ConfigProblem``s
that name the file, line and key, and the caller reports them as ``config-error`` findings.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.findings import Severity
from bot.golang.ports import ALL as ALL_PORTS
from bot.golang.ports import expand_platforms
from bot.policy.paths import OutsideRepository, outside
from bot.rules import RULES
from bot.versions import label, parse_go_spec, parse_platform, span

if TYPE_CHECKING:  # the schema (pydantic, yaml) is imported only to read a policy file
    from bot.policy.schema import KnownTarget, Settings

CONFIG_PATH = ".github/linkname-bot.yml"


@dataclass
class PolicySettings:
    """The policy's settings (``bot.policy.schema.Settings`` once validated; the defaults
    without a policy file, read without the schema)."""

    go: str | None = None
    platforms: list[str] | None = None
    known: list[KnownTarget] = field(default_factory=list)
    registry_files: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: list[str] = field(default_factory=lambda: ["error"])
    tags: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, model: Settings) -> PolicySettings:
        return cls(
            go=model.go,
            platforms=model.platforms,
            known=model.known,
            registry_files=model.registry_files,
            ignore=model.ignore,
            severity=dict(model.severity),
            fail_on=list(model.fail_on),
            tags=model.tags,
        )


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f" (key `{self.key}`)" if self.key else ""
        return f"{self.path}:{self.line}: {self.message}{where}"


@dataclass(frozen=True)
class Entry:
    """A registry entry and where it is written (for findings placed on it)."""

    known: KnownTarget
    path: str
    line: int


@dataclass
class Policy:
    settings: PolicySettings = field(default_factory=PolicySettings)
    entries: list[Entry] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)
    config_path: str | None = None
    text: str | None = None  # the policy file as read (None: there is none)
    registry_file_lines: tuple[int, ...] = ()  # where the policy names each registry file

    @property
    def has_registry(self) -> bool:
        return bool(self.entries) or bool(self.settings.registry_files)

    def versions(self) -> tuple[int, ...] | None:
        return parse_go_spec(self.settings.go) if self.settings.go else None

    def platforms(self) -> tuple[str, ...] | None:
        p = self.settings.platforms
        return expand_platforms(p) if p else None

    def ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, g) for g in self.settings.ignore)

    def severity_for(self, rule: str, default: Severity) -> Severity | None:
        """The configured severity of a rule; None when the rule is turned off."""
        s = self.settings.severity.get(rule)
        if s is None:
            return default
        return None if s == "off" else Severity(s)

    def build_tags(self) -> frozenset[str]:
        return frozenset(self.settings.tags)

    def fails(self, severity: Severity) -> bool:
        return severity.value in self.settings.fail_on

    def entries_for(self, target: str) -> list[Entry]:
        return [e for e in self.entries if e.known.target == target]


def _entries(
    known: list[KnownTarget], lines: dict[tuple[str | int, ...], int], path: str, key: str = "known"
) -> list[Entry]:
    return [Entry(k, path, lines.get((key, i), 1)) for i, k in enumerate(known)]


class Known(Protocol):
    """What the standard-library facts cover (``bot.stdlib.coverage.Coverage``)."""

    @property
    def versions(self) -> tuple[int, ...]: ...

    @property
    def platforms(self) -> tuple[str, ...]: ...


def parse_config(
    text: str | None, path: str = CONFIG_PATH, read: Any = None, known: Known | None = None
) -> Policy:
    """Build the policy from the config text (None: defaults). ``read(path) -> str | None``
    fetches the ``registry_files``; problems in any file are collected, never raised.
    With ``known``, Go versions and platforms the facts do not cover are problems on their
    line, and the review goes on without them."""
    policy = parse_policy(text, path, known)
    read_registry_files(policy, read)
    return policy


def parse_policy(text: str | None, path: str = CONFIG_PATH, known: Known | None = None) -> Policy:
    """The policy file alone: its settings and ``known`` entries, not yet the entries of the
    ``registry_files`` it names (``read_registry_files`` adds those). With ``known``, Go
    versions and platforms the facts do not cover are problems on their line."""
    policy = Policy(config_path=path if text is not None else None, text=text)
    if text is None:
        return policy
    from bot.policy.schema import Settings, salvage, validate

    model, lines, problems = validate(Settings, text, path)
    policy.problems += problems
    if model is None:
        model, lines = salvage(text)
    assert isinstance(model, Settings)
    policy.settings = settings = PolicySettings.of(model)
    policy.problems += _unknown_rules(settings, lines, path)
    policy.entries = _entries(settings.known, lines, path)
    if known is not None:
        _drop_unknown(policy, lines, path, known)
    policy.registry_file_lines = tuple(
        lines.get(("registry_files", i), lines.get(("registry_files",), 1))
        for i in range(len(settings.registry_files))
    )
    return policy


def read_registry_files(policy: Policy, read: Any) -> None:
    """Add the entries of the policy's ``registry_files``, read with ``read(path)``. A path
    that leads out of the repository is a problem and is never read."""
    path = policy.config_path or CONFIG_PATH
    for extra, line in zip(policy.settings.registry_files, policy.registry_file_lines, strict=True):
        why = outside(extra)
        if why is not None:
            policy.problems.append(_outside(path, line, extra, why))
            continue
        try:
            content = read(extra) if read is not None else None
        except OutsideRepository as e:
            policy.problems.append(_outside(path, line, extra, str(e)))
            continue
        if content is None:
            policy.problems.append(
                ConfigProblem(path, line, "registry_files", f"registry file {extra!r} not found")
            )
            continue
        from bot.policy.schema import RegistryFile, validate

        reg, reg_lines, reg_problems = validate(RegistryFile, content, extra)
        policy.problems += reg_problems
        if isinstance(reg, RegistryFile):
            policy.entries += _entries(reg.known, reg_lines, extra)


def _outside(path: str, line: int, extra: str, why: str) -> ConfigProblem:
    message = (
        f"registry file {extra!r} is {why}: paths in the policy must stay inside the "
        "repository, so it was not read"
    )
    return ConfigProblem(path, line, "registry_files", message)


def _unknown_rules(
    model: PolicySettings, lines: dict[tuple[str | int, ...], int], path: str
) -> list[ConfigProblem]:
    """One problem per unknown rule id under ``severity``, on its own line; the ids are
    dropped so the rest of the mapping applies."""
    out = []
    for rule_id in [r for r in model.severity if r not in RULES]:
        line = lines.get(("severity", rule_id), lines.get(("severity",), 1))
        message = f"unknown rule id {rule_id!r} (the rules are listed in docs/rules/)"
        out.append(ConfigProblem(path, line, f"severity.{rule_id}", message))
        del model.severity[rule_id]
    return out


def _drop_unknown(
    policy: Policy, lines: dict[tuple[str | int, ...], int], path: str, known: Known
) -> None:
    """``go:`` naming versions without facts, ``platforms:`` entries without facts: a problem
    on the offending line each; the review keeps the covered rest (or the defaults)."""
    settings = policy.settings
    have = span(known.versions)
    versions = policy.versions()
    if versions is not None:
        missing = sorted(set(versions) - set(known.versions))
        if missing:
            message = f"no standard-library facts for Go {span(missing)}; the bot knows Go {have}"
            policy.problems.append(ConfigProblem(path, lines.get(("go",), 1), "go", message))
            kept = [label(v) for v in versions if v in known.versions]
            settings.go = ",".join(kept) or None
    if settings.platforms:
        kept_platforms = []
        for i, p in enumerate(settings.platforms):
            if p == ALL_PORTS or parse_platform(p) in known.platforms:
                kept_platforms.append(p)
                continue
            line = lines.get(("platforms", i), lines.get(("platforms",), 1))
            message = (
                f"no standard-library facts for {p}; the bot knows {', '.join(known.platforms)}"
            )
            policy.problems.append(ConfigProblem(path, line, f"platforms.{i}", message))
        settings.platforms = kept_platforms or None
