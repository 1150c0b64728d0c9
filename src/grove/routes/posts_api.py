"""Post writes: ``POST /api/posts``, ``PUT /api/posts/{slug}`` (partial, incl. slug rename and
status changes), ``DELETE /api/posts/{slug}``. Owners and authors of the Host's tenant only.

Each write is one D1 statement; before it is acknowledged every cached copy it made stale is
gone (``grove.invalidation``). Responses are ``private, no-store``.
"""

from __future__ import annotations

import uuid
from typing import Any

from grove.access import require_writer
from grove.clock import now_ms
from grove.errors import HttpError, conflict, not_found, validation_error
from grove.http import json_response
from grove.invalidation import after_post_write
from grove.markdown import render_markdown
from grove.models import PostCreate, PostUpdate, TokenClaims
from grove.platform import Request, Response
from grove.posts_store import SlugTaken, UnknownTenant, delete_post, insert_post, update_post
from grove.request_body import parse_model, read_json
from grove.router import Router
from grove.routes.visit import NO_BLOG_HERE, Visit, open_visit
from grove.slugs import slugify


def register(router: Router) -> None:
    router.add("POST", "/api/posts", create)
    router.add("PUT", "/api/posts/{slug}", update)
    router.add("DELETE", "/api/posts/{slug}", delete)


async def _writer(request: Request, env: Any, ctx: Any) -> tuple[Visit, str, TokenClaims]:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    return visit, tenant, require_writer(visit.claims, tenant)


async def _invalidate(
    visit: Visit, tenant: str, post_id: str, slugs: set[str], status: str, published_at_ms: int | None
) -> None:
    await after_post_write(
        visit.env, visit.settings, tenant=tenant, post_id=post_id,
        slugs=slugs, status=status, published_at_ms=published_at_ms,
    )


def _slug_taken(slug: str) -> HttpError:
    return conflict("slug_taken", f"The slug '{slug}' is already used by another post of this blog.")


def _no_post(slug: str) -> HttpError:
    return not_found(f"There is no post '{slug}'.")


async def create(request: Request, env: Any, ctx: Any) -> Response:
    visit, tenant, claims = await _writer(request, env, ctx)
    payload = parse_model(PostCreate, await read_json(request, visit.headers))
    slug = payload.slug or slugify(payload.title)
    if not slug:
        raise validation_error("slug", "slug: the title has no letters or digits to derive one from; send a slug")
    try:
        post = await insert_post(
            env.DB,
            tenant=tenant,
            post_id=uuid.uuid4().hex,
            author_id=claims.sub,
            slug=slug,
            payload=payload,
            rendered=render_markdown(payload.markdown),
            now_ms=now_ms(),
        )
    except SlugTaken:
        raise _slug_taken(slug) from None
    except UnknownTenant:
        raise not_found(NO_BLOG_HERE) from None
    await _invalidate(visit, tenant, post.id, {slug}, post.status, post.published_at_ms)
    return json_response(post.model_dump(), status=201, headers={"location": f"/api/posts/{slug}"})


async def update(request: Request, env: Any, ctx: Any, slug: str) -> Response:
    visit, tenant, _ = await _writer(request, env, ctx)
    changes = parse_model(PostUpdate, await read_json(request, visit.headers)).changes()
    rendered = render_markdown(changes["markdown"]) if "markdown" in changes else None
    try:
        post = await update_post(env, tenant, slug, changes, rendered, now_ms())
    except SlugTaken:
        raise _slug_taken(changes["slug"]) from None
    if post is None:
        raise _no_post(slug)
    # A rename leaves copies under the old slug as well as (tombstones under) the new one.
    await _invalidate(visit, tenant, post.id, {slug, post.slug}, post.status, post.published_at_ms)
    return json_response(post.model_dump())


async def delete(request: Request, env: Any, ctx: Any, slug: str) -> Response:
    visit, tenant, _ = await _writer(request, env, ctx)
    deleted = await delete_post(env, tenant, slug)
    if deleted is None:
        raise _no_post(slug)
    await _invalidate(visit, tenant, deleted.id, {slug}, deleted.status, deleted.published_at_ms)
    return json_response({"deleted": {"id": deleted.id, "slug": deleted.slug}})
