"""Plain text: one finding a line, then a summary."""

from __future__ import annotations

from collections import Counter

from bot.findings import Report
from bot.rules import RULES


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        scope = ""
        if f.go:  # findings on the policy file apply to no particular version
            scope = f" (Go {_versions(f.go)}"
            scope += f"; {', '.join(f.platforms)})" if f.platforms != report.platforms else ")"
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.severity}: {f.message}{scope} [{f.rule}]")
        if f.suggestion:
            lines.extend("    " + s for s in f.suggestion.splitlines())
    counts = Counter(f.severity.value for f in report.findings)
    seen = sorted({f.rule for f in report.findings})
    lines.extend(f"[{r}]: {RULES[r].help_uri}" for r in seen if r in RULES)
    lines.append(
        f"{len(report.directives)} directive(s); {counts['error']} error(s), "
        f"{counts['warning']} warning(s), {counts['notice']} notice(s)"
    )
    return "\n".join(lines) + "\n"


def _versions(go: tuple[str, ...]) -> str:
    if len(go) > 2:
        minors = [int(v.split(".")[1]) for v in go]
        if minors == list(range(minors[0], minors[-1] + 1)):
            return f"{go[0]}–{go[-1]}"
    return ", ".join(go)
