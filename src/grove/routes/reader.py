"""Reader routes: ``/`` (tenant home), ``/blog`` (published posts, newest first, paginated),
``/blog/{slug}`` (a post), and their JSON twins ``/api/posts`` and ``/api/posts/{slug}``.

Anonymous reads go edge cache -> tenant config -> KV -> D1/R2 and store what they built on
the way back. A request with a valid token is answered ``private, no-store`` and never
stored; writers of the tenant read D1 directly and also see drafts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from grove import page_cache, serving
from grove.access import is_writer
from grove.bindings import Env, ExecutionContext, JsonValue
from grove.cache_keys import (
    HOME_POSTS,
    LIST_PAGES_CACHED,
    PAGE_SIZE,
    edge_url,
    list_page_key,
    list_path,
    list_tag,
    post_key,
    post_tag,
    tenant_tag,
)
from grove.cache_policy import LIST_EDGE_TTL_S, LIST_KV_TTL_S, PageKind
from grove.errors import HttpError, not_found
from grove.http import HTML_TYPE, JSON_TYPE, error_response, json_body, query_value
from grove.models import CachedPost, PostList, PostPage, PublicPost, TenantConfig
from grove.numbers import parse_bounded_int
from grove.pages.reader import blog_index_page, home_page, post_page
from grove.platform import Request, Response
from grove.posts_store import ContentMissing, read_post, read_published_page
from grove.problems import page_problem
from grove.router import QueryInt, Router
from grove.routes.visit import NO_BLOG_HERE, Visit, open_public_visit
from grove.tiers import TIER_RULES, Tier, rule_for_location

log = logging.getLogger("grove.reader")

# Deeper list pages are 404s without a query (PAGE_SIZE posts each: a million posts).
MAX_PAGE = 99_999

Format = Literal["html", "json"]
Build = Callable[[TenantConfig, page_cache.Snapshot], Awaitable[serving.RenderedPage | None]]


@dataclass(frozen=True)
class View:
    kind: PageKind
    fmt: Format
    edge_path: str | None  # canonical Cache API path; None: this URL is not edge-cached


def register(router: Router) -> None:
    page = {"page": QueryInt(1, MAX_PAGE, "The list page (10 posts each); beyond the last is a 404.")}
    router.add("GET", "/", home, access="reader", summary="The blog's home page.", media="html")
    router.add("GET", "/blog", blog_index, access="reader", summary="Published posts, newest first.", media="html", query=page)
    router.add("GET", "/blog/{slug}", blog_post, access="reader", summary="A post's page.", media="html")
    router.add("GET", "/api/posts", api_post_list, access="reader", summary="Published posts, newest first.", response=PostList, query=page)
    router.add("GET", "/api/posts/{slug}", api_post, access="reader", summary="A post (writers: any status, with its source).", response=PublicPost)


# --- responses that are not pages -----------------------------------------------------------


def _problem(visit: Visit, view: View, config: TenantConfig | None, error: HttpError, title: str) -> Response:
    if view.fmt == "json":
        return error_response(error)
    return page_problem(error, visit.headers.get("accept"), config, title)


def _not_found(visit: Visit, view: View, config: TenantConfig | None, message: str) -> Response:
    return _problem(visit, view, config, not_found(message), "Not found")


# --- the one read path ----------------------------------------------------------------------


async def _serve(visit: Visit, view: View, build: Build) -> Response:
    if visit.tenant is None:
        return _not_found(visit, view, None, NO_BLOG_HERE)
    edge_key = None
    if visit.claims is None and visit.settings.cache_enabled and view.edge_path:
        edge_key = edge_url(visit.tenant, visit.settings.root_domain, view.edge_path)
        hit = await page_cache.edge_lookup(edge_key)
        if hit is not None and serving.is_current(hit):
            return await serving.from_edge(hit, view.kind, visit.if_none_match)
    config, snapshot = await page_cache.reader_view(visit.env, visit.settings, visit.tenant)
    if config is None:
        return _not_found(visit, view, None, NO_BLOG_HERE)
    try:
        page = await build(config, snapshot)
    except ContentMissing as exc:
        log.error("500 for %s: %s", visit.request.url, exc)
        error = HttpError(500, "content_missing", "This post's content is missing from storage. The error has been logged.")
        return _problem(visit, view, config, error, "Something went wrong")
    if page is None:
        return _not_found(visit, view, config, "There is no post at this address.")
    if visit.claims is not None:
        return serving.private_response(page, visit.if_none_match)
    if edge_key is not None:
        serving_copy = serving.edge_copy(page)
        page_cache.edge_store_later(visit.env, visit.ctx, snapshot, edge_key, serving_copy)
    return serving.public_response(page, visit.if_none_match)


async def _cached(
    visit: Visit, snapshot: page_cache.Snapshot, key: str | None, load: Callable[[], Awaitable[page_cache.Loaded]]
) -> JsonValue:
    """Through KV when caching is on and the data has a key, else straight from the source."""
    if key is None or not visit.settings.cache_enabled:
        value, _ = await load()
        return value
    return await page_cache.read_through(visit.env, visit.ctx, snapshot, key=key, load=load)


# --- data -----------------------------------------------------------------------------------


async def _load_public_post(env: Env, tenant: str, slug: str) -> page_cache.Loaded:
    post = await read_post(env, tenant, slug)
    if post is None or post.status == "draft":
        return CachedPost().model_dump(), TIER_RULES[Tier.HOT].kv_ttl_s
    cached = CachedPost(post=PublicPost.model_validate(post.model_dump()), storage_location=post.storage_location)
    return cached.model_dump(), rule_for_location(post.storage_location).kv_ttl_s


async def _post(visit: Visit, slug: str, snapshot: page_cache.Snapshot) -> tuple[PublicPost, int] | None:
    """The post and its edge TTL; writers get any status straight from D1."""
    tenant = visit.require_tenant()
    if is_writer(visit.claims, tenant):
        post = await read_post(visit.env, tenant, slug)
        return None if post is None else (post, 0)
    loaded = await _cached(visit, snapshot, post_key(tenant, slug), lambda: _load_public_post(visit.env, tenant, slug))
    cached = CachedPost.model_validate(loaded)
    if cached.post is None or cached.storage_location is None:
        return None
    return cached.post, rule_for_location(cached.storage_location).edge_ttl_s


async def _page_of_posts(visit: Visit, page: int, snapshot: page_cache.Snapshot) -> PostPage:
    tenant = visit.require_tenant()

    async def load() -> page_cache.Loaded:
        return (await read_published_page(visit.env.DB, tenant, page, PAGE_SIZE)).model_dump(), LIST_KV_TTL_S

    key = list_page_key(tenant, page) if page <= LIST_PAGES_CACHED else None
    return PostPage.model_validate(await _cached(visit, snapshot, key, load))


def _page_number(request: Request) -> int | None:
    """The list page asked for; None (a 404: no such page) for anything but 1..MAX_PAGE."""
    raw = query_value(request, "page")
    return 1 if raw is None else parse_bounded_int(raw, 1, MAX_PAGE)


def _rendered(view: View, body: str | bytes, tags: tuple[str, ...], edge_ttl_s: int) -> serving.RenderedPage:
    data = body.encode("utf-8") if isinstance(body, str) else body
    content_type = HTML_TYPE if view.fmt == "html" else JSON_TYPE
    return serving.RenderedPage(data, content_type, view.kind, tags, edge_ttl_s)


# --- handlers -------------------------------------------------------------------------------


async def _post_view(request: Request, env: Env, ctx: ExecutionContext, slug: str, fmt: Format) -> Response:
    visit = await open_public_visit(request, env, ctx)
    base = "/blog" if fmt == "html" else "/api/posts"
    view = View(PageKind.POST, fmt, f"{base}/{slug}")

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | None:
        found = await _post(visit, slug, snapshot)
        if found is None:
            return None
        post, edge_ttl_s = found
        tags = (tenant_tag(config.subdomain), post_tag(config.subdomain, post.id))
        body = post_page(config, post) if fmt == "html" else json_body(post.model_dump())
        return _rendered(view, body, tags, edge_ttl_s)

    return await _serve(visit, view, build)


async def _list_view(request: Request, env: Env, ctx: ExecutionContext, base: str, fmt: Format) -> Response:
    visit = await open_public_visit(request, env, ctx)
    page = _page_number(request) if base != "/" else 1
    if page is None:
        return _not_found(visit, View(PageKind.LIST, fmt, None), None, "There is no such page.")
    view = View(PageKind.LIST, fmt, list_path(base, page))

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | None:
        posts = await _page_of_posts(visit, page, snapshot)
        if page > 1 and not posts.posts:
            return None
        if fmt == "json":
            body: str | bytes = json_body({**posts.model_dump(), "next_page": page + 1 if posts.has_more else None})
        elif base == "/":
            body = home_page(config, posts.posts[:HOME_POSTS], more=len(posts.posts) > HOME_POSTS or posts.has_more)
        else:
            body = blog_index_page(config, posts.posts, page=page, has_more=posts.has_more)
        tags = (tenant_tag(config.subdomain), list_tag(config.subdomain))
        return _rendered(view, body, tags, LIST_EDGE_TTL_S)

    return await _serve(visit, view, build)


async def home(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _list_view(request, env, ctx, "/", "html")


async def blog_index(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _list_view(request, env, ctx, "/blog", "html")


async def api_post_list(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _list_view(request, env, ctx, "/api/posts", "json")


async def blog_post(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    return await _post_view(request, env, ctx, slug, "html")


async def api_post(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    return await _post_view(request, env, ctx, slug, "json")
