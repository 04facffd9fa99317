"""GitHub Actions workflow commands: ``::error file=…,line=…::message``."""

from __future__ import annotations

from bot.findings import Report, Severity

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        title = f"{f.rule} (Go {', '.join(f.go)})" if f.go else f.rule
        props = ",".join(
            f"{k}={_escape_property(v)}"
            for k, v in (
                ("file", f.path),
                ("line", str(f.line)),
                ("col", str(f.column)),
                ("title", title),
            )
        )
        body = f.message + (f"\n\n{f.suggestion}" if f.suggestion else "")
        lines.append(f"::{_COMMAND[f.severity]} {props}::{_escape_data(body)}")
    return "\n".join(lines) + ("\n" if lines else "")
