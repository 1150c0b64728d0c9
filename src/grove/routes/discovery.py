"""Feeds (Atom and RSS, the blog's and each tag's), the sitemap, robots.txt and the favicon:
public GETs served through the reader's read path (``grove.routes.reader.serve``), so they are
cached and invalidated like the pages they describe.

- Feeds and the sitemap change with every post write: list pages' generation in their edge
  keys, the list tag for the CDN; a feed's data (``FeedData``) is in KV by the cache stamp,
  shared by the Atom and RSS views, so a change costs one D1 query per blog and feed.
- robots.txt and the favicon change with the config only: keyed like a post page.
"""

from __future__ import annotations

from grove import page_cache, serving
from grove.bindings import Env, ExecutionContext
from grove.cache_keys import list_key, list_tag, tag_path, tag_position, tenant_tag
from grove.cache_policy import PageKind
from grove.discovery import (
    SVG_TYPE,
    TEXT_TYPE,
    XML_TYPE,
    SitemapPlan,
    favicon_svg,
    robots_txt,
    sitemap_index,
    sitemap_urlset,
)
from grove.errors import not_found
from grove.feeds import ATOM_TYPE, FEED_ENTRIES, RSS_TYPE, FeedData, FeedSource, atom_feed, rss_feed
from grove.models import TenantConfig
from grove.path_params import tag_from_path
from grove.platform import Request, Response
from grove.posts_store import count_published, read_latest_posts, read_sitemap_rows
from grove.problems import page_problem
from grove.router import Handler, Router
from grove.routes.reader import Moved, View, cached, serve
from grove.routes.visit import Visit, open_public_visit
from grove.tiers import LIST_EDGE_TTL_S, LIST_KV_TTL_S, rule_for_location

# What a config-only document (robots.txt, the favicon) lives for in the Cache API: a config
# write retires it through the generation in its key, so the hot tier's edge TTL is plenty.
_CONFIG_DOCUMENT_EDGE_TTL_S = rule_for_location("d1").edge_ttl_s


def register(router: Router) -> None:
    def document(path: str, handler: Handler, summary: str, content_type: str) -> None:
        router.add("GET", path, handler, access="public", summary=summary, media="document", content_type=content_type)

    document("/feed.xml", atom, "The blog's Atom feed (full posts).", ATOM_TYPE)
    document("/atom.xml", atom, "The blog's Atom feed (full posts).", ATOM_TYPE)
    document("/rss.xml", rss, "The blog's RSS 2.0 feed (full posts).", RSS_TYPE)
    document("/tags/{tag}/feed.xml", tag_atom, "A tag's Atom feed.", ATOM_TYPE)
    document("/tags/{tag}/rss.xml", tag_rss, "A tag's RSS 2.0 feed.", RSS_TYPE)
    document("/sitemap.xml", sitemap, "Every published post (or an index of sitemap pages).", XML_TYPE)
    document("/sitemap-{number}.xml", sitemap_page, "One page of a sitemap index.", XML_TYPE)
    document("/robots.txt", robots, "Crawler rules and the sitemap's address.", TEXT_TYPE)
    document("/favicon.svg", favicon, "The blog's icon in its accent colour.", SVG_TYPE)
    router.add("GET", "/favicon.ico", favicon_ico, access="public", summary="A 301 to /favicon.svg.", statuses=(301,))


def _list_tags(config: TenantConfig) -> tuple[str, ...]:
    return (tenant_tag(config.subdomain), list_tag(config.subdomain))


# --- feeds ----------------------------------------------------------------------------------


async def _feed_data(visit: Visit, snapshot: page_cache.Snapshot, tag: str | None) -> FeedData:
    tenant = visit.require_tenant()

    async def load() -> page_cache.Loaded:
        posts = await read_latest_posts(visit.env, tenant, FEED_ENTRIES, tag=tag)
        return FeedData.of(posts).model_dump(), LIST_KV_TTL_S

    where = "feed" if tag is None else tag_position(tag, "feed")
    return FeedData.model_validate(await cached(visit, snapshot, list_key(tenant, snapshot.stamp or "0", where), load))


