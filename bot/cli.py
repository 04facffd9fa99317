"""``linkname-bot``: check Go code locally, build standard-library facts, serve the App."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.analyse.engine import Report
from bot.analyse.review import run_review
from bot.fetch import local_review
from bot.fetch.local_files import InputError
from bot.report import github as github_report
from bot.report import json as json_report
from bot.report import sarif as sarif_report
from bot.report import text as text_report
from bot.stdlib.cli import registry_app
from bot.stdlib.facts import FactsError
from bot.stdlib.loader import load_stdlib
from bot.versions import SpecError, parse_go_spec, parse_platform

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(registry_app, name="registry")


@app.callback()
def _root() -> None:
    """Review //go:linkname directives in Go code."""


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


RENDERERS: dict[Format, Callable[[Report], str]] = {
    Format.text: text_report.render,
    Format.json: json_report.render,
    Format.github: github_report.render,
}


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
    base: Annotated[
        str | None, typer.Option(help="report only what changed since this git revision")
    ] = None,
    head: Annotated[
        str | None, typer.Option(help="with --base: the revision to review (default: work tree)")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="with --base: report everything, not only the change")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="policy file (default: .github/linkname-bot.yml)")
    ] = None,
    no_stdlib: Annotated[
        bool, typer.Option("--no-stdlib", help="skip the standard-library (link-level) rules")
    ] = False,
) -> None:
    """Report what every //go:linkname directive is and what the toolchains will say."""
    if head is not None and base is None:
        raise _fail("--head needs --base")
    try:
        versions = parse_go_spec(go) if go else None
        platforms = tuple(sorted({parse_platform(p) for p in platform})) if platform else None
        requested: frozenset[str] | None = None
        if base is not None:
            request = local_review.from_git((paths or [Path(".")])[0], base, head, config)
            if all_:
                request = replace(request, scopes=None)
        else:
            request, tree = local_review.from_paths(paths or [Path(".")], config)
            requested = tree.requested
    except (SpecError, InputError) as e:
        raise _fail(str(e)) from None
    request = replace(request, versions=versions, platforms=platforms)
    try:
        review = run_review(request, None if no_stdlib else load_stdlib)
    except FactsError as e:
        raise _fail(str(e)) from None
    report = review.report
    if requested is not None:
        report = _only(report, requested)
    if format is Format.sarif:
        policy_file = (request.config_path, request.config_text)
        sys.stdout.write(sarif_report.render(report, config=policy_file))
    else:
        sys.stdout.write(RENDERERS[format](report))
    if any(review.policy.fails(f.severity) for f in report.findings):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="address to listen on (default: HOST or 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="port to listen on (default: PORT or 3000)")
    ] = None,
) -> None:
    """Run the GitHub App: webhook endpoint and review worker in one process."""
    from bot.service.server import serve as run_server
    from bot.settings import SettingsError, load_settings
    from bot.webhook.logs import configure_logging

    try:
        settings = load_settings()
    except SettingsError as e:
        raise _fail(f"invalid setting {e}") from None
    configure_logging(settings.log_level)
    run_server(settings, host=host or settings.host, port=port or settings.port)


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
