"""The typer application of ``linkname-bot`` (``bot.cli.main`` runs plain ``check`` without it)."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import bot.cli
from bot.cli.check import UsageError, run_check, version
from bot.stdlib.cli import registry_app, usage_error
from bot.stdlib.facts import FactsError
from bot.versions import SpecError, parse_go_spec

cli_doc = bot.cli.__doc__

app = typer.Typer(add_completion=False, no_args_is_help=True, help=cli_doc, rich_markup_mode=None)
app.add_typer(registry_app, name="registry", help="Build the committed standard-library facts.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"linkname-bot {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", callback=_print_version, is_eager=True
        ),
    ] = False,
    registry: Annotated[
        Path | None,
        typer.Option(
            help="a registry directory (registry add) over the packaged standard-library facts"
        ),
    ] = None,
) -> None:
    """Review //go:linkname directives in Go code."""
    if registry is not None:  # read by bot.stdlib.facts.registry_dir, as the App's setting is
        os.environ["REGISTRY_DIR"] = str(registry)


class MinSeverity(StrEnum):
    error = "error"
    warning = "warning"
    notice = "notice"


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or directories (default .)")
    ] = None,
    go: Annotated[
        str | None, typer.Option(help="Go versions: 1.23, 1.22-1.27 or 1.22,1.24")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="GOOS/GOARCH to judge (repeatable; all: every port)")
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
    min_severity: Annotated[
        MinSeverity,
        typer.Option(help="report only findings at this severity or above (they alone fail)"),
    ] = MinSeverity.notice,
    no_suggestions: Annotated[
        bool, typer.Option("--no-suggestions", help="leave out suggested registry entries")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="processes to judge packages in (default: the CPUs available; a tree with "
            "fewer than 100 files with directives is judged in one)",
        ),
    ] = None,
) -> None:
    """Report what every //go:linkname directive is and what the toolchains will say."""
    try:
        status = run_check(
            paths,
            go,
            platform,
            format.value,
            base,
            head,
            all_,
            config,
            no_stdlib,
            min_severity.value,
            no_suggestions,
            jobs,
        )
    except UsageError as e:
        raise usage_error(str(e)) from None
    if status:
        raise typer.Exit(status)


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def explain(
    symbol: Annotated[str, typer.Argument(help="a linker symbol: runtime.nanotime, pkg.(*T).m")],
    go: Annotated[
        str | None, typer.Option(help="Go versions (default: every version the facts have)")
    ] = None,
    format: Annotated[ExplainFormat, typer.Option(help="output format")] = ExplainFormat.text,
) -> None:
    """Say, for each Go version, whether SYMBOL exists and whether code outside the standard
    library may pull it, and why."""
    import json

    from bot.stdlib.explain import explain as explain_symbol
    from bot.stdlib.explain import render_text
    from bot.stdlib.facts import available_versions, load_window

    try:
        known = available_versions()
        versions = parse_go_spec(go) if go else known
        unknown = [v for v in versions if v not in known]
        if unknown:
            have = ", ".join(f"1.{v}" for v in known)
            raise usage_error(
                f"no standard-library facts for Go 1.{unknown[0]} (the facts cover {have})"
            )
        answers = explain_symbol(symbol, load_window(versions))
    except (SpecError, FactsError) as e:
        raise usage_error(str(e)) from None
    if format is ExplainFormat.json:
        doc = {"symbol": symbol, "versions": [a.to_json() for a in answers]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(symbol, answers))


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
        raise usage_error(f"invalid setting {e}") from None
    configure_logging(settings.log_level)
    run_server(settings, host=host or settings.host, port=port or settings.port)


@app.command("recheck-installations")
def recheck_installations(
    go: Annotated[
        str | None,
        typer.Option(help="the new Go version, e.g. 1.28 (default: the newest in the facts)"),
    ] = None,
) -> None:
    """Queue a re-check of every installed repository's default branch for a Go release
    (the running App's worker does them; QUEUE_URL must be the App's queue)."""
    import asyncio
    import uuid

    from bot.queue import open_queue
    from bot.service.recheck import UnknownVersion, enqueue_rechecks, release_version
    from bot.service.server import github_app
    from bot.settings import SettingsError, load_settings
    from bot.versions import label, parse_version

    try:
        settings = load_settings()
        version = release_version(parse_version(go) if go else None)
    except (SettingsError, SpecError, UnknownVersion) as e:
        raise usage_error(str(e)) from None
    if not settings.configured:
        raise usage_error("the App is not configured: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET")

    async def run() -> str:
        queue = open_queue(settings.queue_url)
        client = github_app(settings)
        try:
            done = await enqueue_rechecks(client, queue, version, f"recheck-{uuid.uuid4()}")
        finally:
            await client.aclose()
            await queue.close()
        return (
            f"queued {done.queued} re-check jobs for Go {label(version)}: "
            f"{done.repositories} repositories in {done.installations} installations"
            + (f" ({done.skipped} skipped: archived or suspended)" if done.skipped else "")
        )

    typer.echo(asyncio.run(run()))
