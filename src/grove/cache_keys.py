"""Every cache key and cache tag the app uses, in one place.

KV keys are per tenant; edge (Cache API) keys are canonical URLs, so that the URL a write
purges is exactly the URL a read stored, whatever query string the reader sent. Cache tags
let the zone CDN be purged by tenant, post and list.
"""

from __future__ import annotations

# Reader lists: posts per page, and how many leading pages are cached in KV and at the edge.
# Deeper pages are rare; they are read from D1 so that a write knows every cached page it
# must drop (a fixed, small set) without counting the tenant's posts first.
PAGE_SIZE = 10
LIST_PAGES_CACHED = 3
HOME_POSTS = 5


# --- KV -----------------------------------------------------------------------------------


def post_key(tenant: str, slug: str) -> str:
    """A published (or archived) post's reader data, or a tombstone for a missing slug."""
    return f"post:{tenant}:{slug}"


def list_page_key(tenant: str, page: int) -> str:
    return f"list:{tenant}:{page}"


def list_page_keys(tenant: str) -> list[str]:
    return [list_page_key(tenant, page) for page in range(1, LIST_PAGES_CACHED + 1)]


# --- edge (Cache API) ---------------------------------------------------------------------


def edge_url(tenant: str, root_domain: str, path: str) -> str:
    """The Cache API key of a page: built from the tenant, not from the request's Host, so
    every spelling of the host (case, port, scheme) shares one entry and a write purges
    exactly the entry reads stored."""
    return f"https://{tenant}.{root_domain}{path}"


def post_html_path(slug: str) -> str:
    return f"/blog/{slug}"


def post_paths(slug: str) -> list[str]:
    """Both views of a post: the page and its JSON twin (which shows no tenant config)."""
    return [post_html_path(slug), f"/api/posts/{slug}"]


def list_path(base: str, page: int) -> str | None:
    """The canonical path of list page ``page`` under ``base`` (``/``, ``/blog``,
    ``/api/posts``), or None when that page is not cached."""
    if page < 1 or page > LIST_PAGES_CACHED:
        return None
    if page == 1:
        return base
    return f"{base}?page={page}"


def list_paths() -> list[str]:
    paths = ["/"]
    for base in ("/blog", "/api/posts"):
        paths += [path for page in range(1, LIST_PAGES_CACHED + 1) if (path := list_path(base, page))]
    return paths


# --- cache tags (zone CDN) ----------------------------------------------------------------


def tenant_tag(tenant: str) -> str:
    return f"t-{tenant}"


def post_tag(tenant: str, post_id: str) -> str:
    # By id, not slug: a renamed post's old URL carries the same tag.
    return f"p-{tenant}-{post_id}"


def list_tag(tenant: str) -> str:
    return f"l-{tenant}"
