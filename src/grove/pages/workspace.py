"""The author's workspace at ``/admin``: dashboard, settings, analytics, and the shell they
share with the editor (header links, sign-out, the stylesheets and scripts).

Rendered on the server like the reader's pages (``grove.pages.layout``, every value through
``escape``); ``grove/static/workspace.js`` adds what needs the API from the browser (sign-out,
the new-post form, saving settings, the members list), calling it with the browser's own
credentials (``credentials: "same-origin"``). Every page is private to its caller and carries
the Content-Security-Policy of ``grove.pages.csp``.

Header and main column share one width (``wrap wide``), so the page's left edge lines up with
the header's on a desktop, and every block wraps or scrolls inside itself on a 390 px phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal
from urllib.parse import quote

from grove.accounts import MembershipRow, UserRow
from grove.analytics import Summary
from grove.cache_keys import list_path
from grove.models import Role, TenantConfig
from grove.pages import assets
from grove.pages.escape import escape
from grove.pages.layout import accent_of, document
from grove.posts_store import WorkspacePage
from grove.tenant_rpc import DraftSummary
from grove.tiers import StorageLocation

Section = Literal["posts", "account", "settings", "analytics", "editor"]
SIGN_IN_PATH = "/auth/sign-in"
WIDE = "wrap wide"

# What the dashboard calls each storage location (grove.tiers has the hot/warm/cold table).
TIER_LABELS: dict[StorageLocation, str] = {"d1": "hot · D1", "r2": "warm · R2", "r2_archived": "cold · archive"}


def sign_in_url(next_path: str) -> str:
    return f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}"


def format_time(ms: int) -> str:
    """``28 Nov 2026, 04:15 UTC``: the dashboard's times (UTC: the same for every viewer)."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


_CURRENT = ' aria-current="page"'


def _nav(role: Role, current: Section) -> str:
    links: list[tuple[Section, str, str]] = [("posts", "/admin", "Posts"), ("account", "/admin/account", "Account")]
    if role == "owner":
        links.append(("settings", "/admin/settings", "Settings"))
        links.append(("analytics", "/admin/analytics", "Analytics"))
    items = "".join(
        f'<a href="{href}"{_CURRENT if name == current else ""}>{label}</a>' for name, href, label in links
    )
    return f'{items}<a href="/">Blog</a><button id="sign-out" type="button" class="link">Sign out</button>'


def workspace_document(
    config: TenantConfig, *, title: str, main: str, nonce: str, role: Role, section: Section,
    styles: Sequence[str] = (), scripts: Sequence[str] = (),
) -> str:
    """An author's page: ``main`` is trusted markup; ``styles``/``scripts`` name static files
    (``workspace.css`` and ``workspace.js`` are always there)."""
    head = "".join(f'<link rel="stylesheet" href="{assets.ASSETS.url(name)}">' for name in ("workspace.css", *styles))
    tags = "".join(
        f'<script src="{assets.ASSETS.url(name)}" nonce="{escape(nonce)}"></script>\n' for name in ("workspace.js", *scripts)
    )
    return document(
        config, title=title, description=title, main=main + tags, head=head, nonce=nonce,
        main_class=f"{WIDE} workspace {section}", nav=_nav(role, section), wrap_class=WIDE,
    )


# --- refusals for browsers ------------------------------------------------------------------


def refusal_page(config: TenantConfig | None, next_path: str, reason: str, *, signed_in: bool) -> str:
    """Why a workspace page was refused, and the way on: signing in (``signed_in=False``: no
    session, or it ended) or signing in as someone else (signed in without the role)."""
    sign_in = escape(sign_in_url(next_path))
    title, link = (
        ("Not allowed", f'<a href="{sign_in}">Sign in with another account</a> · <a href="/">Back to the blog</a>')
        if signed_in
        else ("Sign in to continue", f'<a class="button" href="{sign_in}">Sign in</a>')
    )
    main = f"<h1>{title}</h1><p>{escape(reason)}</p><p>{link}</p>"
    return document(config, title=title, description=title, main=main)


# --- dashboard ------------------------------------------------------------------------------


def _editor_link(slug: str, title: str) -> str:
    return f'<a class="title" href="/admin/editor/{escape(slug)}">{escape(title or slug)}</a>'


def _row(link: str, *meta: str) -> str:
    parts = "".join(f"<span>{part}</span>" for part in meta if part)
    return f'<li>{link}<p class="meta">{parts}</p></li>'


