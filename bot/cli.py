"""linkname-bot: check Go code locally, build standard-library facts, serve the App."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

from bot.analyse.review import run_review
from bot.fetch import local_review
from bot.fetch.local_files import InputError
from bot.findings import Report, Severity
from bot.golang.ports import expand_platforms
from bot.report import github as github_report
from bot.report import json as json_report
from bot.report import sarif as sarif_report
from bot.report import text as text_report
from bot.stdlib.cli import registry_app
from bot.stdlib.coverage import Coverage, facts_coverage
from bot.stdlib.facts import FactsError
from bot.stdlib.loader import load_stdlib
from bot.versions import SpecError, parse_go_spec, span

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode=None)
app.add_typer(registry_app, name="registry", help="Build the committed standard-library facts.")


def _version() -> str:
    try:
        return metadata.version("linkname-bot")
    except metadata.PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"linkname-bot {_version()}")
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
) -> None:
    """Report what every //go:linkname directive is and what the toolchains will say."""
    if head is not None and base is None:
        raise _fail("--head needs --base")
    try:
        versions = parse_go_spec(go) if go else None
        platforms = expand_platforms(platform) if platform else None
        requested: frozenset[str] | None = None
        if base is not None and all_:
            local_review.verify_revision((paths or [Path(".")])[0], base)
        if base is not None and all_ and head is not None:
            request = local_review.from_git_tree(paths or [Path(".")], head, config)
        elif base is not None and not all_:
            request = local_review.from_git((paths or [Path(".")])[0], base, head, config)
        else:  # with --base --all and the work tree: exactly what plain `check PATH` reports
            request, tree = local_review.from_paths(paths or [Path(".")], config)
            requested = tree.requested
    except (SpecError, InputError) as e:
        raise _fail(str(e)) from None
    try:
        known = facts_coverage()
    except FactsError as e:
        if not no_stdlib:
            raise _fail(str(e)) from None
        known = None
    if known is not None:
        _check_known(known, versions, platforms)
    request = replace(request, versions=versions, platforms=platforms, known=known)
    try:
        review = run_review(request, None if no_stdlib else load_stdlib)
    except FactsError as e:
        raise _fail(str(e)) from None
    report = review.report
    if requested is not None:
        report = _only(report, requested)
    report = _shown(report, Severity(min_severity.value), no_suggestions)
    docs = os.environ.get("DOCS_URL") or None
    if format is Format.sarif:
        policy_file = (request.config_path, request.config_text)
        sys.stdout.write(
            sarif_report.render(report, config=policy_file, tool_version=_version(), docs=docs)
        )
    elif format is Format.text:
        sys.stdout.write(text_report.render(report, docs=docs, config_path=request.config_path))
    else:
        sys.stdout.write(RENDERERS[format](report))
    if format is Format.github and (summary := os.environ.get("GITHUB_STEP_SUMMARY")):
        with open(summary, "a", encoding="utf-8") as out:
            out.write(
                github_report.step_summary(report, config_path=request.config_path, docs=docs)
            )
    if any(review.policy.fails(f.severity) for f in report.findings):
        raise typer.Exit(1)


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
            raise _fail(f"no standard-library facts for Go 1.{unknown[0]} (the facts cover {have})")
        answers = explain_symbol(symbol, load_window(versions))
    except (SpecError, FactsError) as e:
        raise _fail(str(e)) from None
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
        raise _fail(f"invalid setting {e}") from None
    configure_logging(settings.log_level)
    run_server(settings, host=host or settings.host, port=port or settings.port)


def _shown(report: Report, least: Severity, no_suggestions: bool) -> Report:
    """Findings at ``least`` or above; without suggestions when asked."""
    found = [f for f in report.findings if f.severity.rank >= least.rank]
    if no_suggestions:
        found = [replace(f, suggestion=None, fixes=()) for f in found]
    return replace(report, findings=found)


def _check_known(
    known: Coverage, versions: tuple[int, ...] | None, platforms: tuple[str, ...] | None
) -> None:
    """A Go version or port the facts do not cover is a usage error, named with what is known."""
    missing = known.unknown_versions(versions or ())
    if missing:
        raise _fail(
            f"--go: no standard-library facts for Go {span(missing)}; "
            f"known: Go {span(known.versions)}"
        )
    unknown = known.unknown_platforms(platforms or ())
    if unknown:
        raise _fail(
            f"--platform: no standard-library facts for {', '.join(unknown)}; "
            f"known: {', '.join(known.platforms)}"
        )


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
        raise _fail(str(e)) from None
    if not settings.configured:
        raise _fail("the App is not configured: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET")

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


def _only(report: Report, paths: frozenset[str]) -> Report:
    return replace(
        report,
        directives=[d for d in report.directives if d.path in paths],
        findings=[f for f in report.findings if f.path in paths],
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 clean, 1 errors found, 2 usage or input error)."""
    registry = os.environ.get("REGISTRY_DIR")  # --registry sets it for this run only
    try:
        app(args=argv if argv is not None else sys.argv[1:], prog_name="linkname-bot")
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 2
    finally:
        if registry is None:
            os.environ.pop("REGISTRY_DIR", None)
        else:
            os.environ["REGISTRY_DIR"] = registry
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
