"""The issue a re-check opens when a new Go release refuses directives that build today.

Pure. One issue per repository and Go version, found again by the hidden ``marker`` in its
body, so a later re-check updates it instead of opening another.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.analyse.release import Break, issue_title
from bot.report.links import rule_link
from bot.report.overview import cell
from bot.versions import label

MAX_BODY = 65_000  # GitHub refuses issue bodies over 65 536 characters
MAX_ROWS = 200


def marker(version: int) -> str:
    """The hidden mark that identifies the issue of ``version`` in its body."""
    return f"<!-- linkname-bot:release-issue go{label(version)} -->"


RESOLVED = "<!-- linkname-bot:resolved -->"


def _directive(b: Break) -> str:
    name = "go:linknamestd" if b.std else "go:linkname"
    return f"//{name} {b.local}" + (f" {b.target}" if b.explicit else "")


def render_issue(
    version: int, breaks: Sequence[Break], *, branch: str, sha: str
) -> tuple[str, str]:
    """The issue's title and body for the directives ``version`` refuses."""
    v = label(version)
    rows = [
        f"| `{cell(b.path)}:{b.line}` | `{cell(_directive(b))}` | "
        f"{' '.join(rule_link(r) for r in b.rules)} | {cell(b.findings[0].message)} | "
        f"{cell(b.fixes[0]) if b.fixes else '—'} |"
        for b in breaks[:MAX_ROWS]
    ]
    more = len(breaks) - len(rows)
    seen = f"the `linkname` check run on {sha[:7]}"
    lines = [
        marker(version),
        f"linkname-bot re-checked `{branch}` at `{sha}` for Go {v}: these directives build "
        f"with every older Go version the repository supports, and Go {v} refuses them. "
        "`go build ./...` and `go vet` of a library still pass; `go test`, and every binary "
        f"that imports the package, fail to link with Go {v}.",
        "",
        "| Directive | Rule | What the toolchain says | Suggested fix |",
        "|---|---|---|---|",
        *rows,
    ]
    if more > 0:
        lines += ["", f"… and {more} more: see {seen}."]
    lines += [
        "",
        "### The fix",
        "",
        "1. Use a public API that does the same job, or copy the small piece of code you need.",
        f"2. Or split the pull by version: keep it in a file built with `//go:build !go{v}` and "
        f"give Go {v} another implementation in a file built with `//go:build go{v}`.",
        "3. If the symbol should stay reachable, ask the Go project to mark it (a one-argument "
        "`//go:linkname` in its package), as the standard library does for widely used pulls.",
        "4. Last resort for your own binaries only: `go build -ldflags=-checklinkname=0` turns "
        "the linker's check off (it does not help the users of a library).",
        "",
        f"Every finding, with the full version matrix, is in {seen}. linkname-bot updates this "
        "issue when it re-checks the repository, and closes it when nothing breaks any more.",
    ]
    body = "\n".join(lines)
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + "\n\n… (cut: see the check run)"
    return issue_title(version, breaks), body


def render_resolved(version: int, *, branch: str, sha: str) -> str:
    """The body of an issue whose directives all build again."""
    v = label(version)
    return (
        f"{marker(version)}\n{RESOLVED}\n"
        f"linkname-bot re-checked `{branch}` at `{sha}`: no directive breaks on Go {v} any more."
    )
