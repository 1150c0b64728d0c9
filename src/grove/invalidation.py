"""What a write must clear before it is acknowledged (called after D1 committed it).

A post write: its KV entries, its edge URLs, its zone CDN tags; the old slug too on a rename,
and the tenant's lists and home page on every write (a new, changed, unpublished or deleted
post may move any list).

A config write (display name, theme): every HTML page of the tenant shows it. KV holds post
and list *data*, never pages, so it has nothing to clear; the edge copies of the list pages
and of the post pages are deleted, and the tenant tag ``t-{tenant}`` is purged from the zone
CDN (which also reaches the Cache API copies in other locations, as they carry the tag).
"""

from __future__ import annotations

from grove import page_cache
from grove.bindings import Env
from grove.cache_keys import (
    edge_url,
    list_page_keys,
    list_paths,
    list_tag,
    post_html_path,
    post_key,
    post_paths,
    post_tag,
    tenant_tag,
)
from grove.models import PostStatus
from grove.posts_store import reader_visible_slugs
from grove.purge import purge_tags
from grove.settings import Settings

# A config change deletes the edge copies of this many post pages (the most recently
# published) in this location; older ones fall to the tenant tag purge and their edge TTL.
# Bounded so that the deletes stay well inside a Worker invocation's subrequest limit.
CONFIG_EDGE_DELETES_MAX_POSTS = 500


async def after_post_write(
    env: Env,
    settings: Settings,
    *,
    tenant: str,
    post_id: str,
    slugs: set[str],
    status: PostStatus,
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


async def after_config_write(env: Env, settings: Settings, *, tenant: str) -> None:
    slugs = await reader_visible_slugs(env.DB, tenant, CONFIG_EDGE_DELETES_MAX_POSTS)
    paths = list_paths() + [post_html_path(slug) for slug in slugs]
    await page_cache.invalidate(env, tenant, kv_keys=[], edge_urls=[edge_url(tenant, settings.root_domain, p) for p in paths])
    await purge_tags(settings, [tenant_tag(tenant)])
