"""What a write must clear before it is acknowledged (called after D1 committed it).

Edge copies are keyed by the tenant's generation (``grove.page_cache.EdgeGeneration``: config
version and cache stamp), so no write has to find the pages it changed: every write moves the
stamp and deletes this data centre's generation entry, which retires every list page at once;
a config write also moves the config version, which retires every post page at once. So both
kinds of write cost O(1) in the tenant's posts.

A post write also writes its post's KV entries through (the new post with its neighbours, or a
tombstone: the old slug of a rename, naming the new one, a deleted or unpublished post) and
deletes its edge URLs in this location (a cached 404 of the slug too: it lives at the page's
URL), and purges its post and list tags from the zone CDN. The published posts either side of
it link to it (previous/next): their KV entries and edge URLs go too, and their tags are purged.

A config write (display name, theme): every HTML page of the tenant shows it. KV holds post
and list *data*, never pages, so it has nothing to clear; the tenant tag ``t-{tenant}`` is
purged from the zone CDN (which also reaches the Cache API copies and generation entries in
other locations, as they carry the tag).
"""

from __future__ import annotations

import logging

from grove import page_cache
from grove.bindings import Env
from grove.cache_keys import edge_url, list_tag, post_key, post_paths, post_tag, tenant_tag
from grove.errors import HttpError
from grove.models import AuthorPost, CachedPost, Neighbours, PostStatus, TenantConfig
from grove.posts_store import AuthoredRow, neighbours_at
from grove.purge import purge_tags
from grove.settings import Settings
from grove.tenancy import tenant_stub

log = logging.getLogger("grove.invalidation")
CACHES_RETRY_AFTER_S = 5


async def after_post_write(
    env: Env,
    settings: Settings,
    *,
    tenant: str,
    post_id: str,
    copies: dict[str, AuthorPost | None],
    status: PostStatus,
    published_at_ms: int | None,
    moved_to: dict[str, str] | None = None,
) -> None:
    """``copies``: each slug the write touched -> the post now at it (None: no post there any
    more); their KV entries are written through, so the next read anywhere can hit KV.
    ``status``/``published_at_ms``: the post after the write (before it, for a delete).
    ``moved_to``: old slug -> new slug of a rename (the old slug's tombstone redirects).

    A draft that was never published changes nothing readers can see, so the zone CDN (the
    one layer that costs an API call) is left alone; an unpublished post keeps its
    ``published_at_ms``, so unpublishing does purge.
    """
    try:
        await _after_post_write(env, settings, tenant, post_id, copies, status, published_at_ms, moved_to)
    except Exception:
        # D1 has the write: it stands. Saying 500 would read as "not saved"; saying 200 would
        # leave the author unaware that readers may see the old copy until it expires. Sending
        # the same write again (idempotent) retries the refresh.
        log.exception("caches of a committed post write could not be refreshed (%s/%s)", tenant, post_id)
        raise HttpError(
            503, "caches_pending",
            "Saved, but the blog's cached copies could not all be refreshed just now; save again"
            " (the same change) to refresh them.",
            headers={"retry-after": str(CACHES_RETRY_AFTER_S)}, details={"saved": True},
        ) from None


async def _after_post_write(
    env: Env, settings: Settings, tenant: str, post_id: str, copies: dict[str, AuthorPost | None],
    status: PostStatus, published_at_ms: int | None, moved_to: dict[str, str] | None,
) -> None:
    reader_visible = status != "draft" or published_at_ms is not None
    # The posts either side of this one's place in the blog (its place never moves once
    # published): their previous/next links show this post, so their copies change with it.
    neighbours = (
        await neighbours_at(env.DB, tenant, published_at_ms, post_id)
        if reader_visible and published_at_ms is not None
        else Neighbours()
    )
    around = [link for link in (neighbours.newer, neighbours.older) if link is not None]
    slugs = set(copies)
    kv_puts: dict[str, page_cache.Loaded] = {}
    for slug in sorted(slugs):
        cached = CachedPost.of(copies[slug], neighbours, (moved_to or {}).get(slug) if reader_visible else None)
        kv_puts[post_key(tenant, slug)] = (cached.model_dump(), cached.kv_ttl_s())
    kv_deletes = [post_key(tenant, link.slug) for link in around]
    urls = await _edge_urls(env, settings, tenant, sorted(slugs | {link.slug for link in around}))
    if settings.kv_enabled:
        await page_cache.invalidate(env, tenant, kv_puts=kv_puts, kv_deletes=kv_deletes, edge_urls=urls)
    else:  # the rollback switch: store nothing, but leave no copy from before it was thrown
        await page_cache.invalidate(env, tenant, kv_deletes=list(kv_puts) + kv_deletes, edge_urls=urls)
    if reader_visible:
        tags = [post_tag(tenant, post_id), *(post_tag(tenant, link.id) for link in around), list_tag(tenant)]
        await purge_tags(settings, tags)


async def _edge_urls(env: Env, settings: Settings, tenant: str, slugs: list[str]) -> list[str]:
    """This data centre's generation entry of the tenant and the edge URLs of the posts at
    ``slugs``: post pages are keyed by the config version they were built with, the current one."""
    config = await tenant_stub(env, tenant).get_config()
    version = None if config is None else f"c{TenantConfig.model_validate(config).updated_at_ms}"
    urls = [page_cache.generation_url(tenant, settings.root_domain)]
    if version is not None:
        urls += [edge_url(tenant, settings.root_domain, p, version) for slug in slugs for p in post_paths(slug)]
    return urls


async def after_config_write(env: Env, settings: Settings, *, tenant: str) -> None:
    await page_cache.invalidate(env, tenant, edge_urls=[page_cache.generation_url(tenant, settings.root_domain)])
    await purge_tags(settings, [tenant_tag(tenant)])


# How many of an account's posts a display-name change retires by key: each costs one KV
# delete and two Cache API deletes, and a Worker invocation may make at most 1,000 KV
# operations (Cloudflare's Workers limits, "KV: operations per invocation"); the rest of the
# request's budget stays free. Beyond it (older posts), see ``after_display_name_change``.
NAME_CHANGE_MAX_POSTS = 250


async def after_display_name_change(env: Env, settings: Settings, posts: list[AuthoredRow]) -> None:
    """An account's display name changed: every copy that shows it goes.

    ``posts``: its reader-visible posts (``read_authored_posts``, newest changes first, at most
    ``NAME_CHANGE_MAX_POSTS``). Per blog: their KV copies and this data centre's edge pages are
    deleted, the cache stamp moves (lists and feeds, which carry names too, are keyed by it),
    and the tenant tag is purged from the zone (every data centre's edge copies of the blog).
    Copies of posts past the cap keep the old name until they expire: at most their tier's KV
    TTL (``grove.tiers``: a day for hot posts), then the next read takes the name from D1.
    """
    by_tenant: dict[str, list[AuthoredRow]] = {}
    for row in posts:
        by_tenant.setdefault(row["tenant"], []).append(row)
    for tenant, rows in sorted(by_tenant.items()):
        urls = await _edge_urls(env, settings, tenant, [row["slug"] for row in rows])
        kv_deletes = [post_key(tenant, row["slug"]) for row in rows]
        await page_cache.invalidate(env, tenant, kv_deletes=kv_deletes, edge_urls=urls)
        await purge_tags(settings, [tenant_tag(tenant)])
