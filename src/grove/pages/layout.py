"""The page shell every page shares: document head, header with the tenant's name, footer.

The stylesheet is ``grove/static/reader.css`` (typography first), linked at its content-hashed
URL (``grove.pages.assets``); only the tenant's accent colour, which colours links and rules,
is set inline, as the ``--accent`` custom property the stylesheet uses."""

from __future__ import annotations

import datetime as dt
import re

from grove.models import HEX_COLOUR_PATTERN, TenantConfig
from grove.pages import assets
from grove.pages.escape import escape

DEFAULT_ACCENT = "#8a5a2b"
# The accent goes into CSS: only a plain hex colour may pass, anything else is ignored
# (config updates refuse anything else; a row edited in D1 directly might not).
_HEX_COLOUR = re.compile(HEX_COLOUR_PATTERN)


# Every blog's favicon: an SVG in its accent colour (grove.routes.discovery).
_ICON = '<link rel="icon" href="/favicon.svg" type="image/svg+xml">'


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


def iso_datetime(ms: int) -> str:
    """RFC 3339 in UTC to the second (``2026-01-01T00:00:00Z``): feeds, sitemaps, share tags."""
    return dt.datetime.fromtimestamp(ms // 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(
    config: TenantConfig | None,
    *,
    title: str,
    description: str,
    main: str,
    head: str = "",
    main_class: str = "wrap",
    nonce: str | None = None,
    nav: str | None = None,
    wrap_class: str = "wrap",
) -> str:
    """A whole page. ``head`` is trusted markup added to the document head (a page's own
    styles and scripts); ``main_class`` lets a page widen its main column; ``nonce`` is the
    Content-Security-Policy nonce of a page that sends one, for the inline accent style;
    ``nav`` (trusted markup) replaces the header's links; ``wrap_class`` is the header's and
    footer's column, so a page that widens its main column widens them alike (their edges line up)."""
    site_name = config.display_name if config else "Grove"
    page_title = title if title == site_name else f"{title} · {site_name}"
    links = nav if nav is not None else '<a href="/">Home</a><a href="/blog">All posts</a>'
    header = (
        f'<a class="site-name" href="/">{escape(site_name)}</a><nav>{links}</nav>'
        if config
        else '<span class="site-name">Grove</span>'
    )
    nonce_attr = "" if nonce is None else f' nonce="{escape(nonce)}"'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(page_title)}</title>"
        f'<meta name="description" content="{escape(description)}">'
        f'<link rel="stylesheet" href="{assets.ASSETS.url("reader.css")}">'
        f"{_ICON if config else ''}"
        f"<style{nonce_attr}>:root {{ --accent: {accent_of(config)}; }}</style>"
        f'<script src="{assets.ASSETS.url("session.js")}" defer{nonce_attr}></script>{head}</head>'
        f'<body><header class="site"><div class="{wrap_class}">{header}'
        # Filled after load by session.js from GET /api/me: the page bytes stay the same for all.
        '<span id="whoami" class="meta"></span></div></header>'
        f'<main class="{main_class}">{main}</main>'
        f'<footer class="site"><div class="{wrap_class}"><p>{escape(site_name)} · grown on Grove</p>'
        "</div></footer></body></html>\n"
    )
