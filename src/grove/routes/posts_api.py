"""Post writes: ``POST /api/posts``, ``PUT /api/posts/{slug}`` (partial, incl. slug rename and
status changes), ``DELETE /api/posts/{slug}``. Owners and authors of the Host's tenant only.

The writes themselves (one D1 statement, then the cache invalidation, before the reply) are
``grove.post_writes``, shared with publishing a draft. Responses are ``private, no-store``.
"""

from __future__ import annotations

from grove import post_writes
from grove.bindings import Env, ExecutionContext
from grove.http import json_response
from grove.limits import Rule
from grove.models import AuthorPost, PostCreate, PostDeleted, PostUpdate
from grove.platform import Request, Response
from grove.rate_limit import enforce
from grove.request_body import parse_model, read_json
from grove.router import Router
from grove.routes.visit import open_writer_visit


def register(router: Router) -> None:
    router.add("POST", "/api/posts", create, access="writer", summary="Create a post.", request=PostCreate, response=AuthorPost, statuses=(201,))
    router.add("PUT", "/api/posts/{slug}", update, access="writer", summary="Change a post (the fields sent).", request=PostUpdate, response=AuthorPost)
    router.add("DELETE", "/api/posts/{slug}", delete, access="writer", summary="Delete a post.", response=PostDeleted)


async def create(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit, tenant, claims = await open_writer_visit(request, env, ctx)
    # Per user (seed 003's rate_limit:{userId}:{endpoint}); a user id is a tenant's own.
    await enforce(env, Rule.POST_CREATE, f"{tenant}:{claims.sub}")
    payload = parse_model(PostCreate, await read_json(request, visit.headers))
    post = await post_writes.create(env, visit.settings, tenant, claims.sub, payload)
    return json_response(post.model_dump(), status=201, headers={"location": f"/api/posts/{post.slug}"})


async def update(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, claims = await open_writer_visit(request, env, ctx)
    changes = parse_model(PostUpdate, await read_json(request, visit.headers)).changes()
    post = await post_writes.update_existing(env, visit.settings, tenant, slug, changes, claims.sub)
    return json_response(post.model_dump())


async def delete(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, _ = await open_writer_visit(request, env, ctx)
    deleted = await post_writes.delete(env, visit.settings, tenant, slug)
    return json_response({"deleted": {"id": deleted.id, "slug": deleted.slug}})
