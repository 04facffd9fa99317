"""``linkname-bot``: check Go code locally, build standard-library facts, serve the App."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.analyse.engine import Report, analyse
from bot.fetch.local_files import InputError, load
from bot.findings import Severity
from bot.report import json as json_report
from bot.report import text as text_report
from bot.versions import SpecError, parse_go_spec, parse_platform

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@app.callback()
def _root() -> None:
    """Review //go:linkname directives in Go code."""


class Format(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"linkname-bot: {message}", err=True)
    return typer.Exit(2)


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or directories (default .)")
    ] = None,
    go: Annotated[
        str | None, typer.Option(help="Go versions: 1.23, 1.22-1.27 or 1.22,1.24")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="GOOS/GOARCH to judge (repeatable)")
    ] = None,
    format: Annotated[Format, typer.Option(help="output format")] = Format.text,
) -> None:
    """Report what every //go:linkname directive is and what the toolchains will say."""
    try:
        versions = parse_go_spec(go) if go else None
        platforms = tuple(sorted({parse_platform(p) for p in platform})) if platform else None
        tree = load(paths or [Path(".")])
    except (SpecError, InputError) as e:
        raise _fail(str(e)) from None
    report = analyse(tree.workspace, versions, platforms)
    if tree.requested is not None:
        report = _only(report, tree.requested)
    render = json_report.render if format is Format.json else text_report.render
    sys.stdout.write(render(report))
    if any(f.severity is Severity.ERROR for f in report.findings):
        raise typer.Exit(1)


def _only(report: Report, paths: frozenset[str]) -> Report:
    return replace(
        report,
        directives=[d for d in report.directives if d.path in paths],
        findings=[f for f in report.findings if f.path in paths],
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 clean, 1 errors found, 2 usage or input error)."""
    try:
        app(args=argv if argv is not None else sys.argv[1:], prog_name="linkname-bot")
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