def dashboard_page(
    config: TenantConfig, *, page: WorkspacePage, drafts: list[DraftSummary], nonce: str, role: Role
) -> str:
    new_post = (
        '<form id="new-post" class="inline-form"><label for="new-slug">New post</label>'
        '<input id="new-slug" name="slug" placeholder="a-slug-for-the-url" required maxlength="80"'
        ' pattern="[a-z0-9]+(-[a-z0-9]+)*" autocomplete="off">'
        '<button type="submit">Write</button>'
        '<span class="hint">lower-case letters, digits and dashes</span></form>'
    )
    draft_rows = "".join(
        _row(
            _editor_link(d["slug"], d["title"]),
            '<span class="badge status-new">new · draft</span>',
            f"saved {escape(format_time(d['saved_at_ms']))}",
            f"<code>{escape(d['slug'])}</code>",
        )
        for d in drafts
    )
    post_rows = "".join(
        _row(
            _editor_link(p["slug"], p["title"]),
            f'<span class="badge status-{escape(p["status"])}">{escape(p["status"])}</span>',
            f"updated {escape(format_time(p['updated_at_ms']))}",
            f'<span class="tier">{escape(TIER_LABELS.get(p["storage_location"], p["storage_location"]))}</span>',
            f'<a href="/blog/{escape(p["slug"])}">view</a>' if p["published_at_ms"] is not None else "",
        )
        for p in page.posts
    )
    pager = _pager(page)
    main = (
        '<div class="heading"><h1>Posts</h1></div>'
        f"{new_post}"
        + (f'<section><h2>Drafts of new posts</h2><ul class="work-list" id="new-drafts">{draft_rows}</ul></section>' if drafts else "")
        + '<section><h2>All posts</h2>'
        + (f'<ul class="work-list" id="posts">{post_rows}</ul>{pager}' if page.posts else '<p class="meta" id="posts">No posts yet.</p>')
        + "</section>"
    )
    return workspace_document(config, title="Posts", main=main, nonce=nonce, role=role, section="posts")


def _pager(page: WorkspacePage) -> str:
    """Links to the more recently and less recently updated pages (keyset cursors)."""
    links: list[str] = []
    if page.newer_cursor is not None:
        links.append(f'<a rel="prev" href="{escape(list_path("/admin", None, page.newer_cursor))}">← More recent</a>')
    if page.older_cursor is not None:
        links.append(f'<a rel="next" href="{escape(list_path("/admin", None, page.older_cursor))}">Older →</a>')
    return f'<nav class="pager" aria-label="More posts">{"".join(links)}</nav>' if links else ""


# --- account --------------------------------------------------------------------------------


def handoff_href(tenant: str, host_suffix: str, next_path: str = "/admin") -> str:
    """A link that moves the session to ``{tenant}{host_suffix}`` without another email
    (``GET /auth/handoff``, ``grove.routes.sign_in_routes``)."""
    return f"/auth/handoff?to={quote(tenant + host_suffix, safe='.:')}&next={quote(next_path, safe='/')}"


def account_page(
    config: TenantConfig, *, user: UserRow, memberships: list[MembershipRow], here: str, host_suffix: str,
    nonce: str, role: Role,
) -> str:
    """The writer's own things: display name (bylines, feeds, comments), the blogs they write
    for (each a hand-off link to its workspace) and Meadow, and personal API tokens for this blog."""
    blogs = "".join(
        f'<li><a href="{escape("/admin" if m["tenant"] == here else handoff_href(m["tenant"], host_suffix))}"'
        f'{_CURRENT if m["tenant"] == here else ""}>{escape(m["display_name"])}</a>'
        f' <span class="meta">{escape(m["tenant"])} · {escape(m["role"])}</span></li>'
        for m in memberships
    )
    meadow = f'<li><a href="{escape(handoff_href("meadow", host_suffix, "/"))}">Meadow</a> <span class="meta">the feed of the authors you follow</span></li>'
    main = (
        '<div class="heading"><h1>Account</h1></div>'
        f'<p class="meta">Signed in as <strong>{escape(user["email"])}</strong>.</p>'
        '<form id="profile" class="stacked" novalidate>'
        '<label for="user-display-name">Your name</label>'
        f'<input id="user-display-name" name="display_name" value="{escape(user["display_name"])}" maxlength="100" required'
        ' autocomplete="name">'
        '<span class="hint">Shown on your posts, in feeds and beside your comments.</span>'
        '<p><button type="submit">Save name</button> <span id="profile-result" class="notice" role="status"></span></p>'
        "</form>"
        f'<section id="your-blogs"><h2>Your blogs</h2><ul class="member-list" id="blog-list">{blogs}{meadow}</ul>'
        '<p class="meta">Moving to another blog keeps you signed in: no new email.</p></section>'
        '<section id="tokens-section"><h2>API tokens for this blog</h2>'
        '<p class="meta">For scripts and API clients (<code>Authorization: Bearer …</code>). A token is shown once.</p>'
        '<form id="new-token" class="inline-form"><label for="token-label">Label</label>'
        '<input id="token-label" name="label" maxlength="100" placeholder="laptop script" autocomplete="off">'
        + _role_select("token-role", role)
        + '<button type="submit">Create token</button></form>'
        '<div id="token-created" class="notice" role="status" hidden></div>'
        '<div id="tokens" data-state="loading"><p class="meta">Loading tokens…</p></div></section>'
    )
    return workspace_document(config, title="Account", main=main, nonce=nonce, role=role, section="account")


def _role_select(element_id: str, role: Role) -> str:
    """Roles up to the caller's own (a token or an invite can have at most that)."""
    roles = ["author", "owner"] if role == "owner" else ["author"]
    options = "".join(f'<option value="{r}">{r}</option>' for r in roles)
    return f'<label for="{element_id}" class="visually-hidden">Role</label><select id="{element_id}" name="role">{options}</select>'


