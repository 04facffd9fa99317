"""``linkname-bot registry …``: build the committed standard-library facts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.stdlib.facts import REGISTRY
from bot.stdlib.generate import build_registry
from bot.versions import SpecError, parse_platform

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
