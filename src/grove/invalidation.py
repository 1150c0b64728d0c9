"""What a post write must clear: its KV entries, its edge URLs, its zone CDN tags.

The old slug too on a rename, and the tenant's lists and home page on every write (a new,
changed, unpublished or deleted post may move any list). Called after the D1 write
committed and before the write is acknowledged.
"""

from __future__ import annotations

from typing import Any

from grove import page_cache
from grove.cache_keys import (
    edge_url,
    list_page_keys,
    list_paths,
    list_tag,
    post_key,
    post_paths,
    post_tag,
)
from grove.purge import purge_tags
from grove.settings import Settings


async def after_post_write(
    env: Any,
    settings: Settings,
    *,
    tenant: str,
    post_id: str,
    slugs: set[str],
    status: str,
    published_at_ms: int | None,
) -> None:
    """``status``/``published_at_ms``: the post after the write (before it, for a delete).

    A draft that was never published changes nothing readers can see, so the zone CDN (the
    one layer that costs an API call) is left alone; an unpublished post keeps its
    ``published_at_ms``, so unpublishing does purge.
    """
    reader_visible = status != "draft" or published_at_ms is not None
    kv_keys = [post_key(tenant, slug) for slug in sorted(slugs)] + list_page_keys(tenant)
    paths = [path for slug in sorted(slugs) for path in post_paths(slug)] + list_paths()
    await page_cache.invalidate(env, tenant, kv_keys=kv_keys, edge_urls=[edge_url(tenant, settings.root_domain, p) for p in paths])
    if reader_visible:
        await purge_tags(settings, [post_tag(tenant, post_id), list_tag(tenant)])
