"""Generate ``registry/stdlib/layouts-go1.N.json.gz`` with the real toolchains (build time).

For each GOROOT, ``bot/stdlib/golayouts/main.go`` is built with that toolchain and run once per
platform (go/types over the GOROOT's own sources, ``types.SizesFor("gc", GOARCH)``, the
platform's tool tags from ``go list``); the per-platform tables are merged so that an entry or
signature that is the same on several platforms is stored once (see ``bot.stdlib.layouts``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.stdlib import codec
from bot.stdlib.generate import source_version
from bot.stdlib.layouts import FORMAT, LAYOUTS_MANIFEST, layouts_file_name
from bot.versions import DEFAULT_PLATFORMS, parse_version

PROGRAM = Path(__file__).resolve().parent / "golayouts"
#: The default platforms plus two 32-bit ports.
LAYOUT_PLATFORMS: tuple[str, ...] = (*DEFAULT_PLATFORMS, "linux/386", "linux/arm")


def _go_env(goroot: Path, work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GOROOT=str(goroot),
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="-mod=mod",
        GOPATH=str(work / "gopath"),
        GOCACHE=str(work / "cache"),
        CGO_ENABLED="0",
        **extra,
    )
    return env


def run_program(goroot: Path, platforms: Sequence[str], work: Path) -> dict[str, dict[str, Any]]:
    """platform → the program's JSON output for that platform."""
    go = str(goroot / "bin" / "go")
    binary = work / "layouts"
    subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=PROGRAM,
        env=_go_env(goroot, work),
        check=True,
    )
    out: dict[str, dict[str, Any]] = {}
    for platform in platforms:
        goos, goarch = platform.split("/")
        env = _go_env(goroot, work, GOOS=goos, GOARCH=goarch)
        tags = subprocess.run(
            [go, "list", "-f", '{{join context.ToolTags ","}}', "unsafe"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=work,
        ).stdout.strip()
        done = subprocess.run(
            [
                str(binary),
                "-goroot",
                str(goroot),
                "-goos",
                goos,
                "-goarch",
                goarch,
                "-tooltags",
                tags,
            ],
            env=_go_env(goroot, work),
            check=True,
            capture_output=True,
        )
        out[platform] = json.loads(done.stdout)
    return out


class _Interner:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[str, int] = {}

    def add(self, item: Any) -> int:
        key = json.dumps(item, separators=(",", ":"))
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.items)
            self.items.append(item)
        return found


def _remap_ref(ref: int | str, ids: list[int]) -> int | str:
    return ref if isinstance(ref, str) else ids[ref]


def _remap_entry(e: list[Any], ids: list[int]) -> list[Any]:
    tag = e[0]
    if tag in ("p", "s"):
        return [tag, _remap_ref(e[1], ids)]
    if tag == "a":
        return [tag, e[1], _remap_ref(e[2], ids), e[3], e[4]]
    if tag == "t":
        return [tag, e[1], e[2], [[f[0], f[1], _remap_ref(f[2], ids), f[3]] for f in e[3]]]
    return e


def _remap_sig(sig: list[Any], ids: list[int]) -> list[Any]:
    if sig and sig[0] == "v":
        return ["v", _remap_ref(sig[1], ids)]
    params = [[n, _remap_ref(r, ids)] for n, r in sig[0]]
    results = [[n, _remap_ref(r, ids)] for n, r in sig[1]]
    return [params, results, sig[2]]


def _placed(by_index: Mapping[tuple[int, ...], frozenset[str]], order: Sequence[str]) -> str:
    """``3`` (the same everywhere) or ``3:mask,9:mask``."""
    everywhere = frozenset(order)
    if len(by_index) == 1:
        ((key, plats),) = by_index.items()
        if plats == everywhere:
            return ",".join(map(str, key))
    parts = []
    for key, plats in sorted(by_index.items(), key=lambda kv: min(order.index(p) for p in kv[1])):
        mask = codec.mask(plats, order)
        parts += [f"{i}:{mask}" for i in key]
    return ",".join(parts)


def _compact(item: Any) -> str:
    return json.dumps(item, separators=(",", ":"), ensure_ascii=False)


def merge(go: str, per_platform: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One version's document from the program's per-platform outputs."""
    order = tuple(sorted(per_platform))
    types, sigs = _Interner(), _Interner()
    named: dict[str, dict[tuple[int, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    rows: dict[str, dict[tuple[int, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    contracts: dict[str, str] = {}
    for platform in order:
        doc = per_platform[platform]
        ids: list[int] = []
        for e in doc["types"]:
            ids.append(types.add(_remap_entry(e, ids)))
        for name, index in doc["named"].items():
            if index is not None:
                named[name][(ids[index],)].add(platform)
        for symbol, found in doc["symbols"].items():
            key = tuple(dict.fromkeys(sigs.add(_remap_sig(s, ids)) for s in found))
            rows[symbol][key].add(platform)
        contracts.update(doc.get("contracts", {}))
    names = sorted(rows)
    return {
        "format": FORMAT,
        "go": go,
        "minor": parse_version(go),
        "platforms": list(order),
        "types": "\n".join(_compact(t) for t in types.items),
        "types_named": "\n".join(sorted(named)),
        "types_rows": "\n".join(
            _placed({k: frozenset(v) for k, v in named[n].items()}, order) for n in sorted(named)
        ),
        "sigs": "\n".join(_compact(s) for s in sigs.items),
        "names": "\n".join(names),
        "rows": "\n".join(
            _placed({k: frozenset(v) for k, v in rows[n].items()}, order) for n in names
        ),
        "contracts": dict(sorted(contracts.items())),
    }


def build_layouts(
    goroots: Sequence[Path], out: Path, platforms: Sequence[str] = LAYOUT_PLATFORMS
) -> dict[str, Any]:
    """Write one layouts file per GOROOT into ``out`` and update ``LAYOUTS.json``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LAYOUTS_MANIFEST
    manifest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    manifest["format"] = FORMAT
    versions: dict[str, Any] = manifest.setdefault("versions", {})
    for goroot in goroots:
        go = source_version(goroot)
        with tempfile.TemporaryDirectory(prefix="layouts-") as tmp:
            document = merge(go, run_program(goroot, platforms, Path(tmp)))
        data = codec.dump(document)
        name = layouts_file_name(document["minor"])
        (out / name).write_bytes(data)
        versions[str(document["minor"])] = {
            "go": go,
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "platforms": document["platforms"],
        }
    manifest["versions"] = dict(sorted(versions.items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
