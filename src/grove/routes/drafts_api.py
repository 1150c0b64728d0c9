"""Draft sync: ``GET /api/drafts`` (list), ``GET|PUT|DELETE /api/drafts/{slug}`` and
``POST /api/drafts/{slug}/publish``. Owners and authors of the Host's tenant only; every reply
is ``private, no-store``.

The draft of a post that exists (any status) lives in that post's PostContentDO, keyed by
post id, so a slug rename keeps it (``grove.post_drafts``); ``GET`` of such a slug with no
draft makes one from the post (its markdown and every field, its ``base``). Drafts of posts
that do not exist yet live in the tenant's TenantDO (``GET /api/drafts`` lists those). Both
follow ``grove.drafts``'s version rule behind the same API. A PUT carries
``content``, ``metadata`` (title, description, tags), ``device_id`` and ``base_version`` (the
version it was edited from; absent for a new draft): 201 when it created the draft, 200 when
it saved a new version or the server already held that text, 409 ``draft_conflict`` with
``error.server`` (the server's draft: content, metadata, version, device_id, saved_at_ms; null
when it was deleted meanwhile) when it was edited from a version the server no longer holds,
413 over 1 MiB. ``DELETE ?version=N`` removes only that version (409 otherwise).

Which store holds a slug's draft is decided by D1 (is there a post with that slug?). When D1
cannot answer, a draft call is a 503 ``drafts_unavailable`` with ``Retry-After``, and nothing
is written: saving into the TenantDO then could split one post's draft in two. The editor keeps
the text on the device and sends it again.

Publishing goes through ``grove.post_writes`` (the post API's path, with its cache
invalidation), then removes the draft if it is still the version that was published. The
draft of an existing post changes exactly the fields the author changed from its base (a
slug in ``metadata.slug`` renames the post); the draft of a new post creates it.
"""

from __future__ import annotations

import logging

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
    AuthorPost,
    DraftDeletedBody,
    DraftList,
    DraftPublish,
    DraftPut,
    DraftSaveBody,
    PostCreate,
    PostUpdate,
    PublishReply,
)
from grove.platform import Request, Response
from grove.post_content_rpc import PostContentStub
from grove.post_drafts import draft_start, post_content_stub, publish_changes
from grove.posts_store import PostRef, read_post, read_post_ref
from grove.request_body import parse_json, parse_model, read_body, read_json
from grove.router import QueryInt, Router
from grove.routes.visit import open_writer_visit
from grove.settings import Settings
from grove.tenancy import NO_BLOG_HERE, tenant_stub
from grove.tenant_rpc import DraftMissing, DraftRefusal, DraftSaveArgs

log = logging.getLogger("grove.drafts")


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


def _refused(reply: DraftRefusal | DraftMissing, slug: str) -> HttpError:
    """What a TenantDO reply that did not do what was asked becomes: 404 for an unknown
    tenant or a missing draft, 409 for a conflict."""
    if reply["outcome"] == "no_tenant":
        return not_found(NO_BLOG_HERE)
    if reply["outcome"] == "missing":
        return _no_draft(slug)
    return _draft_conflict(reply["draft"])


# How long a client waits before sending a draft again after D1 could not be asked.
DRAFTS_RETRY_AFTER_S = 5


async def _post_at(env: Env, tenant: str, slug: str) -> PostRef | None:
    """The post at ``slug`` (None: the draft is a new post's), or 503 when D1 cannot say."""
    try:
        return await read_post_ref(env.DB, tenant, slug)
    except Exception:
        log.exception("post lookup for the draft %s/%s failed", tenant, slug)
        raise HttpError(
            503, "drafts_unavailable", "Drafts cannot be reached for a moment; your text is kept, try again shortly.",
            headers={"retry-after": str(DRAFTS_RETRY_AFTER_S)},
        ) from None


def _save_args(put: DraftPut, *, of_post: bool) -> DraftSaveArgs:
    metadata: DraftMetadataDict = {
        "title": put.metadata.title,
        "description": put.metadata.description,
        "tags": put.metadata.tags,
    }
    if of_post and put.metadata.slug is not None:
        metadata["slug"] = put.metadata.slug
    return {"content": put.content, "metadata": metadata, "device_id": put.device_id, "base_version": put.base_version}


async def _open_from_post(env: Env, tenant: str, slug: str, stub: PostContentStub) -> DraftData:
    """The post's draft, made from the post if it has none (404 if the post went meanwhile)."""
    post = await read_post(env, tenant, slug)
    if post is None:
        raise _no_draft(slug)
    return (await stub.open_draft(draft_start(post)))["draft"]


