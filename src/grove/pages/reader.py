"""The reader pages: tenant home, the blog index, a post, and the not-found/error page."""

from __future__ import annotations

from dataclasses import dataclass

from grove.models import PostSummary, PublicPost, TenantConfig
from grove.pages import assets
from grove.pages.escape import escape
from grove.pages.layout import document, format_date, iso_date


def _byline(published_at_ms: int | None, reading_time_min: int) -> str:
    minutes = f" · {reading_time_min} min read" if reading_time_min else ""
    return (
        f'<p class="meta"><time datetime="{iso_date(published_at_ms)}">'
        f"{format_date(published_at_ms)}</time>{minutes}</p>"
    )


def _tags(tags: list[str]) -> str:
    if not tags:
        return ""
    return '<ul class="tags">' + "".join(f"<li>{escape(tag)}</li>" for tag in tags) + "</ul>"


def _post_list(posts: list[PostSummary]) -> str:
    items: list[str] = []
    for post in posts:
        description = f"<p>{escape(post.description)}</p>" if post.description else ""
        items.append(
            f'<li><h2><a href="/blog/{escape(post.slug)}">{escape(post.title)}</a></h2>'
            f"{_byline(post.published_at_ms, post.reading_time_min)}{description}</li>"
        )
    return '<ol class="posts">' + "".join(items) + "</ol>"


def home_page(config: TenantConfig, recent: list[PostSummary], *, more: bool) -> str:
    tagline = config.theme.tagline or f"Notes and essays from {config.display_name}."
    if recent:
        listing = _post_list(recent)
        if more:
            listing += '<p class="meta"><a href="/blog">All posts →</a></p>'
    else:
        listing = '<p class="meta">Nothing published yet. Check back soon.</p>'
    main = (
        f'<section class="intro"><h1>{escape(config.display_name)}</h1>'
        f"<p>{escape(tagline)}</p></section><h2>Recent writing</h2>{listing}"
    )
    return document(config, title=config.display_name, description=tagline, main=main)


@dataclass(frozen=True)
class ListLinks:
    """Paths of the next older and newer pages of a list (None at either end)."""

    older: str | None
    newer: str | None


def blog_index_page(config: TenantConfig, posts: list[PostSummary], *, page: int | None, links: ListLinks) -> str:
    newer = f'<a href="{escape(links.newer)}">← Newer</a>' if links.newer else "<span></span>"
    older = f'<a href="{escape(links.older)}">Older →</a>' if links.older else "<span></span>"
    heading = "All posts" if page == 1 else ("Earlier posts" if page is None else f"All posts · page {page}")
    body = _post_list(posts) if posts else '<p class="meta">Nothing published yet.</p>'
    main = f'<h1>{heading}</h1>{body}<nav class="pager">{newer}{older}</nav>'
    return document(config, title=heading, description=f"Everything {config.display_name} has published.", main=main)


def _live_parts(post: PublicPost) -> tuple[str, str]:
    """The placeholder ``post_live.js`` fills (reactions, comments, readers present) and its
    script tag; the same for every reader. Published posts only."""
    if post.status != "published":
        return "", ""
    placeholder = f'<section id="post-live" data-slug="{escape(post.slug)}" hidden></section>'
    return placeholder, f'<script src="{assets.ASSETS.url("post_live.js")}" defer></script>'


def post_page(config: TenantConfig, post: PublicPost) -> str:
    live, script = _live_parts(post)
    lede = f'<p class="lede">{escape(post.description)}</p>' if post.description else ""
    banner = "" if post.status == "published" else f'<p class="meta">This post is {post.status}.</p>'
    main = (
        f'<article class="post"><h1>{escape(post.title)}</h1>{banner}{lede}'
        f"{_byline(post.published_at_ms, post.reading_time_min)}{_tags(post.tags)}"
        # post.html comes from grove.markdown, which never lets raw HTML or unsafe URLs through.
        f'<div class="content">{post.html}</div></article>{live}'
        '<hr><p class="meta"><a href="/blog">← All posts</a></p>'
    )
    return document(config, title=post.title, description=post.description or post.title, main=main, head=script)


def message_page(config: TenantConfig | None, *, title: str, message: str) -> str:
    main = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if config:
        main += '<p class="meta"><a href="/">← Home</a></p>'
    return document(config, title=title, description=message, main=main)
