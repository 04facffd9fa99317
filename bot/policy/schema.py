"""The policy file's schema (pydantic): imported only when there is a policy file to read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.golang.ports import ALL as ALL_PORTS
from bot.golang.ports import expand_platforms
from bot.policy.config import ConfigProblem
from bot.policy.yamlpos import YamlError, load_with_lines
from bot.versions import SpecError, parse_go_spec

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


def validate(
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


def salvage(text: str) -> tuple[Settings, dict[Any, int]]:
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