# --- settings -------------------------------------------------------------------------------


def settings_page(config: TenantConfig, *, nonce: str) -> str:
    tagline = config.theme.tagline or ""
    accent = accent_of(config)
    main = (
        '<div class="heading"><h1>Settings</h1></div>'
        '<form id="settings" class="stacked" novalidate>'
        '<label for="display-name">Blog name</label>'
        f'<input id="display-name" name="display_name" value="{escape(config.display_name)}" maxlength="100" required>'
        '<label for="tagline">Tagline</label>'
        f'<input id="tagline" name="tagline" value="{escape(tagline)}" maxlength="200">'
        '<label for="accent">Accent colour</label>'
        f'<span class="colour"><input id="accent" name="accent" type="color" value="{escape(_six_digit(accent))}">'
        f'<input id="accent-text" value="{escape(accent)}" maxlength="7" aria-label="Accent colour (hex)"></span>'
        '<p><button type="submit">Save settings</button> <span id="settings-result" class="notice" role="status"></span></p>'
        "</form>"
        '<section id="members-section"><h2>Members</h2>'
        '<form id="invite" class="inline-form" novalidate><label for="invite-email">Invite</label>'
        '<input id="invite-email" name="email" type="email" placeholder="name@example.com" maxlength="320" required autocomplete="off">'
        + _role_select("invite-role", "owner")
        + '<button type="submit">Send invite</button>'
        '<span class="hint">They get a sign-in link; signing in with that address makes them a member.</span></form>'
        '<p id="members-result" class="notice" role="status" hidden></p>'
        '<div id="members" data-state="loading"><p class="meta">Loading members…</p></div></section>'
    )
    return workspace_document(config, title="Settings", main=main, nonce=nonce, role="owner", section="settings")


def _six_digit(colour: str) -> str:
    """``<input type=color>`` takes only ``#rrggbb``: ``#abc`` becomes ``#aabbcc``."""
    if len(colour) == 4:
        return "#" + "".join(c * 2 for c in colour[1:]).lower()
    return colour.lower()


# --- analytics ------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 240, 36


def views_chart(summary: Summary) -> str:
    """Views per day as an inline SVG bar chart: one bar a day (a zero day is a hairline), the
    highest count and the first and last dates labelled, each bar titled with its day and
    count (a tooltip, and text for screen readers)."""
    days = summary["views_per_day"]
    peak = max((d["views"] for d in days), default=0)
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / max(len(days), 1)
    bar_w = max(step * 0.7, 1.0)
    bars: list[str] = []
    for i, day in enumerate(days):
        height = 0.0 if peak == 0 else inner_h * day["views"] / peak
        height = max(height, 1.0)
        x = CHART_PAD + i * step + (step - bar_w) / 2
        y = CHART_PAD + inner_h - height
        label = f"{day['date']}: {day['views']} view{'s' if day['views'] != 1 else ''}"
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
    base_y = CHART_PAD + inner_h
    first, last = (days[0]["date"], days[-1]["date"]) if days else ("", "")
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-label="Views per day, {escape(first)} to {escape(last)}; at most {peak} a day">'
        f'<line class="axis" x1="{CHART_PAD}" y1="{base_y}" x2="{CHART_WIDTH - CHART_PAD}" y2="{base_y}"/>'
        f'<text class="label" x="{CHART_PAD}" y="{CHART_PAD - 10}">{peak} views</text>'
        f'<text class="label" x="{CHART_PAD}" y="{CHART_HEIGHT - 8}">{escape(first)}</text>'
        f'<text class="label end" x="{CHART_WIDTH - CHART_PAD}" y="{CHART_HEIGHT - 8}">{escape(last)}</text>'
        f"{''.join(bars)}</svg>"
    )


def analytics_page(config: TenantConfig, summary: Summary, *, nonce: str, choices: Sequence[int]) -> str:
    days = summary["days"]
    ranges = " ".join(
        f'<a href="/admin/analytics?days={n}"{_CURRENT if n == days else ""}>{n} days</a>' for n in choices
    )
    rows = "".join(
        f"<tr><td><code>{escape(p['path'])}</code></td><td class=\"num\">{p['views']}</td></tr>" for p in summary["top_paths"]
    )
    top = (
        f'<div class="scroll-x"><table id="top-paths"><thead><tr><th>Path</th><th class="num">Views</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        if rows
        else '<p class="meta" id="top-paths">No page views in this period.</p>'
    )
    main = (
        f'<div class="heading"><h1>Analytics</h1><p class="meta ranges">{ranges}</p></div>'
        f'<p><strong id="total-views">{summary["total_views"]}</strong> page views in the last {days} days (UTC days; '
        "events reach the chart within a minute or so).</p>"
        f"<figure>{views_chart(summary)}</figure>"
        f"<h2>Top paths</h2>{top}"
    )
    return workspace_document(config, title="Analytics", main=main, nonce=nonce, role="owner", section="analytics")