async def list_drafts(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    reply = await tenant_stub(env, tenant).list_drafts()
    if reply["outcome"] != "found":
        raise _refused(reply, "")
    return json_response({"drafts": reply["drafts"]})


async def get_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    post = await _post_at(env, tenant, slug)
    if post is not None:
        stub = post_content_stub(env, tenant, post["id"])
        found = await stub.get_draft(slug)
        return json_response(found["draft"] if found["outcome"] == "found" else await _open_from_post(env, tenant, slug, stub))
    reply = await tenant_stub(env, tenant).get_draft(slug)
    if reply["outcome"] != "found":
        raise _refused(reply, slug)
    return json_response(reply["draft"])


async def put_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, _ = await open_writer_visit(request, env, ctx)
    put = parse_model(DraftPut, await read_json(request, visit.headers, MAX_DRAFT_BODY_BYTES))
    post = await _post_at(env, tenant, slug)
    save = _save_args(put, of_post=post is not None)
    if draft_size_bytes(save["content"], save["metadata"]) > MAX_DRAFT_BYTES:
        raise HttpError(413, "draft_too_large", f"A draft (content and metadata, UTF-8) may be at most {MAX_DRAFT_BYTES} bytes.")
    if post is not None:
        stub = post_content_stub(env, tenant, post["id"])
        reply = await stub.save_draft(slug, save)
        if reply["outcome"] == "missing":
            # No draft yet: it is made from the post, and the save is judged against it (a
            # save that did not start from it is a conflict showing the post's text).
            await _open_from_post(env, tenant, slug, stub)
            reply = await stub.save_draft(slug, save)
    else:
        reply = await tenant_stub(env, tenant).save_draft(slug, save)
    if reply["outcome"] == "saved":
        return json_response({"outcome": reply["outcome"], **reply["draft"]}, status=201 if reply["created"] else 200)
    if reply["outcome"] == "unchanged":
        return json_response({"outcome": reply["outcome"], **reply["draft"]})
    raise _refused(reply, slug)


async def delete_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    version = query_int(request, "version", 1, MAX_SAFE_INTEGER)
    post = await _post_at(env, tenant, slug)
    if post is not None:
        reply = await post_content_stub(env, tenant, post["id"]).delete_draft(slug, version)
    else:
        reply = await tenant_stub(env, tenant).delete_draft(slug, version)
    if reply["outcome"] != "deleted":
        raise _refused(reply, slug)
    return json_response({"deleted": reply["draft"]})


async def publish_draft(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, tenant, claims = await open_writer_visit(request, env, ctx)
    body = await read_body(request, visit.headers)
    wanted = parse_model(DraftPublish, parse_json(body) if body.strip() else {}).version
    existing = await _post_at(env, tenant, slug)
    if existing is not None:
        return await _publish_post_draft(visit.settings, env, tenant, existing, wanted, claims.sub)
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
            "title": metadata["title"],
            "slug": slug,
            "markdown": draft["content"],
            "description": metadata["description"],
            "tags": metadata["tags"],
            "status": "published",
        },
    )
    post, created = await post_writes.upsert(env, visit.settings, tenant, claims.sub, slug, payload)
    # Only the published version goes: a save made meanwhile on another device stays.
    removed = await stub.delete_draft(slug, draft["version"])
    return _published(post, created=created, draft_removed=removed["outcome"] == "deleted")


async def _publish_post_draft(
    settings: Settings, env: Env, tenant: str, existing: PostRef, wanted: int | None, editor_id: str
) -> Response:
    slug = existing["slug"]
    stub = post_content_stub(env, tenant, existing["id"])
    found = await stub.get_draft(slug)
    if found["outcome"] != "found":
        raise _no_draft(slug)
    draft = found["draft"]
    if wanted is not None and wanted != draft["version"]:
        raise _draft_conflict(draft)
    changes = publish_changes(draft, existing["status"])
    if changes:
        # The post API's own validation of a partial update (a cleared title is a 422 naming it).
        changes = parse_model(PostUpdate, changes).changes()
        post = await post_writes.update_existing(env, settings, tenant, slug, changes, editor_id)
    else:
        unchanged = await read_post(env, tenant, slug)
        if unchanged is None:
            raise _no_draft(slug)
        post = unchanged
    removed = await stub.delete_draft(post.slug, draft["version"])
    return _published(post, created=False, draft_removed=removed["outcome"] == "deleted", changed=sorted(changes))


def _published(post: AuthorPost, *, created: bool, draft_removed: bool, changed: list[str] | None = None) -> Response:
    body: dict[str, object] = {"post": post.model_dump(), "draft_removed": draft_removed}
    if changed is not None:
        body["changed"] = changed
    return json_response(body, status=201 if created else 200, headers={"location": f"/api/posts/{post.slug}"})
