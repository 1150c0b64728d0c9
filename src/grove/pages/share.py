"""What a page tells crawlers, feed readers and link previews about itself: the canonical
URL, the feeds (``rel=alternate``), OpenGraph and Twitter card tags, and JSON-LD
``BlogPosting`` for a post. All of it goes in the document head, with absolute URLs.

Every value is escaped for where it lands: attribute values with ``escape``; the JSON-LD with
``<``, ``>``, ``&`` and U+2028/2029 as JSON escapes, so no text an author writes can close the
``<script>`` element (``</script>``) or open a comment inside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from grove.authors import author_name
from grove.cache_keys import tag_path
from grove.models import PublicPost, TenantConfig
from grove.pages.escape import escape
from grove.pages.layout import iso_datetime

_JSON_IN_SCRIPT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_for_script(data: object) -> str:
    """JSON that is inert inside a ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_IN_SCRIPT)


@dataclass(frozen=True)
class Feeds:
    """The feeds a page offers: the blog's, and a tag's on that tag's page."""

    atom: str
    rss: str
    title: str


def blog_feeds(config: TenantConfig) -> Feeds:
    return Feeds("/feed.xml", "/rss.xml", config.display_name)


def tag_feeds(config: TenantConfig, tag: str) -> Feeds:
    path = tag_path(tag)
    return Feeds(f"{path}/feed.xml", f"{path}/rss.xml", f"{config.display_name}: {tag}")


def _meta(attribute: str, name: str, content: str) -> str:
    return f'<meta {attribute}="{escape(name)}" content="{escape(content)}">'


def page_head(origin: str, path: str, config: TenantConfig, *, title: str, description: str, feeds: Feeds | None = None) -> str:
    """Canonical link, feed links and the OpenGraph/Twitter tags every reader page carries."""
    url = origin + path
    parts = [f'<link rel="canonical" href="{escape(url)}">']
    for feed in (feeds, blog_feeds(config)) if feeds else (blog_feeds(config),):
        parts.append(f'<link rel="alternate" type="application/atom+xml" title="{escape(feed.title)}" href="{escape(origin + feed.atom)}">')
        parts.append(f'<link rel="alternate" type="application/rss+xml" title="{escape(feed.title)} (RSS)" href="{escape(origin + feed.rss)}">')
    parts += [
        _meta("property", "og:site_name", config.display_name),
        _meta("property", "og:title", title),
        _meta("property", "og:description", description),
        _meta("property", "og:url", url),
        _meta("name", "twitter:title", title),
        _meta("name", "twitter:description", description),
    ]
    return "".join(parts)


def post_head(origin: str, config: TenantConfig, post: PublicPost) -> str:
    """``page_head`` plus the article tags and JSON-LD of a post."""
    url = f"{origin}/blog/{post.slug}"
    description = post.description or post.title
    parts = [
        page_head(origin, f"/blog/{post.slug}", config, title=post.title, description=description),
        _meta("property", "og:type", "article"),
        _meta("name", "twitter:card", "summary"),
        _meta("property", "article:modified_time", iso_datetime(post.updated_at_ms)),
        _meta("property", "article:author", author_name(post.author_id, post.author_name)),
    ]
    if post.published_at_ms is not None:
        parts.append(_meta("property", "article:published_time", iso_datetime(post.published_at_ms)))
    parts += [_meta("property", "article:tag", tag) for tag in post.tags]
    ld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": description,
        "url": url,
        "mainEntityOfPage": url,
        "author": {"@type": "Person", "name": author_name(post.author_id, post.author_name)},
        "publisher": {"@type": "Organization", "name": config.display_name, "url": origin + "/"},
        "dateModified": iso_datetime(post.updated_at_ms),
        "keywords": post.tags,
        "wordCount": post.word_count,
    }
    if post.published_at_ms is not None:
        ld["datePublished"] = iso_datetime(post.published_at_ms)
    parts.append(f'<script type="application/ld+json">{json_for_script(ld)}</script>')
    return "".join(parts)


def site_head(origin: str, path: str, config: TenantConfig, *, title: str, description: str, feeds: Feeds | None = None) -> str:
    """``page_head`` of a page that is not a post (home, lists, tag pages)."""
    return page_head(origin, path, config, title=title, description=description, feeds=feeds) + (
        _meta("property", "og:type", "website") + _meta("name", "twitter:card", "summary")
    )
