"""Plain text for a terminal: findings grouped by file and directive, then the suggested
registry entries as one snippet, the rules' documentation and a one-line summary.

```
a/a.go:7:1: //go:linkname gcount runtime.gcount (pull of func gcount)
  error: the linker refuses this pull in Go 1.23–1.27 (…) [invalid-reference]
```

A finding on no directive (a policy-file problem) keeps the one-line form
``path:line:col: severity: message [rule]``.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from bot.findings import Report
from bot.report.groups import Group, fact_text, group_findings, plain
from bot.report.links import rule_url
from bot.report.suggestions import registry_suggestions

CONFIG_PATH = ".github/linkname-bot.yml"


def _finding_lines(g: Group, window: tuple[str, ...], indent: str) -> list[str]:
    out = []
    for fact in g.facts:
        out.append(f"{indent}{fact.severity}: {plain(fact_text(fact, window))} [{g.rule}]")
    return out


def render(
    report: Report,
    *,
    docs: str | None = None,
    config_path: str | None = None,
    suggestions: bool = True,
) -> str:
    window = report.platforms
    directives = {(d.path, d.line): d for d in report.directives}
    groups = group_findings(report.findings)
    lines: list[str] = []
    for path, in_file in groupby(groups, key=lambda g: g.path):
        if lines:
            lines.append("")
        for (_, line), at_line in groupby(in_file, key=lambda g: (g.path, g.line)):
            here = list(at_line)
            d = directives.get((path, line))
            if d is None:
                for g in here:
                    lines += [
                        f"{path}:{line}:{g.column}: {s.lstrip()}"
                        for s in _finding_lines(g, window, "")
                    ]
                continue
            name = "go:linknamestd" if d.std else "go:linkname"
            text = f"//{name} {d.local}" + (f" {d.target}" if d.explicit else "")
            what = f"{d.kind} of {d.object} {d.local}" if d.object else d.kind
            lines.append(f"{path}:{line}:{d.column}: {text} ({what})")
            for g in here:
                lines += _finding_lines(g, window, "  ")
    sugg = registry_suggestions(report.findings)
    if suggestions and sugg.entries:
        lines += ["", f"Suggested registry entries (under known: in {config_path or CONFIG_PATH}):"]
        lines += ["  " + s for s in sugg.snippet.splitlines()]
    if suggestions and sugg.withheld:
        lines += ["", "Not suggested for the registry:"]
        lines += [f"  {w.path}:{w.line}: {w.target}: {w.reason}" for w in sugg.withheld]
    seen = sorted({g.rule for g in groups})
    if seen:
        lines.append("")
    lines.extend(f"[{r}]: {rule_url(r, docs)}" for r in seen)
    counts = Counter(g.severity.value for g in groups)
    lines.append(
        f"{len(report.directives)} directive(s); {counts['error']} error(s), "
        f"{counts['warning']} warning(s), {counts['notice']} notice(s)"
    )
    return "\n".join(lines) + "\n"
