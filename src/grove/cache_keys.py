"""Every cache key and cache tag the app uses, in one place.

KV keys are per tenant; edge (Cache API) keys are canonical URLs, so that the URL a write
purges is exactly the URL a read stored, whatever query string the reader sent. Cache tags
let the zone CDN be purged by tenant, post and list.
"""

from __future__ import annotations

from urllib.parse import quote

# Reader lists: posts per page, how many leading pages may be asked for by number (``?page=``:
# OFFSET costs what it skips, so only a few), and how many posts the home page shows. Deeper
# pages are reached by cursor (``grove.pagination``).
PAGE_SIZE = 10
NUMBERED_PAGES = 3
HOME_POSTS = 5


# --- KV -----------------------------------------------------------------------------------


# Meadow's Trending list (grove.trending): one key for the whole platform, written by the cron.
TRENDING_KEY = "meadow:trending"


def post_key(tenant: str, slug: str) -> str:
    """A published (or archived) post's reader data, or a tombstone for a missing slug."""
    return f"post:{tenant}:{slug}"


def tag_position(tag: str, position: str) -> str:
    """The ``position`` part of a tag page's ``list_key`` (the tag encoded: no ``:`` inside)."""
    return f"tag:{quote(tag, safe='')}:{position}"


def list_key(tenant: str, stamp: str, position: str) -> str:
    """A list page's data as of the tenant's cache stamp ``stamp``: a post write moves the
    stamp, so it never has to find (or delete) the list entries it made stale; they expire."""
    return f"list:{tenant}:{stamp}:{position}"


# --- edge (Cache API) ---------------------------------------------------------------------

# The tenant's edge generation in this data centre (``grove.page_cache.EdgeGeneration``).
GENERATION_PATH = "/.grove/generation"


def edge_url(tenant: str, root_domain: str, path: str, generation: str | None = None) -> str:
    """The Cache API key of a page: built from the tenant, not from the request's Host, so
    every spelling of the host (case, port, scheme) shares one entry and a write purges
    exactly the entry reads stored. ``generation`` (``EdgeGeneration.for_post``/``for_list``)
    makes pages of an older config or list state unreachable without deleting them."""
    url = f"https://{tenant}.{root_domain}{path}"
    if generation is None:
        return url
    return f"{url}{'&' if '?' in path else '?'}_g={generation}"


def post_html_path(slug: str) -> str:
    return f"/blog/{slug}"


def post_paths(slug: str) -> list[str]:
    """Both views of a post: the page and its JSON twin (which shows no tenant config)."""
    return [post_html_path(slug), f"/api/posts/{slug}"]


def tag_path(tag: str) -> str:
    """A tag's page: ``/tags/{tag}``, the tag percent-encoded as one path segment."""
    return f"/tags/{quote(tag, safe='')}"


def list_path(base: str, page: int | None, cursor: str | None = None) -> str:
    """The canonical path of a list page under ``base`` (``/``, ``/blog``, ``/api/posts``):
    by cursor, or by number (page 1 is ``base`` itself)."""
    if cursor is not None:
        return f"{base}?cursor={cursor}"
    if page is None or page == 1:
        return base
    return f"{base}?page={page}"


# --- cache tags (zone CDN) ----------------------------------------------------------------


def tenant_tag(tenant: str) -> str:
    return f"t-{tenant}"


def post_tag(tenant: str, post_id: str) -> str:
    # By id, not slug: a renamed post's old URL carries the same tag.
    return f"p-{tenant}-{post_id}"


def list_tag(tenant: str) -> str:
    return f"l-{tenant}"
