"""Generate ``registry/stdlib/layouts-go1.N.json.gz`` with the real toolchains (build time).

For each GOROOT, ``bot/stdlib/golayouts/main.go`` is built with that toolchain and run once per
platform (go/types over the GOROOT's own sources, ``types.SizesFor("gc", GOARCH)``, the
platform's tool tags from ``go list``); the per-platform tables are merged so that an entry or
signature that is the same on several platforms is stored once (see ``bot.stdlib.layouts``).
"""

from __future__ import annotations

import gzip
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
from bot.stdlib.layouts import FORMAT, LAYOUTS_MANIFEST, SHARED_FILE, layouts_file_name
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


#: Old index → new index: a list (in order) or a mapping.
Ids = Mapping[int, int] | list[int]


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


def _remap_ref(ref: int | str, ids: Ids) -> int | str:
    return ref if isinstance(ref, str) else ids[ref]


def _remap_entry(e: list[Any], ids: Ids) -> list[Any]:
    tag = e[0]
    if tag in ("p", "s"):
        return [tag, _remap_ref(e[1], ids)]
    if tag == "a":
        return [tag, e[1], _remap_ref(e[2], ids), e[3], e[4]]
    if tag == "t":
        return [tag, e[1], e[2], [[f[0], f[1], _remap_ref(f[2], ids), f[3]] for f in e[3]]]
    return e


def _remap_sig(sig: list[Any], ids: Ids) -> list[Any]:
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


def _remap_placed(text: str, ids: Mapping[int, int]) -> str:
    """``3:a,9:5`` with each index mapped through ``ids``."""
    parts = []
    for part in text.split(","):
        index, colon, mask = part.partition(":")
        parts.append(f"{ids[int(index)]}{colon}{mask}")
    return ",".join(parts)


def _indices(text: str) -> list[int]:
    return [int(part.partition(":")[0]) for part in text.split(",") if part]


def _children(entry: list[Any]) -> list[int]:
    tag = entry[0]
    if tag in ("p", "s"):
        refs = [entry[1]]
    elif tag == "a":
        refs = [entry[2]]
    elif tag == "t":
        refs = [f[2] for f in entry[3]]
    else:
        refs = []
    return [r for r in refs if isinstance(r, int)]


def _sig_refs(sig: list[Any]) -> list[int]:
    if sig and sig[0] == "v":
        return [sig[1]] if isinstance(sig[1], int) else []
    return [r for _, r in [*sig[0], *sig[1]] if isinstance(r, int)]


def share(documents: Mapping[int, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[int, Any]]:
    """Move the types and signatures of every version's document into one shared table (each
    stored once for all versions and platforms): (shared document, per-version documents whose
    rows index it)."""
    types, sigs = _Interner(), _Interner()
    out: dict[int, Any] = {}
    for minor in sorted(documents):
        doc = documents[minor]
        local_types = [json.loads(t) for t in doc["types"].split("\n")]
        local_sigs = doc["sigs"].split("\n")
        used_sigs = sorted({i for row in doc["rows"].split("\n") for i in _indices(row)})
        reached: set[int] = set()
        stack = [i for row in doc["types_rows"].split("\n") for i in _indices(row)]
        decoded_sigs = {i: json.loads(local_sigs[i]) for i in used_sigs}
        stack += [r for sig in decoded_sigs.values() for r in _sig_refs(sig)]
        while stack:
            i = stack.pop()
            if i not in reached:
                reached.add(i)
                stack += _children(local_types[i])
        ids: dict[int, int] = {}
        for i in sorted(reached):  # children come before the entries that refer to them
            ids[i] = types.add(_remap_entry(local_types[i], ids))
        sig_ids = {i: sigs.add(_remap_sig(decoded_sigs[i], ids)) for i in used_sigs}
        version = {k: v for k, v in doc.items() if k not in ("types", "sigs")}
        version["types_rows"] = "\n".join(
            _remap_placed(r, ids) for r in doc["types_rows"].split("\n")
        )
        version["rows"] = "\n".join(_remap_placed(r, sig_ids) for r in doc["rows"].split("\n"))
        version["shared"] = True
        out[minor] = version
    shared = {
        "format": FORMAT,
        "types": "\n".join(_compact(t) for t in types.items),
        "sigs": "\n".join(_compact(x) for x in sigs.items),
    }
    return shared, out


def _existing(out: Path, manifest: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """The committed versions, each with its tables (the shared ones) as its own (for
    ``share``)."""
    shared_entry = manifest.get("shared")
    shared: dict[str, Any] = {}
    if shared_entry and (out / shared_entry["file"]).exists():
        shared = json.loads(gzip.decompress((out / shared_entry["file"]).read_bytes()))
    found: dict[int, dict[str, Any]] = {}
    for minor, entry in manifest.get("versions", {}).items():
        path = out / entry["file"]
        if not path.exists():
            continue
        doc = json.loads(gzip.decompress(path.read_bytes()))
        if doc.get("shared"):
            if not shared:
                continue
            doc = {**doc, "types": shared["types"], "sigs": shared["sigs"]}
        found[int(minor)] = doc
    return found


def build_layouts(
    goroots: Sequence[Path], out: Path, platforms: Sequence[str] = LAYOUT_PLATFORMS
) -> dict[str, Any]:
    """Lay out each GOROOT's version, then write every version's file (the committed ones kept)
    and the shared table into ``out``, and ``LAYOUTS.json``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LAYOUTS_MANIFEST
    manifest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    documents = _existing(out, manifest)
    for goroot in goroots:
        go = source_version(goroot)
        with tempfile.TemporaryDirectory(prefix="layouts-") as tmp:
            document = merge(go, run_program(goroot, platforms, Path(tmp)))
        documents[document["minor"]] = document
    return write_layouts(out, documents)


def write_layouts(out: Path, documents: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """Write the shared table and one file per version, and ``LAYOUTS.json``."""
    path = out / LAYOUTS_MANIFEST
    shared, versions = share(documents)
    data = codec.dump(shared)
    (out / SHARED_FILE).write_bytes(data)
    entries: dict[str, Any] = {}
    manifest = {
        "format": FORMAT,
        "shared": {"file": SHARED_FILE, "sha256": hashlib.sha256(data).hexdigest()},
        "versions": entries,
    }
    for minor, document in sorted(versions.items()):
        data = codec.dump(document)
        name = layouts_file_name(minor)
        (out / name).write_bytes(data)
        entries[str(minor)] = {
            "go": document["go"],
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "platforms": document["platforms"],
        }
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
