"""``GET /symbols/{symbol}``: ``linkname-bot explain`` as a small HTML page, for findings to
link to."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.stdlib.explain import explain
from bot.stdlib.facts import VersionFacts

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — linkname-bot</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; }}
code {{ font: 13px ui-monospace, monospace; }}
.no {{ color: #cf222e; font-weight: 600; }} .yes {{ color: #1a7f37; }}
</style></head><body>
<h1><code>{title}</code></h1>
<p>Whether code outside the standard library may pull this symbol with
<code>//go:linkname</code>, per Go version, as each version's linker decides.</p>
<table><thead><tr><th>Go</th><th>pull</th><th>why</th><th>signature</th></tr></thead>
<tbody>{rows}</tbody></table>{shame}
</body></html>
"""


def symbol_routes(window: Callable[[], Mapping[int, VersionFacts]]) -> list[Route]:
    """The page's route; ``window`` gives the facts the server holds."""

    async def page(request: Request) -> Response:
        symbol = request.path_params["symbol"]
        answers = explain(symbol, window())
        rows = []
        for a in answers:
            pull = (
                "–"
                if a.pullable is None
                else '<span class="yes">yes</span>'
                if a.pullable
                else '<span class="no">no</span>'
            )
            sig = html.escape(a.signature or "") + (" (changed)" if a.signature_changed else "")
            rows.append(
                f"<tr><td>{a.go}</td><td>{pull}</td><td>{html.escape(a.reason)}</td>"
                f"<td><code>{sig}</code></td></tr>"
            )
        shame = sorted({p for a in answers for p in a.shame})
        note = (
            "<p>The standard library's comments name these packages as pulling it: "
            + ", ".join(f"<code>{html.escape(p)}</code>" for p in shame)
            + ".</p>"
            if shame
            else ""
        )
        status = 200 if any(a.exists for a in answers) else 404
        return HTMLResponse(
            _PAGE.format(title=html.escape(symbol), rows="".join(rows), shame=note),
            status_code=status,
        )

    return [Route("/symbols/{symbol:path}", page, methods=["GET"])]
