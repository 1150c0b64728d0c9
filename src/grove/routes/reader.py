"""Reader routes: ``/`` (tenant home), ``/blog`` (published posts, newest first, paginated),
``/tags/{tag}`` (a tag's posts, the same way), ``/blog/{slug}`` (a post), and the JSON twins
``/api/posts`` and ``/api/posts/{slug}``. ``grove.routes.discovery`` serves feeds, the sitemap,
robots.txt and the favicon through the same read path (``serve``).

Anonymous reads go edge cache -> tenant config -> KV -> D1/R2 and store what they built on
the way back. A request with a valid token is answered ``private, no-store`` and never
stored; writers of the tenant read D1 directly and also see drafts.

Wrong turns: an old slug of a renamed post is a 301 to its slug now (until a post takes the old
slug back); a 404 for a slug that could exist is kept in the Cache API for
``NOT_FOUND_EDGE_TTL_S`` (no KV write, no D1 read per probe) and answered from there in the
format each request asks for, so an HTML 404 never reaches an API client or the reverse.
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
    NUMBERED_PAGES,
    PAGE_SIZE,
    edge_url,
    list_key,
    list_path,
    list_tag,
    post_key,
    post_tag,
    tag_path,
    tag_position,
    tenant_tag,
)
from grove.cache_policy import PageKind, public_headers
from grove.clock import now_ms
from grove.errors import HttpError, not_found
from grove.http import (
    HTML_TYPE,
    JSON_TYPE,
    error_response,
    html_response,
    json_body,
    query_value,
    request_host,
)
from grove.meadow_policy import MEADOW_SUBDOMAIN
from grove.models import CachedPost, PostList, PostPage, PublicPost, TenantConfig
from grove.negotiation import prefers_html
from grove.pages.meadow import meadow_page
from grove.pages.reader import (
    ListLinks,
    blog_index_page,
    home_page,
    message_page,
    post_page,
    tag_page,
)
from grove.pagination import CURSOR_MAX_CHARS, Cursor, parse_page_number
from grove.path_params import TAG_MAX_CHARS, tag_from_path
from grove.platform import Request, Response
from grove.posts_store import (
    ContentMissing,
    read_post_for_readers,
    read_published_page,
    redirect_target,
)
from grove.problems import page_problem
from grove.router import QueryInt, QueryText, Router
from grove.routes.visit import NO_BLOG_HERE, Visit, open_public_visit
from grove.settings import settings_from
from grove.tenancy import tenant_from_host
from grove.tiers import LIST_EDGE_TTL_S, LIST_KV_TTL_S, NOT_FOUND_EDGE_TTL_S, rule_for_location

log = logging.getLogger("grove.reader")


Format = Literal["html", "json"]
NO_POST_HERE = "There is no post at this address."
# A redirect's lifetime in browsers and shared caches: short, since the old slug may be reused
# (every reader-visible post write purges the list tag the redirect carries).
MOVED_CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True)
class Moved:
    """The page lives at ``path`` now (301)."""

    path: str


Build = Callable[[TenantConfig, page_cache.Snapshot], Awaitable["serving.RenderedPage | Moved | None"]]


@dataclass(frozen=True)
class View:
    kind: PageKind
    fmt: Format
    edge_path: str | None  # canonical Cache API path; None: this URL is not edge-cached
    # A 404 here is kept in the Cache API briefly (a post's URL: a slug that could exist).
    cache_missing: bool = False


def register(router: Router) -> None:
    page = {
        "page": QueryInt(1, NUMBERED_PAGES, "One of the first list pages (10 posts each); deeper pages are reached by cursor."),
        "cursor": QueryText(CURSOR_MAX_CHARS, "An opaque position from a list's older/newer link (400 bad_cursor if malformed)."),
    }
    blog_query = {**page, "tag": QueryText(TAG_MAX_CHARS, "A tag: answered with a 301 to that tag's page, /tags/{tag}.")}
    router.add("GET", "/", home, access="reader", summary="The blog's home page.", media="html")
    router.add(
        "GET", "/blog", blog_index, access="reader", summary="Published posts, newest first.", media="html", query=blog_query,
        statuses=(200, 301),
    )
    router.add("GET", "/tags/{tag}", tag_index, access="reader", summary="A tag's published posts, newest first.", media="html", query=page)
    router.add("GET", "/blog/{slug}", blog_post, access="reader", summary="A post's page.", media="html", statuses=(200, 301))
    router.add("GET", "/api/posts", api_post_list, access="reader", summary="Published posts, newest first.", response=PostList, query=page)
    router.add(
        "GET", "/api/posts/{slug}", api_post, access="reader", summary="A post (writers: any status, with its source).",
        response=PublicPost, statuses=(200, 301),
    )


# --- responses that are not pages -----------------------------------------------------------


def _problem(visit: Visit, view: View, config: TenantConfig | None, error: HttpError, title: str) -> Response:
    if view.fmt == "json":
        return error_response(error)
    return page_problem(error, visit.headers.get("accept"), config, title)


def _not_found(visit: Visit, view: View, config: TenantConfig | None, message: str) -> Response:
    return _problem(visit, view, config, not_found(message), "Not found")


# --- the one read path ----------------------------------------------------------------------


def _moved(path: str, cache_tags: tuple[str, ...] = ()) -> Response:
    headers = {"location": path, "cache-control": MOVED_CACHE_CONTROL}
    if cache_tags:
        headers["cache-tag"] = ",".join(cache_tags)
    return Response(None, status=301, headers=headers)


async def _missing_from_edge(visit: Visit, view: View, hit: Response) -> Response:
    """A cached 404, in the format this request asks for: the stored page is the HTML (or,
    for a JSON route, the JSON) one; anyone else gets the other shape, built here."""
    if view.fmt == "html" and prefers_html(visit.headers.get("accept")):
        return html_response(await hit.text(), status=404)
    return error_response(not_found(NO_POST_HERE))


async def _edge_hit(visit: Visit, view: View, key: str) -> Response | None:
    hit = await page_cache.edge_lookup(key)
    if hit is None or not serving.is_current(hit):
        return None
    if hit.status == 404:
        return await _missing_from_edge(visit, view, hit)
    return await serving.from_edge(hit, view.kind, visit.headers)


def _store_missing(visit: Visit, view: View, config: TenantConfig, snapshot: page_cache.Snapshot, key: str) -> None:
    tags = (tenant_tag(config.subdomain), list_tag(config.subdomain))
    if view.fmt == "html":
        body, content_type = message_page(config, title="Not found", message=NO_POST_HERE).encode("utf-8"), HTML_TYPE
    else:
        body, content_type = json_body(not_found(NO_POST_HERE).body()), JSON_TYPE
    copy = serving.missing_copy(body, content_type, tags, NOT_FOUND_EDGE_TTL_S)
    page_cache.edge_store_later(visit.env, visit.ctx, snapshot, key, copy)


def _edge_key(visit: Visit, view: View, generation: page_cache.EdgeGeneration) -> str:
    assert visit.tenant is not None and view.edge_path is not None
    version = generation.for_post() if view.kind is PageKind.POST else generation.for_list()
    return edge_url(visit.tenant, visit.settings.root_domain, view.edge_path, version)


async def serve(visit: Visit, view: View, build: Build) -> Response:
    """The one read path of every public GET (see the module docstring)."""
    if visit.tenant is None:
        return _not_found(visit, view, None, NO_BLOG_HERE)
    cacheable = visit.claims is None and visit.settings.cache_enabled and view.edge_path is not None
    # This data centre's generation of the tenant's pages: with it, a cached view needs no
    # TenantDO call; without it, the TenantDO call below gives it (and it is recorded).
    generation = await page_cache.edge_generation(visit.tenant, visit.settings.root_domain) if cacheable else None
    if generation is not None and (hit := await _edge_hit(visit, view, _edge_key(visit, view, generation))):
        return hit
    config, snapshot = await page_cache.reader_view(visit.env, visit.settings, visit.tenant)
    if config is None:
        return _not_found(visit, view, None, NO_BLOG_HERE)
    if cacheable and generation is None:
        generation = page_cache.EdgeGeneration.of(config, snapshot)
        page_cache.store_generation_later(visit.env, visit.ctx, snapshot, visit.settings.root_domain, generation)
        if hit := await _edge_hit(visit, view, _edge_key(visit, view, generation)):
            return hit
    try:
        page = await build(config, snapshot)
    except ContentMissing as exc:
        log.error("500 for %s: %s", visit.request.url, exc)
        error = HttpError(500, "content_missing", "This post's content is missing from storage. The error has been logged.")
        return _problem(visit, view, config, error, "Something went wrong")
    if isinstance(page, Moved):
        # The list tag: a post that takes the old slug back purges it from the CDN.
        return _moved(page.path, (tenant_tag(config.subdomain), list_tag(config.subdomain)))
    if page is None:
        if generation is not None and view.cache_missing:
            _store_missing(visit, view, config, snapshot, _edge_key(visit, view, generation))
        return _not_found(visit, view, config, NO_POST_HERE)
    if visit.claims is not None:
        return serving.private_response(page, visit.headers)
    if generation is not None:
        key = _edge_key(visit, view, generation)
        page_cache.edge_store_later(visit.env, visit.ctx, snapshot, key, serving.edge_copy(page))
    return serving.public_response(page, visit.headers)


async def cached(
    visit: Visit, snapshot: page_cache.Snapshot, key: str | None, load: Callable[[], Awaitable[page_cache.Loaded]]
) -> JsonValue:
    """Through KV when KV copies are on and the data has a key, else straight from the source."""
    if key is None or not visit.settings.kv_enabled:
        value, _ = await load()
        return value
    return await page_cache.read_through(visit.env, visit.ctx, snapshot, key=key, load=load)


# --- data -----------------------------------------------------------------------------------


async def _load_post(env: Env, tenant: str, slug: str) -> CachedPost | None:
    """The post at ``slug`` with its neighbours, or where it moved; None: nothing there."""
    found = await read_post_for_readers(env, tenant, slug)
    if found is not None:
        post, neighbours = found
        return CachedPost.of(post, neighbours)
    moved_to = await redirect_target(env.DB, tenant, slug)
    return None if moved_to is None else CachedPost(moved_to=moved_to)


async def _load_public_post(env: Env, tenant: str, slug: str) -> page_cache.Loaded:
    loaded = await _load_post(env, tenant, slug)
    if loaded is None:
        # Nothing at this slug, ever: no KV copy (TTL 0). The 404's own edge copy spares the
        # next probes D1, and crawlers probing made-up slugs cost no KV writes at all.
        return CachedPost().model_dump(), 0
    return loaded.model_dump(), loaded.kv_ttl_s()


@dataclass(frozen=True)
class FoundPost:
    post: PublicPost
    cached: CachedPost
    edge_ttl_s: int


async def _post(visit: Visit, slug: str, snapshot: page_cache.Snapshot) -> FoundPost | Moved | None:
    """The post and its edge TTL, or where it moved; writers get any status straight from D1."""
    tenant = visit.require_tenant()
    if is_writer(visit.claims, tenant):
        found = await read_post_for_readers(visit.env, tenant, slug)
        if found is not None:  # a draft too
            return FoundPost(found[0], CachedPost(neighbours=found[1]), 0)
        moved_to = await redirect_target(visit.env.DB, tenant, slug)
        return None if moved_to is None else Moved(moved_to)
    loaded = await cached(visit, snapshot, post_key(tenant, slug), lambda: _load_public_post(visit.env, tenant, slug))
    copy = CachedPost.model_validate(loaded)
    if copy.moved_to is not None:
        return Moved(copy.moved_to)
    if copy.post is None or copy.storage_location is None:
        return None
    edge_ttl_s = rule_for_location(copy.storage_location).edge_ttl_s
    return FoundPost(copy.post, copy, page_cache.edge_ttl_after_writes(snapshot, edge_ttl_s, now_ms()))


@dataclass(frozen=True)
class ListPosition:
    """Which page of a list: by number (the first ``NUMBERED_PAGES``) or by cursor."""

    page: int | None
    cursor: Cursor | None
    raw_cursor: str | None

    def kv_position(self) -> str:
        return f"c{self.raw_cursor}" if self.raw_cursor is not None else f"p{self.page}"


def _list_position(request: Request, base: str) -> ListPosition | None:
    """None for a page number that names no page; a malformed cursor raises a 400."""
    if base == "/":
        return ListPosition(1, None, None)
    raw_cursor = query_value(request, "cursor")
    if raw_cursor is not None:
        cursor = Cursor.decode(raw_cursor)
        return ListPosition(None, cursor, cursor.encode())
    page = parse_page_number(query_value(request, "page"), maximum=NUMBERED_PAGES)
    return None if page is None else ListPosition(page, None, None)


async def _page_of_posts(visit: Visit, position: ListPosition, snapshot: page_cache.Snapshot, tag: str | None) -> PostPage:
    tenant = visit.require_tenant()

    async def load() -> page_cache.Loaded:
        page = await read_published_page(visit.env.DB, tenant, PAGE_SIZE, cursor=position.cursor, page=position.page, tag=tag)
        return page.model_dump(), LIST_KV_TTL_S

    # Keyed by the cache stamp, which every post write moves: no write has to delete lists.
    where = position.kv_position() if tag is None else tag_position(tag, position.kv_position())
    key = list_key(tenant, snapshot.stamp or "0", where)
    return PostPage.model_validate(await cached(visit, snapshot, key, load))


def _list_links(base: str, position: ListPosition, posts: PostPage) -> ListLinks:
    """Older/newer links: numbered among the first pages, by cursor beyond them."""
    page = position.page
    if page is not None and page < NUMBERED_PAGES:
        older = list_path(base, page + 1) if posts.has_more else None
    else:
        older = list_path(base, None, posts.older_cursor) if posts.older_cursor else None
    if page is not None:
        newer = list_path(base, page - 1) if page > 1 else None
    else:
        newer = list_path(base, None, posts.newer_cursor) if posts.newer_cursor else None
    return ListLinks(older=older, newer=newer)


def _rendered(view: View, body: str | bytes, tags: tuple[str, ...], edge_ttl_s: int) -> serving.RenderedPage:
    data = body.encode("utf-8") if isinstance(body, str) else body
    content_type = HTML_TYPE if view.fmt == "html" else JSON_TYPE
    return serving.RenderedPage(data, content_type, view.kind, tags, edge_ttl_s)


# --- handlers -------------------------------------------------------------------------------


async def _post_view(request: Request, env: Env, ctx: ExecutionContext, slug: str, fmt: Format) -> Response:
    visit = await open_public_visit(request, env, ctx)
    base = "/blog" if fmt == "html" else "/api/posts"
    view = View(PageKind.POST, fmt, f"{base}/{slug}", cache_missing=True)

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | Moved | None:
        found = await _post(visit, slug, snapshot)
        if found is None or isinstance(found, Moved):
            return None if found is None else Moved(f"{base}/{found.path}")
        post = found.post
        tags = (tenant_tag(config.subdomain), post_tag(config.subdomain, post.id))
        if fmt == "html":
            origin = visit.settings.site_origin(config.subdomain)
            body: str | bytes = post_page(config, post, found.cached.neighbours, origin=origin)
        else:
            body = json_body(post.model_dump())
        return _rendered(view, body, tags, found.edge_ttl_s)

    return await serve(visit, view, build)


async def _list_view(
    request: Request, env: Env, ctx: ExecutionContext, base: str, fmt: Format, tag: str | None = None
) -> Response:
    visit = await open_public_visit(request, env, ctx)
    try:
        position = _list_position(request, base)
    except HttpError as error:
        return _problem(visit, View(PageKind.LIST, fmt, None), None, error, "Bad request")
    if position is None:
        return _not_found(visit, View(PageKind.LIST, fmt, None), None, "There is no such page.")
    path = list_path(base, position.page, position.raw_cursor)
    view = View(PageKind.LIST, fmt, path)

    async def build(config: TenantConfig, snapshot: page_cache.Snapshot) -> serving.RenderedPage | None:
        posts = await _page_of_posts(visit, position, snapshot, tag)
        if (position.page != 1 or tag is not None) and not posts.posts:
            return None
        links = _list_links(base, position, posts)
        origin = visit.settings.site_origin(config.subdomain)
        if fmt == "json":
            numbered_next = position.page is not None and position.page < NUMBERED_PAGES and posts.has_more
            next_page = position.page + 1 if numbered_next and position.page is not None else None
            body: str | bytes = json_body({**posts.model_dump(), "next_page": next_page, "older": links.older, "newer": links.newer})
        elif tag is not None:
            body = tag_page(config, tag, posts.posts, page=position.page, links=links, origin=origin, path=path)
        elif base == "/":
            body = home_page(config, posts.posts[:HOME_POSTS], more=len(posts.posts) > HOME_POSTS or posts.has_more, origin=origin)
        else:
            body = blog_index_page(config, posts.posts, page=position.page, links=links, origin=origin, path=path)
        tags = (tenant_tag(config.subdomain), list_tag(config.subdomain))
        return _rendered(view, body, tags, LIST_EDGE_TTL_S)

    return await serve(visit, view, build)


async def home(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    if tenant_from_host(request_host(request), settings_from(env).root_domain) == MEADOW_SUBDOMAIN:
        return meadow_home(request)  # meadow.{root} is Meadow's page, not a blog
    return await _list_view(request, env, ctx, "/", "html")


def meadow_home(request: Request) -> Response:
    """The Meadow page's shell: the same for everyone (a list page's public lifetimes); a
    HEAD gets its headers."""
    return html_response(meadow_page(), headers=public_headers(PageKind.LIST))


async def blog_index(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    raw_tag = query_value(request, "tag")
    if raw_tag is not None:
        # /blog?tag=x is the tag's page: one URL per page, for caches and for readers.
        tag = raw_tag.strip()
        if not 1 <= len(tag) <= TAG_MAX_CHARS:
            return page_problem(not_found("There is no such tag."), request.headers.get("accept"))
        return _moved(tag_path(tag))
    return await _list_view(request, env, ctx, "/blog", "html")


async def tag_index(request: Request, env: Env, ctx: ExecutionContext, tag: str) -> Response:
    name = tag_from_path(tag)
    if name is None:  # the router checked the rule already
        return page_problem(not_found("There is no such tag."), request.headers.get("accept"))
    return await _list_view(request, env, ctx, tag_path(name), "html", tag=name)


async def api_post_list(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    return await _list_view(request, env, ctx, "/api/posts", "json")


async def blog_post(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    return await _post_view(request, env, ctx, slug, "html")


async def api_post(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    return await _post_view(request, env, ctx, slug, "json")
