"""The reader pages: tenant home, the blog index, a tag's page, a post, and the
not-found/error page."""

from __future__ import annotations

from dataclasses import dataclass

from grove.authors import author_name
from grove.cache_keys import tag_path
from grove.models import Neighbours, PostSummary, PublicPost, TenantConfig
from grove.pages import assets
from grove.pages.escape import escape
from grove.pages.layout import document, format_date, iso_date
from grove.pages.share import post_head, site_head, tag_feeds

# An edit this long after publishing shows as "Updated" (a typo fixed within the hour does not).
UPDATED_AFTER_MS = 60 * 60 * 1000


def _date(ms: int | None) -> str:
    return f'<time datetime="{iso_date(ms)}">{format_date(ms)}</time>'


def _byline(published_at_ms: int | None, reading_time_min: int, *, author: str | None = None, updated_at_ms: int | None = None) -> str:
    parts = [f'<span class="author">{escape(author)}</span>'] if author else []
    parts.append(_date(published_at_ms))
    if updated_at_ms is not None and published_at_ms is not None and updated_at_ms - published_at_ms >= UPDATED_AFTER_MS:
        parts.append(f'<span class="updated">Updated {_date(updated_at_ms)}</span>')
    if reading_time_min:
        parts.append(f"{reading_time_min} min read")
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _tags(tags: list[str]) -> str:
    if not tags:
        return ""
    links = "".join(f'<li><a href="{escape(tag_path(tag))}" rel="tag">{escape(tag)}</a></li>' for tag in tags)
    return f'<ul class="tags">{links}</ul>'


def _post_list(posts: list[PostSummary]) -> str:
    items: list[str] = []
    for post in posts:
        description = f"<p>{escape(post.description)}</p>" if post.description else ""
        items.append(
            f'<li><h2><a href="/blog/{escape(post.slug)}">{escape(post.title)}</a></h2>'
            f"{_byline(post.published_at_ms, post.reading_time_min)}{description}{_tags(post.tags)}</li>"
        )
    return '<ol class="posts">' + "".join(items) + "</ol>"


def home_page(config: TenantConfig, recent: list[PostSummary], *, more: bool, origin: str) -> str:
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
    head = site_head(origin, "/", config, title=config.display_name, description=tagline)
    return document(config, title=config.display_name, description=tagline, main=main, head=head)


@dataclass(frozen=True)
class ListLinks:
    """Paths of the next older and newer pages of a list (None at either end)."""

    older: str | None
    newer: str | None


def _pager(links: ListLinks) -> str:
    newer = f'<a href="{escape(links.newer)}" rel="prev">← Newer</a>' if links.newer else "<span></span>"
    older = f'<a href="{escape(links.older)}" rel="next">Older →</a>' if links.older else "<span></span>"
    return f'<nav class="pager">{newer}{older}</nav>'


def blog_index_page(
    config: TenantConfig, posts: list[PostSummary], *, page: int | None, links: ListLinks, origin: str, path: str
) -> str:
    heading = "All posts" if page == 1 else ("Earlier posts" if page is None else f"All posts · page {page}")
    body = _post_list(posts) if posts else '<p class="meta">Nothing published yet.</p>'
    main = f"<h1>{heading}</h1>{body}{_pager(links)}"
    description = f"Everything {config.display_name} has published."
    head = site_head(origin, path, config, title=heading, description=description)
    return document(config, title=heading, description=description, main=main, head=head)


def _live_parts(post: PublicPost) -> tuple[str, str]:
    """The placeholder ``post_live.js`` fills (reactions, comments, readers present) and its
    script tag; the same for every reader. Published posts only."""
    if post.status != "published":
        return "", ""
    # The author's id and name let the script offer "Follow on Meadow" (Meadow follows people).
    placeholder = (
        f'<section id="post-live" data-slug="{escape(post.slug)}" data-author-id="{escape(post.author_id)}"'
        f' data-author-name="{escape(author_name(post.author_id, post.author_name))}" hidden></section>'
    )
    return placeholder, f'<script src="{assets.ASSETS.url("post_live.js")}" defer></script>'


def tag_page(
    config: TenantConfig, tag: str, posts: list[PostSummary], *, page: int | None, links: ListLinks, origin: str, path: str
) -> str:
    heading = f"Tagged “{tag}”" + ("" if page == 1 else (" · earlier" if page is None else f" · page {page}"))
    feeds = tag_feeds(config, tag)
    main = (
        f"<h1>{escape(heading)}</h1>{_post_list(posts)}{_pager(links)}"
        f'<p class="meta"><a href="{escape(feeds.atom)}">Feed of “{escape(tag)}”</a> · <a href="/blog">All posts</a></p>'
    )
    description = f"Posts of {config.display_name} tagged “{tag}”."
    head = site_head(origin, path, config, title=heading, description=description, feeds=feeds)
    return document(config, title=heading, description=description, main=main, head=head)


def _neighbour_nav(neighbours: Neighbours) -> str:
    older, newer = neighbours.older, neighbours.newer
    if older is None and newer is None:
        return ""
    left = (
        f'<a class="older" href="/blog/{escape(older.slug)}" rel="prev"><span class="meta">← Previous</span>{escape(older.title)}</a>'
        if older
        else "<span></span>"
    )
    right = (
        f'<a class="newer" href="/blog/{escape(newer.slug)}" rel="next"><span class="meta">Next →</span>{escape(newer.title)}</a>'
        if newer
        else "<span></span>"
    )
    return f'<nav class="neighbours">{left}{right}</nav>'


def post_page(config: TenantConfig, post: PublicPost, neighbours: Neighbours, *, origin: str) -> str:
    live, script = _live_parts(post)
    # The description as a lede, unless the post itself opens with it (then it would read twice).
    opens_with_it = post.html.startswith(f"<p>{escape(post.description)}")
    lede = f'<p class="lede">{escape(post.description)}</p>' if post.description and not opens_with_it else ""
    banner = "" if post.status == "published" else f'<p class="meta">This post is {post.status}.</p>'
    byline = _byline(
        post.published_at_ms, post.reading_time_min, author=author_name(post.author_id, post.author_name), updated_at_ms=post.updated_at_ms
    )
    main = (
        f'<article class="post"><h1>{escape(post.title)}</h1>{banner}{lede}{byline}{_tags(post.tags)}'
        # post.html comes from grove.markdown, which never lets raw HTML or unsafe URLs through.
        f'<div class="content">{post.html}</div></article>{live}'
        f'<hr>{_neighbour_nav(neighbours)}<p class="meta"><a href="/blog">← All posts</a></p>'
    )
    head = post_head(origin, config, post) + script
    return document(config, title=post.title, description=post.description or post.title, main=main, head=head)


def message_page(config: TenantConfig | None, *, title: str, message: str) -> str:
    main = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if config:
        main += '<p class="meta"><a href="/">← Home</a> · <a href="/blog">All posts</a></p>'
    return document(config, title=title, description=message, main=main)
