"""``linkname-bot registry …``: build the committed standard-library facts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.stdlib.facts import REGISTRY
from bot.stdlib.generate import build_registry
from bot.stdlib.layouts_gen import LAYOUT_PLATFORMS, build_layouts
from bot.versions import DEFAULT_PLATFORMS, SpecError, parse_platform

registry_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@registry_app.command()
def build(
    goroot: Annotated[
        list[Path], typer.Option(help="a GOROOT with sources (repeatable), one per Go version")
    ],
    out: Annotated[Path, typer.Option(help="output directory")] = REGISTRY,
    platform: Annotated[
        list[str] | None, typer.Option(help="GOOS/GOARCH to cover (repeatable)")
    ] = None,
) -> None:
    """Generate facts from each GOROOT's sources into OUT and update its MANIFEST.json."""
    try:
        platforms = tuple(sorted({parse_platform(p) for p in platform or DEFAULT_PLATFORMS}))
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
