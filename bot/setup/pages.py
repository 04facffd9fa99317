"""The App's HTML pages share one small stylesheet, inline: no external assets, no scripts."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

PRODUCT = "linkname-bot"

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --bg: #ffffff; --panel: #f6f8fa; --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1;
  --line: #3d444d; --bg: #0d1117; --panel: #151b23; --accent: #4493f8; --ok: #3fb950;
  --bad: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
header { border-bottom: 1px solid var(--line); background: var(--panel); padding: .7rem 0; }
header .brand { font-weight: 600; color: var(--fg); text-decoration: none; }
main, header > div { max-width: 46rem; margin: 0 auto; padding: 0 1.2rem; }
main { padding-top: 1.2rem; padding-bottom: 2.5rem; }
h1 { font-size: 1.5rem; margin: .6rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
a { color: var(--accent); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--panel);
  border: 1px solid var(--line); border-radius: 4px; padding: 0 .25em; }
button { font: inherit; color: #fff; background: var(--ok); border: 0; border-radius: 6px;
  padding: .45rem 1rem; cursor: pointer; }
input { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); }
.note { border-left: 3px solid var(--bad); padding: .2rem .8rem; background: var(--panel); }
.ok { color: var(--ok); } .bad { color: var(--bad); }
""".strip()

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{style}</style></head>
<body>
<header><div><a class="brand" href="/">{product}</a></div></header>
<main>
<h1>{heading}</h1>
{body}
</main>
</body></html>
"""


def render_page(heading: str, body: str) -> str:
    """A whole page; ``heading`` is plain text (escaped), ``body`` is HTML."""
    heading = heading.removeprefix(f"{PRODUCT}: ")
    title = heading if PRODUCT in heading else f"{heading} · {PRODUCT}"
    return TEMPLATE.format(
        title=html.escape(title),
        heading=html.escape(heading),
        product=PRODUCT,
        style=STYLE,
        body=body,
    )


def page(heading: str, body: str, status: int = 200) -> HTMLResponse:
    """The page as a response that is never cached and sends no referrer."""
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(render_page(heading, body), status_code=status, headers=headers)
