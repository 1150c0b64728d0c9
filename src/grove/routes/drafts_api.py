"""Draft sync: ``GET /api/drafts`` (list), ``GET|PUT|DELETE /api/drafts/{slug}`` and
``POST /api/drafts/{slug}/publish``. Owners and authors of the Host's tenant only; every reply
is ``private, no-store``.

Drafts live in the tenant's TenantDO; ``grove.drafts`` has the version rule. A PUT carries
``content``, ``metadata`` (title, description, tags), ``device_id`` and ``base_version`` (the
version it was edited from; absent for a new draft): 201 when it created the draft, 200 when
it saved a new version or the server already held that text, 409 ``draft_conflict`` with
``error.server`` (the server's draft: content, metadata, version, device_id, saved_at_ms; null
when it was deleted meanwhile) when it was edited from a version the server no longer holds,
413 over 1 MiB. ``DELETE ?version=N`` removes only that version (409 otherwise).

Publishing writes the draft as the post at the same slug through ``grove.post_writes`` (the
post API's path, with its cache invalidation), then removes the draft if it is still the
version that was published.
"""

from __future__ import annotations

from grove import post_writes
from grove.bindings import Env, ExecutionContext
from grove.drafts import (
    MAX_DRAFT_BODY_BYTES,
    MAX_DRAFT_BYTES,
    DraftData,
    DraftMetadataDict,
    draft_size_bytes,
)
from grove.errors import HttpError, conflict, not_found
from grove.http import json_response, query_int
from grove.json_reader import MAX_SAFE_INTEGER
from grove.models import (
    DraftDeletedBody,
    DraftList,
    DraftPublish,
    DraftPut,
    DraftSaveBody,
    PostCreate,
    PublishReply,
)
from grove.platform import Request, Response
from grove.request_body import parse_json, parse_model, read_body, read_json
from grove.router import QueryInt, Router
from grove.routes.visit import open_writer_visit
from grove.tenancy import NO_BLOG_HERE, tenant_stub
from grove.tenant_rpc import DraftRefusal, DraftSaveArgs


def register(router: Router) -> None:
    version = {"version": QueryInt(1, MAX_SAFE_INTEGER, "Delete only this version (409 otherwise).")}
    router.add("GET", "/api/drafts", list_drafts, access="writer", summary="The tenant's drafts.", response=DraftList)
    router.add("GET", "/api/drafts/{slug}", get_draft, access="writer", summary="A draft.", response=DraftData)
    router.add(
        "PUT", "/api/drafts/{slug}", put_draft, access="writer", summary="Save a draft (409 on a conflict).",
        request=DraftPut, response=DraftSaveBody, statuses=(200, 201),
    )
    router.add(
        "DELETE", "/api/drafts/{slug}", delete_draft, access="writer", summary="Delete a draft.",
        response=DraftDeletedBody, query=version,
    )
    router.add(
        "POST", "/api/drafts/{slug}/publish", publish_draft, access="writer", summary="Publish a draft as the post.",
        request=DraftPublish, request_required=False, response=PublishReply, statuses=(200, 201),
    )


def _draft_conflict(server: DraftData | None) -> HttpError:
    message = (
        "The draft changed since the version this edit started from."
        if server is not None
        else "The draft was deleted or published since this edit started."
    )
    return conflict("draft_conflict", message, server=server)


def _no_draft(slug: str) -> HttpError:
    return not_found(f"There is no draft '{slug}'.")


def _refused(reply: DraftRefusal, slug: str) -> HttpError:
    """What a TenantDO reply that did not do what was asked becomes: 404 for an unknown
    tenant or a missing draft, 409 for a conflict."""
    if reply["outcome"] == "no_tenant":
        return not_found(NO_BLOG_HERE)
    if reply["outcome"] == "missing":
        return _no_draft(slug)
    return _draft_conflict(reply["draft"])


def _save_args(put: DraftPut) -> DraftSaveArgs:
    metadata: DraftMetadataDict = {
        "title": put.metadata.title,
        "description": put.metadata.description,
        "tags": put.metadata.tags,
    }
    return {"content": put.content, "metadata": metadata, "device_id": put.device_id, "base_version": put.base_version}


async def list_drafts(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    reply = await tenant_stub(env, tenant).list_drafts()
    if reply["outcome"] != "found":
        raise _refused(reply, "")
    return json_response({"drafts": reply["drafts"]})


async def get_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    reply = await tenant_stub(env, tenant).get_draft(slug)
    if reply["outcome"] != "found":
        raise _refused(reply, slug)
    return json_response(reply["draft"])


async def put_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, _ = await open_writer_visit(request, env, ctx)
    save = _save_args(parse_model(DraftPut, await read_json(request, visit.headers, MAX_DRAFT_BODY_BYTES)))
    if draft_size_bytes(save["content"], save["metadata"]) > MAX_DRAFT_BYTES:
        raise HttpError(413, "draft_too_large", f"A draft (content and metadata, UTF-8) may be at most {MAX_DRAFT_BYTES} bytes.")
    reply = await tenant_stub(env, tenant).save_draft(slug, save)
    if reply["outcome"] == "saved":
        return json_response({"outcome": reply["outcome"], **reply["draft"]}, status=201 if reply["created"] else 200)
    if reply["outcome"] == "unchanged":
        return json_response({"outcome": reply["outcome"], **reply["draft"]})
    raise _refused(reply, slug)


async def delete_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    version = query_int(request, "version", 1, MAX_SAFE_INTEGER)
    reply = await tenant_stub(env, tenant).delete_draft(slug, version)
    if reply["outcome"] != "deleted":
        raise _refused(reply, slug)
    return json_response({"deleted": reply["draft"]})


async def publish_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, claims = await open_writer_visit(request, env, ctx)
    body = await read_body(request, visit.headers)
    wanted = parse_model(DraftPublish, parse_json(body) if body.strip() else {}).version
    stub = tenant_stub(env, tenant)
    found = await stub.get_draft(slug)
    if found["outcome"] != "found":
        raise _refused(found, slug)
    draft = found["draft"]
    if wanted is not None and wanted != draft["version"]:
        raise _draft_conflict(draft)
    metadata = draft["metadata"]
    payload = parse_model(
        PostCreate,
        {
            "title": metadata.get("title", ""),
            "slug": slug,
            "markdown": draft["content"],
            "description": metadata.get("description", ""),
            "tags": metadata.get("tags", []),
            "status": "published",
        },
    )
    post, created = await post_writes.upsert(env, visit.settings, tenant, claims.sub, slug, payload)
    # Only the published version goes: a save made meanwhile on another device stays.
    removed = await stub.delete_draft(slug, draft["version"])
    return json_response(
        {"post": post.model_dump(), "draft_removed": removed["outcome"] == "deleted"},
        status=201 if created else 200,
        headers={"location": f"/api/posts/{post.slug}"},
    )
