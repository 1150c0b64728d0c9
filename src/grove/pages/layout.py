"""The page shell every reader page shares: document head, header with the tenant's name,
footer, and the stylesheet (typography first; the theme's accent colours links and rules)."""

from __future__ import annotations

import datetime as dt
import re
from html import escape

from grove.models import HEX_COLOUR_PATTERN, TenantConfig

DEFAULT_ACCENT = "#8a5a2b"
# The accent goes into CSS: only a plain hex colour may pass, anything else is ignored
# (config updates refuse anything else; a row edited in D1 directly might not).
_HEX_COLOUR = re.compile(HEX_COLOUR_PATTERN)

_STYLE = """
:root { --accent: %(accent)s; --ink: #1f1d1a; --muted: #6b655c; --paper: #fdfbf7;
  --rule: #e7e1d6; --code: #f3efe7; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #ece7de; --muted: #a59d90; --paper: #171512; --rule: #2f2b25; --code: #221f1b; }
}
* { box-sizing: border-box; }
html { font-size: 112.5%%; -webkit-text-size-adjust: 100%%; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 1rem/1.7 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif; }
a { color: var(--accent); text-underline-offset: 0.18em; text-decoration-thickness: 0.06em; }
a:hover { text-decoration-thickness: 0.12em; }
.wrap { max-width: 40rem; margin: 0 auto; padding: 0 1.25rem; }
header.site { border-bottom: 1px solid var(--rule); margin-bottom: 2.5rem; }
header.site .wrap { display: flex; align-items: baseline; justify-content: space-between;
  gap: 1rem; padding-top: 1.4rem; padding-bottom: 1rem; flex-wrap: wrap; }
.site-name { font: 700 1.15rem/1.2 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); text-decoration: none; letter-spacing: -0.01em; }
.site-name::before { content: ""; display: inline-block; width: 0.7em; height: 0.7em;
  border-radius: 50%%; background: var(--accent); margin-right: 0.5em; }
nav a { font: 0.9rem system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--muted);
  text-decoration: none; margin-left: 1rem; }
nav a:hover { color: var(--accent); }
h1, h2, h3, h4 { font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  line-height: 1.25; letter-spacing: -0.015em; margin: 2rem 0 0.75rem; }
h1 { font-size: 2.1rem; margin-top: 0; }
h2 { font-size: 1.45rem; } h3 { font-size: 1.2rem; }
p, ul, ol, blockquote, pre, table { margin: 0 0 1.25rem; }
.meta { font: 0.85rem system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--muted); }
.tags { list-style: none; padding: 0; display: flex; gap: 0.5rem; flex-wrap: wrap; }
.tags li { font: 0.78rem system-ui, sans-serif; border: 1px solid var(--rule);
  border-radius: 999px; padding: 0.1rem 0.65rem; color: var(--muted); }
.lede { font-size: 1.15rem; color: var(--muted); }
article.post .content { margin-top: 2rem; }
.content img { max-width: 100%%; height: auto; }
blockquote { border-left: 3px solid var(--accent); margin-left: 0; padding: 0.1rem 0 0.1rem 1rem;
  color: var(--muted); font-style: italic; }
code { font: 0.88em ui-monospace, "SF Mono", Menlo, Consolas, monospace; background: var(--code);
  padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: var(--code); padding: 1rem 1.1rem; border-radius: 8px; overflow-x: auto;
  line-height: 1.5; }
pre code { background: none; padding: 0; }
hr { border: 0; border-top: 1px solid var(--rule); margin: 2.5rem 0; }
table { border-collapse: collapse; width: 100%%; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.45rem 0.6rem; text-align: left; }
ol.posts { list-style: none; padding: 0; margin: 0; }
ol.posts li { padding: 1.1rem 0; border-bottom: 1px solid var(--rule); }
ol.posts li:last-child { border-bottom: 0; }
ol.posts h2 { font-size: 1.25rem; margin: 0 0 0.25rem; }
ol.posts h2 a { color: var(--ink); text-decoration: none; }
ol.posts h2 a:hover { color: var(--accent); }
ol.posts p { margin: 0.35rem 0 0; }
.pager { display: flex; justify-content: space-between; margin: 2rem 0;
  font: 0.9rem system-ui, sans-serif; }
.intro { margin-bottom: 2.5rem; }
.intro p { font-size: 1.1rem; color: var(--muted); }
footer.site { border-top: 1px solid var(--rule); margin-top: 4rem; padding: 1.5rem 0 3rem; }
footer.site p { font: 0.8rem system-ui, sans-serif; color: var(--muted); margin: 0; }
""".strip()


def accent_of(config: TenantConfig | None) -> str:
    accent = config.theme.accent if config else None
    return accent if accent and _HEX_COLOUR.match(accent) else DEFAULT_ACCENT


def format_date(ms: int | None) -> str:
    if ms is None:
        return "Unpublished"
    day = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return f"{day.day} {day:%B %Y}"


def iso_date(ms: int | None) -> str:
    return "" if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date().isoformat()


def document(
    config: TenantConfig | None, *, title: str, description: str, main: str, head: str = "", main_class: str = "wrap"
) -> str:
    """A whole page. ``head`` is trusted markup added to the document head (a page's own
    styles and scripts); ``main_class`` lets a page widen its main column."""
    site_name = config.display_name if config else "Grove"
    page_title = title if title == site_name else f"{title} · {site_name}"
    header = (
        f'<a class="site-name" href="/">{escape(site_name)}</a>'
        '<nav><a href="/">Home</a><a href="/blog">All posts</a></nav>'
        if config
        else '<span class="site-name">Grove</span>'
    )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(page_title)}</title>"
        f'<meta name="description" content="{escape(description)}">'
        f"<style>{_STYLE % {'accent': accent_of(config)}}</style>{head}</head>"
        f'<body><header class="site"><div class="wrap">{header}</div></header>'
        f'<main class="{main_class}">{main}</main>'
        f'<footer class="site"><div class="wrap"><p>{escape(site_name)} · grown on Grove</p>'
        "</div></footer></body></html>\n"
    )
