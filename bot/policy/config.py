"""The repository's policy: ``.github/linkname-bot.yml``, schema-validated.

A broken file never stops a review: ``parse_config`` returns the defaults plus ``ConfigProblem``s
that name the file, line and key, and the caller reports them as ``config-error`` findings.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.findings import Severity
from bot.golang.ports import ALL as ALL_PORTS
from bot.golang.ports import expand_platforms
from bot.policy.paths import OutsideRepository, outside
from bot.policy.yamlpos import YamlError, load_with_lines
from bot.rules import RULES
from bot.versions import SpecError, label, parse_go_spec, parse_platform, span

CONFIG_PATH = ".github/linkname-bot.yml"
SeverityName = Literal["error", "warning", "notice"]


def _go_spec(value: Any) -> str:
    if isinstance(value, (int, float)):
        raise ValueError('write Go versions as strings, e.g. "1.22-1.27" (YAML reads 1.20 as 1.2)')
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ValueError('expected a version spec like "1.23", "1.22-1.27" or "1.22,1.24"')
    try:
        parse_go_spec(value)
    except SpecError as e:
        raise ValueError(str(e)) from None
    return value


class KnownTarget(BaseModel):
    """One entry of the registry of known targets."""

    model_config = ConfigDict(extra="forbid")

    target: str
    local: str | None = None
    remote: str | None = None
    go: str | None = None
    note: str | None = None

    @field_validator("go", mode="before")
    @classmethod
    def _check_go(cls, v: Any) -> str | None:
        return None if v is None else _go_spec(v)

    def versions(self) -> tuple[int, ...] | None:
        return parse_go_spec(self.go) if self.go else None


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    known: list[KnownTarget] = Field(default_factory=list)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    go: str | None = None
    platforms: list[str] | None = None
    known: list[KnownTarget] = Field(default_factory=list)
    registry_files: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Literal["error", "warning", "notice", "off"]] = Field(default_factory=dict)
    fail_on: list[SeverityName] = Field(default_factory=lambda: list[SeverityName](["error"]))
    #: Custom build tags the repository builds with: findings in files that need them keep
    #: their full severity (otherwise they are warnings naming the tag).
    tags: list[str] = Field(default_factory=list)

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, v: list[str]) -> list[str]:
        for tag in v:
            if not tag or not all(c.isalnum() or c in "_." for c in tag):
                raise ValueError(f"not a build tag: {tag!r} (letters, digits, _ and . only)")
        return v

    @field_validator("go", mode="before")
    @classmethod
    def _check_go(cls, v: Any) -> str | None:
        return None if v is None else _go_spec(v)

    @field_validator("platforms", mode="before")
    @classmethod
    def _all_is_a_list(cls, v: Any) -> Any:
        """``platforms: all`` means every port of ``go tool dist list``."""
        return [v] if v == ALL_PORTS else v

    @field_validator("platforms")
    @classmethod
    def _check_platforms(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            try:
                expand_platforms(v)
            except SpecError as e:
                raise ValueError(str(e)) from None
        return v

    @field_validator("severity", mode="before")
    @classmethod
    def _off_is_false(cls, v: Any) -> Any:
        """YAML 1.1 reads an unquoted ``off`` as ``false``."""
        if isinstance(v, dict):
            return {k: ("off" if x is False else x) for k, x in v.items()}
        return v


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
    settings: Settings = field(default_factory=Settings)
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


def _validate(
    model: type[BaseModel], text: str, path: str
) -> tuple[BaseModel | None, dict[tuple[str | int, ...], int], list[ConfigProblem]]:
    try:
        data, lines = load_with_lines(text)
    except YamlError as e:
        return None, {}, [ConfigProblem(path, e.line, "", str(e))]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, lines, [ConfigProblem(path, 1, "", "the file must be a YAML mapping")]
    try:
        return model.model_validate(data), lines, []
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            line = _line_of(loc, lines)
            key = ".".join(str(x) for x in loc)
            problems.append(ConfigProblem(path, line, key, plain_message(err)))
        return None, lines, problems


def plain_message(err: Any) -> str:
    """A validation error in plain words, not the validation library's."""
    kind, loc, msg = err.get("type", ""), err.get("loc", ()), str(err.get("msg", ""))
    name = repr(loc[-1]) if loc else "this key"
    expected = (err.get("ctx") or {}).get("expected")
    plain = {
        "extra_forbidden": f"unknown key {name}",
        "missing": f"{name} is required here",
        "literal_error": f"expected {expected}" if expected else msg,
        "string_type": "expected text",
        "list_type": "expected a list (- item lines or [a, b])",
        "dict_type": "expected a mapping (key: value lines)",
        "model_type": "expected a mapping (key: value lines)",
    }.get(kind)
    if plain is not None:
        return plain
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _line_of(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int:
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


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
    model, lines, problems = _validate(Settings, text, path)
    policy.problems += problems
    if model is None:
        model, lines = _salvage(text, path, policy)
    assert isinstance(model, Settings)
    policy.settings = model
    policy.problems += _unknown_rules(model, lines, path)
    policy.entries = _entries(model.known, lines, path)
    if known is not None:
        _drop_unknown(policy, lines, path, known)
    policy.registry_file_lines = tuple(
        lines.get(("registry_files", i), lines.get(("registry_files",), 1))
        for i in range(len(model.registry_files))
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
        reg, reg_lines, reg_problems = _validate(RegistryFile, content, extra)
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
    model: Settings, lines: dict[tuple[str | int, ...], int], path: str
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


def _salvage(text: str, path: str, policy: Policy) -> tuple[Settings, dict[Any, int]]:
    """Keep every top-level key that validates on its own, so one typo loses nothing else."""
    try:
        data, lines = load_with_lines(text)
    except YamlError:
        return Settings(), {}
    if not isinstance(data, dict):
        return Settings(), {}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        try:
            Settings.model_validate({key: value})
        except ValidationError:
            if key == "known" and isinstance(value, list):
                kept["known"] = [v for v in value if _valid_entry(v)]
            continue
        kept[key] = value
    settings = Settings.model_validate(kept)
    if "known" in kept and isinstance(data.get("known"), list):
        good = [i for i, v in enumerate(data["known"]) if _valid_entry(v)]
        lines = {**lines, **{("known", j): lines.get(("known", i), 1) for j, i in enumerate(good)}}
    return settings, lines


def _valid_entry(v: Any) -> bool:
    try:
        KnownTarget.model_validate(v)
    except ValidationError:
        return False
    return True