async def _feed(request: Request, env: Env, ctx: ExecutionContext, fmt: str, raw_tag: str | None = None) -> Response:
    tag = None if raw_tag is None else tag_from_path(raw_tag)
    if raw_tag is not None and tag is None:
        return page_problem(not_found("There is no such tag."), request.headers.get("accept"))
    visit = await open_public_visit(request, env, ctx)
    name = "feed.xml" if fmt == "atom" else "rss.xml"
    view = View(PageKind.LIST, "html", f"{tag_path(tag) if tag is not None else ''}/{name}")

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | Moved | None:
        data = await _feed_data(visit, snapshot, tag)
        if tag is not None and not data.entries:
            return None
        source = FeedSource(
            origin=visit.settings.site_origin(config.subdomain),
            host=f"{config.subdomain}.{visit.settings.root_domain}",
            tag=tag,
        )
        body, content_type = (atom_feed(config, data, source), ATOM_TYPE) if fmt == "atom" else (rss_feed(config, data, source), RSS_TYPE)
        return serving.RenderedPage(
            body.encode("utf-8"), content_type, PageKind.LIST, _list_tags(config), LIST_EDGE_TTL_S,
            last_modified_ms=data.updated_ms(config),
        )

    return await serve(visit, view, build)


async def atom(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _feed(request, env, ctx, "atom")


async def rss(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _feed(request, env, ctx, "rss")


async def tag_atom(request: Request, env: Env, ctx: ExecutionContext, tag: str) -> Response:
    return await _feed(request, env, ctx, "atom", tag)


async def tag_rss(request: Request, env: Env, ctx: ExecutionContext, tag: str) -> Response:
    return await _feed(request, env, ctx, "rss", tag)


# --- sitemap --------------------------------------------------------------------------------


def _max_urls() -> int:
    # Read at call time, so a test can lower the limit (grove.discovery.SITEMAP_MAX_URLS).
    from grove import discovery

    return discovery.SITEMAP_MAX_URLS


async def _sitemap(request: Request, env: Env, ctx: ExecutionContext, number: int | None) -> Response:
    visit = await open_public_visit(request, env, ctx)
    path = "/sitemap.xml" if number is None else f"/sitemap-{number}.xml"
    view = View(PageKind.LIST, "html", path)

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | Moved | None:
        origin = visit.settings.site_origin(config.subdomain)
        plan = SitemapPlan.for_posts(await count_published(visit.env.DB, config.subdomain), _max_urls())
        if number is None and plan.is_index:
            body = sitemap_index(origin, plan)
        else:
            page = number or 1
            if page > plan.pages:
                return None
            statics, offset, limit = plan.window(page)
            rows = await read_sitemap_rows(visit.env.DB, config.subdomain, limit, offset) if limit > 0 else []
            body = sitemap_urlset(origin, statics, rows)
        return serving.RenderedPage(body.encode("utf-8"), XML_TYPE, PageKind.LIST, _list_tags(config), LIST_EDGE_TTL_S)

    return await serve(visit, view, build)


async def sitemap(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _sitemap(request, env, ctx, None)


async def sitemap_page(request: Request, env: Env, ctx: ExecutionContext, number: str) -> Response:
    return await _sitemap(request, env, ctx, int(number))


# --- robots.txt and the favicon -------------------------------------------------------------


async def _config_document(request: Request, env: Env, ctx: ExecutionContext, path: str, content_type: str) -> Response:
    visit = await open_public_visit(request, env, ctx)

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | Moved | None:
        if content_type == SVG_TYPE:
            body = favicon_svg(config)
        else:
            body = robots_txt(visit.settings.site_origin(config.subdomain))
        tags = (tenant_tag(config.subdomain),)
        return serving.RenderedPage(body.encode("utf-8"), content_type, PageKind.POST, tags, _CONFIG_DOCUMENT_EDGE_TTL_S)

    return await serve(visit, View(PageKind.POST, "html", path), build)


async def robots(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _config_document(request, env, ctx, "/robots.txt", TEXT_TYPE)


async def favicon(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _config_document(request, env, ctx, "/favicon.svg", SVG_TYPE)


async def favicon_ico(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    # Browsers ask for /favicon.ico unprompted; every current one follows a redirect to an SVG.
    return Response(None, status=301, headers={"location": "/favicon.svg", "cache-control": "public, max-age=86400"})
