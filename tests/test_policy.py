"""The repository policy file: validation, clear problems, salvage, suppressions."""

from __future__ import annotations

import pytest

from bot.findings import Severity, TextEdit
from bot.policy.config import parse_config
from bot.policy.edit import add_entries, registry_fix
from bot.policy.suppress import read_suppressions


def test_missing_config_gives_defaults() -> None:
    p = parse_config(None)
    assert p.problems == [] and p.entries == [] and not p.has_registry
    assert p.settings.fail_on == ["error"]
    assert p.fails(Severity.ERROR) and not p.fails(Severity.WARNING)


def test_valid_config() -> None:
    p = parse_config(
        "go: 1.22-1.27\n"
        "platforms: [linux/amd64]\n"
        "known:\n"
        "  - target: runtime.nanotime\n"
        "    local: func() int64\n"
        "    go: '1.21-1.27'\n"
        "ignore: ['internal/legacy/*']\n"
        "severity: {unknown-target: warning, platform-only: off}\n"
        "fail_on: [error, warning]\n"
    )
    assert p.problems == []
    assert p.versions() == (22, 23, 24, 25, 26, 27)
    assert p.platforms() == ("linux/amd64",)
    assert [(e.known.target, e.line) for e in p.entries] == [("runtime.nanotime", 4)]
    assert p.ignored("internal/legacy/x.go") and not p.ignored("x.go")
    assert p.severity_for("unknown-target", Severity.NOTICE) is Severity.WARNING
    assert p.severity_for("platform-only", Severity.WARNING) is None
    assert p.fails(Severity.WARNING)


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("go: [1.22\n", 2, "", "invalid YAML"),
        ("- a\n- b\n", 1, "", "must be a YAML mapping"),
        ("platforms: [linux]\n", 1, "platforms", "GOOS/GOARCH"),
        ("known:\n  - target: a.b\n    colour: red\n", 3, "known.0.colour", "unknown key 'colour'"),
        ("known:\n  - local: func()\n", 2, "known.0.target", "'target' is required here"),
        ("severity: {no-such-rule: error}\n", 1, "severity.no-such-rule", "unknown rule id"),
        ("go: 1.20\n", 1, "go", "write Go versions as strings"),
        ("fail_on: [sometimes]\n", 1, "fail_on.0", "expected 'error', 'warning' or 'notice'"),
    ],
)
def test_problems_name_file_line_and_key(text: str, line: int, key: str, words: str) -> None:
    p = parse_config(text, ".github/linkname-bot.yml")
    assert len(p.problems) == 1, p.problems
    (problem,) = p.problems
    assert (problem.path, problem.line, problem.key) == (".github/linkname-bot.yml", line, key)
    assert words in problem.message
    assert str(problem).startswith(f".github/linkname-bot.yml:{line}: ")


def test_problems_are_in_plain_words() -> None:
    p = parse_config("go: 1.20\nknown: 3\nignore: {a: b}\n")
    messages = [pr.message for pr in p.problems]
    assert len(messages) == 3
    assert not any("Value error" in m or "Input should be" in m for m in messages)
    assert messages[0].startswith("write Go versions as strings")


def test_each_unknown_rule_id_on_its_own_line_and_the_rest_applies() -> None:
    p = parse_config(
        "severity:\n  no-such-rule: error\n  unknown-target: warning\n  also-bad: off\n"
    )
    assert [(pr.line, pr.key) for pr in p.problems] == [
        (2, "severity.no-such-rule"),
        (4, "severity.also-bad"),
    ]
    assert p.severity_for("unknown-target", Severity.NOTICE) is Severity.WARNING


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/ci/secret.yml", "an absolute path"),
        ("../../secret.yml", "climbs out"),
        ("reg/../../secret.yml", "climbs out"),
        ("C:/secret.yml", "an absolute path"),
        ("~/secret.yml", "an absolute path"),
        ("reg\\..\\..\\s.yml", "backslashes"),
    ],
)
def test_registry_files_outside_the_repository_are_never_read(path: str, words: str) -> None:
    asked: list[str] = []

    def read(p: str) -> str | None:
        asked.append(p)
        return "known:\n  - target: ghp_SECRET.value\n"

    p = parse_config(f"registry_files:\n  - reg/a.yml\n  - {path!r}\n", read=read)
    assert asked == ["reg/a.yml"]  # the outside path was never asked for
    (problem,) = p.problems
    assert (problem.line, problem.key) == (3, "registry_files")
    assert words in problem.message and "not read" in problem.message


def test_one_bad_key_loses_nothing_else() -> None:
    p = parse_config(
        "platforms: [nope]\n"
        "known:\n"
        "  - target: a.b\n"
        "  - target: c.d\n"
        "    typo: 1\n"
        "  - target: e.f\n"
        "fail_on: [warning]\n"
    )
    assert {pr.key for pr in p.problems} == {"platforms", "known.1.typo"}
    assert [e.known.target for e in p.entries] == ["a.b", "e.f"]
    assert [e.line for e in p.entries] == [3, 6]
    assert p.settings.fail_on == ["warning"]


def test_registry_files_are_read_and_problems_kept() -> None:
    files = {"reg/a.yml": "known:\n  - target: x.y\n", "reg/bad.yml": "known: 3\n"}
    p = parse_config("registry_files: [reg/a.yml, reg/bad.yml, reg/missing.yml]\n", read=files.get)
    assert [(e.known.target, e.path, e.line) for e in p.entries] == [("x.y", "reg/a.yml", 2)]
    assert {(pr.path, pr.key) for pr in p.problems} == {
        ("reg/bad.yml", "known"),
        (".github/linkname-bot.yml", "registry_files"),
    }
    assert p.has_registry


def test_suppressions() -> None:
    src = (
        b"//linkname:ignore unknown-target vendored from upstream\n"
        b"x //linkname:ignore invalid-reference,signature-mismatch checked by hand\n"
        b"//linkname:ignore unknown-target\n"
        b"//linkname:ignore\n"
    )
    sups = read_suppressions(src)
    assert [(s.line, sorted(s.rules), s.reason, s.alone) for s in sups] == [
        (1, ["unknown-target"], "vendored from upstream", True),
        (2, ["invalid-reference", "signature-mismatch"], "checked by hand", False),
        (3, ["unknown-target"], "", True),
        (4, [], "", True),
    ]


def _apply(text: str | None, edit: TextEdit) -> str:
    old = text or ""
    lines = old.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1

    start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
    return old[:start] + edit.new_text + old[end:]


@pytest.mark.parametrize(
    "text",
    [
        None,
        "go: '1.23'\n",
        "go: '1.23'\nknown:\n  - target: runtime.a\n    local: func()\n# tail\n",
        "known: []  # none yet\nfail_on: [error]\n",
    ],
)
def test_registry_fix_is_the_text_edit_add_entries_makes(text: str | None) -> None:
    entry = "- target: runtime.nanotime\n  local: func() int64"
    policy = parse_config(text, ".github/linkname-bot.yml")
    fix = registry_fix(policy, entry)
    assert fix is not None and fix.message.startswith("Add runtime.nanotime to the registry")
    (edit,) = fix.edits
    assert edit.path == ".github/linkname-bot.yml"
    assert _apply(text, edit) == add_entries(text, [entry])
    assert parse_config(_apply(text, edit)).entries_for("runtime.nanotime")
