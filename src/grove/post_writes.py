"""Post writes: the one path every write of a post takes.

The post API (create, partial update, delete) and publishing a draft all come here, so each
write is one D1 statement followed by the same cache invalidation (``grove.invalidation``),
finished before the write is acknowledged. Errors are ``HttpError``s with the API's codes.
"""

from __future__ import annotations

from typing import Any

from grove.bindings import Env
from grove.clock import now_ms
from grove.d1_limits import D1_MAX_ROW_BYTES
from grove.errors import HttpError, not_found, validation_error
from grove.ids import new_id
from grove.invalidation import after_post_write
from grove.markdown import RenderedMarkdown, render_markdown
from grove.models import AuthorPost, PostCreate
from grove.posts_store import (
    DeletedPost,
    SlugTaken,
    UnknownTenant,
    delete_post,
    insert_post,
    old_slugs,
    update_post,
)
from grove.settings import Settings
from grove.slugs import slugify
from grove.tenancy import NO_BLOG_HERE


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


async def create(env: Env, settings: Settings, tenant: str, author_id: str, payload: PostCreate) -> AuthorPost:
    slug = payload.slug or slugify(payload.title)
    if not slug:
        raise validation_error("slug", "slug: the title has no letters or digits to derive one from; send a slug")
    try:
        post = await insert_post(
            env.DB,
            tenant=tenant,
            post_id=new_id(),
            author_id=author_id,
            slug=slug,
            payload=payload,
            rendered=_rendered(payload.markdown),
            now_ms=now_ms(),
        )
    except SlugTaken:
        raise SlugConflict(slug) from None
    except UnknownTenant:
        raise not_found(NO_BLOG_HERE) from None
    await after_post_write(
        env, settings, tenant=tenant, post_id=post.id, copies={slug: post},
        status=post.status, published_at_ms=post.published_at_ms,
    )
    return post


async def update(env: Env, settings: Settings, tenant: str, slug: str, changes: dict[str, Any]) -> AuthorPost | None:
    """Apply a partial update; None when there is no post at ``slug``."""
    rendered = _rendered(changes["markdown"]) if "markdown" in changes else None
    try:
        post = await update_post(env, tenant, slug, changes, rendered, now_ms())
    except SlugTaken:
        raise SlugConflict(changes["slug"]) from None
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
    return post


async def update_existing(env: Env, settings: Settings, tenant: str, slug: str, changes: dict[str, Any]) -> AuthorPost:
    post = await update(env, settings, tenant, slug, changes)
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
    return deleted


async def upsert(
    env: Env, settings: Settings, tenant: str, author_id: str, slug: str, payload: PostCreate
) -> tuple[AuthorPost, bool]:
    """Write ``payload`` to the post at ``slug``, creating it if there is none; True when
    created. (Publishing a draft: the post keeps its id, author and first publication time.)"""
    changes = payload.model_dump(exclude={"slug"})
    post = await update(env, settings, tenant, slug, changes)
    if post is not None:
        return post, False
    try:
        return await create(env, settings, tenant, author_id, payload.model_copy(update={"slug": slug})), True
    except SlugConflict:
        pass
    # Created by someone else between the two statements: it exists now.
    return await update_existing(env, settings, tenant, slug, changes), False
