"""``linkname-bot explain`` and ``GET /symbols/{symbol}`` against the facts and the linker."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.queue import open_queue
from bot.service.server import build_app
from bot.settings import Settings
from bot.stdlib.explain import VersionAnswer, explain, render_text
from bot.stdlib.facts import Window, load_window


@pytest.fixture(scope="module")
def window() -> Window:
    return load_window()


def by_go(symbol: str, window: Window) -> dict[str, VersionAnswer]:
    return {a.go: a for a in explain(symbol, window)}


def test_refused_from_1_23_with_the_signature_change_of_1_26(window: Window) -> None:
    answers = by_go("runtime.gcount", window)
    assert [answers[g].pullable for g in ("1.22", "1.23", "1.27")] == [True, False, False]
    assert "not marked by runtime" in answers["1.23"].reason
    assert answers["1.26"].signature == "func(bool) int32"
    assert answers["1.26"].signature_changed and not answers["1.27"].signature_changed


def test_blocked_and_linknamestd_name_who_may_pull(window: Window) -> None:
    answers = by_go("runtime.newcoro", window)
    assert not answers["1.21"].exists
    assert "from iter only" in answers["1.23"].reason
    assert "linknamestd" in answers["1.27"].reason


def test_a_symbol_whose_package_moved(window: Window) -> None:
    old = by_go("runtime/internal/syscall.Syscall6", window)
    new = by_go("internal/runtime/syscall.Syscall6", window)
    assert old["1.22"].exists and not old["1.23"].exists
    assert "package does not exist" in old["1.23"].reason
    assert new["1.23"].exists and not new["1.22"].exists


def test_text_names_the_hall_of_shame_once(window: Window) -> None:
    text = render_text("runtime.memhash32", explain("runtime.memhash32", window))
    assert text.count("named by the standard library as pulling it") == 1
    assert "parquet-go" in text


def test_cli_json_has_one_entry_per_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "runtime.nanotime", "--go", "1.22-1.24", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [v["go"] for v in doc["versions"]] == ["1.22", "1.23", "1.24"]
    assert all(v["pullable"] is True and v["signature"] == "func() int64" for v in doc["versions"])


def test_cli_refuses_versions_without_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "runtime.nanotime", "--go", "1.99"]) == 2
    assert "no standard-library facts for Go 1.99" in capsys.readouterr().err


async def test_symbol_page() -> None:
    app = build_app(Settings(), queue=open_queue("memory://"), stdlib=None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot"
    ) as client:
        page = await client.get("/symbols/runtime.gcount")
        missing = await client.get("/symbols/runtime.nosuchthing")
    assert page.status_code == 200 and "<code>runtime.gcount</code>" in page.text
    assert page.text.count('class="no"') == 5  # refused on 1.23–1.27
    assert missing.status_code == 404


@pytest.mark.toolchain
@pytest.mark.parametrize("minor", [23, 27])
def test_pullable_is_what_the_linker_does(minor: int, tmp_path: Path, window: Window) -> None:
    from bot.testing.toolchains import go_env

    cases = {"runtime.nanotime": "func() int64", "runtime.gcount": "func() int32"}
    if minor >= 26:
        cases["runtime.gcount"] = "func(bool) int32"
    cases["runtime.memhash32"] = "func(p unsafe.Pointer, h uintptr) uintptr"
    for symbol, sig in cases.items():
        module = tmp_path / symbol.replace(".", "_")
        module.mkdir()
        (module / "go.mod").write_text("module example.com/user\n\ngo 1.21\n")
        name = symbol.split(".")[1]
        params = sig.removeprefix("func")
        (module / "main.go").write_text(
            'package main\n\nimport "unsafe"\n\nvar _ unsafe.Pointer\n\n'
            f"//go:linkname {name} {symbol}\nfunc {name}{params}\n\n"
            f"func main() {{ _ = {name} }}\n"
        )
        built = subprocess.run(
            ["go", "build", "-o", "/dev/null", "."],
            cwd=module,
            env=go_env(minor, tmp_path),
            capture_output=True,
            text=True,
        )
        answer = by_go(symbol, window)[f"1.{minor}"]
        assert answer.pullable == (built.returncode == 0), (symbol, minor, built.stderr)
