"""``linkname-bot check``: the work of the command, shared by its typer command and the fast
path of ``bot.cli.main`` (plain ``check`` arguments parsed without typer)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.analyse.review import run_review
from bot.fetch import local_review
from bot.fetch.local_files import InputError
from bot.findings import Report, Severity
from bot.golang.ports import expand_platforms
from bot.stdlib.coverage import Coverage, facts_coverage
from bot.stdlib.facts import FactsError
from bot.stdlib.loader import load_stdlib
from bot.versions import SpecError, parse_go_spec, span


class UsageError(Exception):
    """A usage or input error: ``linkname-bot: MESSAGE`` on stderr, exit status 2."""


def version() -> str:
    from importlib import metadata  # 20 ms of imports: only for --version and SARIF

    try:
        return metadata.version("linkname-bot")
    except metadata.PackageNotFoundError:
        return "unknown"


def run_check(
    paths: list[Path] | None = None,
    go: str | None = None,
    platform: list[str] | None = None,
    format: str = "text",
    base: str | None = None,
    head: str | None = None,
    all_: bool = False,
    config: Path | None = None,
    no_stdlib: bool = False,
    min_severity: str = "notice",
    no_suggestions: bool = False,
    jobs: int | None = None,
) -> int:
    """Review and print; returns the exit status (0, or 1 when a finding fails the policy).
    Raises UsageError."""
    if head is not None and base is None:
        raise UsageError("--head needs --base")
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
        raise UsageError(str(e)) from None
    try:
        known = facts_coverage()
    except FactsError as e:
        if not no_stdlib:
            raise UsageError(str(e)) from None
        known = None
    if known is not None:
        _check_known(known, versions, platforms)
    request = replace(request, versions=versions, platforms=platforms, known=known)
    from bot.cli.parallel import available_cpus, in_processes

    runner = in_processes(jobs or available_cpus())
    try:
        review = run_review(request, None if no_stdlib else load_stdlib, run_packages=runner)
    except (FactsError, InputError) as e:  # InputError: a file read on demand went away
        raise UsageError(str(e)) from None
    report = review.report
    if requested is not None:
        report = _only(report, requested)
    report = _shown(report, Severity(min_severity), no_suggestions)
    docs = os.environ.get("DOCS_URL") or None
    if format == "sarif":
        from bot.report import sarif as sarif_report

        policy_file = (request.config_path, request.config_text)
        sys.stdout.write(
            sarif_report.render(report, config=policy_file, tool_version=version(), docs=docs)
        )
    elif format == "text":
        from bot.report import text as text_report

        sys.stdout.write(text_report.render(report, docs=docs, config_path=request.config_path))
    else:
        sys.stdout.write(_renderer(format)(report))
    if format == "github" and (summary := os.environ.get("GITHUB_STEP_SUMMARY")):
        from bot.report import github as github_report

        with open(summary, "a", encoding="utf-8") as out:
            out.write(
                github_report.step_summary(report, config_path=request.config_path, docs=docs)
            )
    if any(review.policy.fails(f.severity) for f in report.findings):
        return 1
    return 0


def _renderer(format: str) -> Callable[[Report], str]:
    if format == "json":
        from bot.report import json as json_report

        return json_report.render
    from bot.report import github as github_report

    return github_report.render


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
        raise UsageError(
            f"--go: no standard-library facts for Go {span(missing)}; "
            f"known: Go {span(known.versions)}"
        )
    unknown = known.unknown_platforms(platforms or ())
    if unknown:
        raise UsageError(
            f"--platform: no standard-library facts for {', '.join(unknown)}; "
            f"known: {', '.join(known.platforms)}"
        )


def _only(report: Report, paths: frozenset[str]) -> Report:
    return replace(
        report,
        directives=[d for d in report.directives if d.path in paths],
        findings=[f for f in report.findings if f.path in paths],
    )
