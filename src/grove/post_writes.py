"""Post writes: the one path every write of a post takes.

The post API (create, partial update, delete), publishing a draft and restoring a version all
come here. A create or update is made by the post's ``PostContentDO`` (one at a time per post;
a new markdown is recorded there as a content version before D1 shows it, see
``durable_objects.post_content``); a delete is one D1 statement. Each is followed by the same
cache invalidation (``grove.invalidation``), finished before the write is acknowledged.
Errors are ``HttpError``s with the API's codes; a write D1 could not take is a 503
``write_unavailable`` (nothing acknowledged: the client sends it again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from grove.bindings import Env
from grove.d1_limits import D1_MAX_ROW_BYTES
from grove.errors import HttpError, not_found, validation_error
from grove.fanout import post_changed
from grove.ids import new_id
from grove.invalidation import after_post_write
from grove.markdown import RenderedMarkdown, render_markdown
from grove.models import AuthorPost, PostCreate
from grove.post_content_rpc import PostWriteReply, RenderedArgs
from grove.post_drafts import post_content_stub
from grove.post_meta_rpc import post_meta_stub
from grove.posts_store import DeletedPost, delete_post, old_slugs, read_post_ref
from grove.settings import Settings
from grove.slugs import slugify
from grove.tenancy import NO_BLOG_HERE

log = logging.getLogger("grove.posts")


class SlugConflict(HttpError):
    """409 ``slug_taken``: another post of this blog has the slug (a class, so that callers
    catch it by type rather than by comparing codes)."""

    def __init__(self, slug: str) -> None:
        super().__init__(409, "slug_taken", f"The slug '{slug}' is already used by another post of this blog.")


def _no_post(slug: str) -> HttpError:
    return not_found(f"There is no post '{slug}'.")


# Everything in a post row besides its markdown and HTML, at most (title 200, description 500
# and 20 tags of 40 characters, 4 UTF-8 bytes each, plus ids, JSON and numbers), so that a
# later change of any of them cannot push a row that passed this check over the limit.
ROW_METADATA_ALLOWANCE_BYTES = 16 * 1024


def _rendered(markdown: str) -> RenderedMarkdown:
    """The markdown rendered, refused with 413 when source and HTML would not fit one D1 row
    (HTML escaping can make the page several times the size of what was sent)."""
    rendered = render_markdown(markdown)
    row_bytes = len(markdown.encode("utf-8")) + len(rendered.html.encode("utf-8")) + ROW_METADATA_ALLOWANCE_BYTES
    if row_bytes > D1_MAX_ROW_BYTES:
        raise HttpError(
            413, "rendered_too_large",
            f"The post's markdown and its rendered HTML take {row_bytes} bytes; a post may take at most {D1_MAX_ROW_BYTES}.",
        )
    return rendered


def _rendered_args(rendered: RenderedMarkdown) -> RenderedArgs:
    return {"html": rendered.html, "word_count": rendered.word_count, "reading_time_min": rendered.reading_time_min}


# How long a client waits before sending a write again that D1 could not take.
WRITE_RETRY_AFTER_S = 5


def _unavailable() -> HttpError:
    return HttpError(
        503, "write_unavailable", "The post could not be saved just now; send it again.",
        headers={"retry-after": str(WRITE_RETRY_AFTER_S)},
    )


async def _through_object(call: Awaitable[PostWriteReply]) -> AuthorPost | None:
    """The post a write made, None for ``missing``; other refusals become their errors. An
    object that stopped mid-write (reset, unreachable) is a 503: the write may have landed,
    and its version is settled by the object either way."""
    try:
        reply = await call
    except Exception:
        log.exception("a post write through its PostContentDO did not answer")
        raise _unavailable() from None
    if reply["outcome"] == "written":
        return AuthorPost.model_validate(reply["post"])
    if reply["outcome"] == "missing":
        return None
    if reply["outcome"] == "slug_taken":
        raise SlugConflict(reply["message"])
    if reply["outcome"] == "no_tenant":
        raise not_found(NO_BLOG_HERE)
    raise _unavailable()


async def create(env: Env, settings: Settings, tenant: str, author_id: str, payload: PostCreate) -> AuthorPost:
    slug = payload.slug or slugify(payload.title)
    if not slug:
        raise validation_error("slug", "slug: the title has no letters or digits to derive one from; send a slug")
    post_id = new_id()
    post = await _through_object(post_content_stub(env, tenant, post_id).create_post({
        "author_id": author_id, "slug": slug, "post": payload.model_dump(),
        "rendered": _rendered_args(_rendered(payload.markdown)),
    }))
    if post is None:  # a create has no "missing"
        raise RuntimeError(f"create_post of {tenant}/{slug} answered missing")
    await after_post_write(
        env, settings, tenant=tenant, post_id=post.id, copies={slug: post},
        status=post.status, published_at_ms=post.published_at_ms,
    )
    if post.status == "published":
        await post_changed(env, post.id, post.author_id)
    return post


async def update(
    env: Env, settings: Settings, tenant: str, slug: str, changes: dict[str, Any], editor_id: str
) -> AuthorPost | None:
    """Apply a partial update (by ``editor_id``: a new markdown is their version); None when
    there is no post at ``slug``."""
    rendered = _rendered(changes["markdown"]) if "markdown" in changes else None
    ref = await read_post_ref(env.DB, tenant, slug)
    if ref is None:
        return None
    post = await _through_object(post_content_stub(env, tenant, ref["id"]).update_post({
        "editor_id": editor_id, "slug": slug, "changes": changes,
        "rendered": None if rendered is None else _rendered_args(rendered),
    }))
    if post is None:
        return None
    # A rename leaves copies under the old slug as well as (tombstones under) the new one;
    # every earlier slug of the post now redirects to the new one too (no chains of 301s).
    moved = [slug, *(await old_slugs(env.DB, post.id))] if post.slug != slug else []
    await after_post_write(
        env, settings, tenant=tenant, post_id=post.id,
        copies={**dict.fromkeys(moved), slug: None, post.slug: post},
        status=post.status, published_at_ms=post.published_at_ms,
        moved_to=dict.fromkeys(moved, post.slug),
    )
    if post.published_at_ms is not None:  # published now or before: feeds may hold a copy
        await post_changed(env, post.id, post.author_id)
    return post


async def update_existing(
    env: Env, settings: Settings, tenant: str, slug: str, changes: dict[str, Any], editor_id: str
) -> AuthorPost:
    post = await update(env, settings, tenant, slug, changes, editor_id)
    if post is None:
        raise _no_post(slug)
    return post


async def delete(env: Env, settings: Settings, tenant: str, slug: str) -> DeletedPost:
    deleted = await delete_post(env, tenant, slug)
    if deleted is None:
        raise _no_post(slug)
    await after_post_write(
        env, settings, tenant=tenant, post_id=deleted.id, copies={slug: None},
        status=deleted.status, published_at_ms=deleted.published_at_ms,
    )
    if deleted.published_at_ms is not None:
        await post_changed(env, deleted.id, deleted.author_id)
    await _forget_objects(env, tenant, deleted.id)
    return deleted


async def _forget_objects(env: Env, tenant: str, post_id: str) -> None:
    """Empty the deleted post's two objects (versions and drafts; reactions, comments still
    buffered, views, sockets). D1 no longer has the post, so nothing can reach them by its
    slug; this is so that nothing a reader or author wrote outlives it. Best effort: the
    delete stands either way, and what an object keeps is unreachable."""
    outcomes = await asyncio.gather(
        post_content_stub(env, tenant, post_id).forget(), post_meta_stub(env, tenant, post_id).forget(),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            log.error("a deleted post's object could not be emptied (%s/%s)", tenant, post_id, exc_info=outcome)


async def upsert(
    env: Env, settings: Settings, tenant: str, author_id: str, slug: str, payload: PostCreate
) -> tuple[AuthorPost, bool]:
    """Write ``payload`` to the post at ``slug``, creating it if there is none; True when
    created. (Publishing a draft: the post keeps its id, author and first publication time.)"""
    changes = payload.model_dump(exclude={"slug"})
    post = await update(env, settings, tenant, slug, changes, author_id)
    if post is not None:
        return post, False
    try:
        return await create(env, settings, tenant, author_id, payload.model_copy(update={"slug": slug})), True
    except SlugConflict:
        pass
    # Created by someone else between the two statements: it exists now.
    return await update_existing(env, settings, tenant, slug, changes, author_id), False
