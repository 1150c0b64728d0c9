"""The draft of an existing post: where it lives (the post's PostContentDO, by post id), how it
is made from the post, and what publishing it changes.

A draft made from a post starts with the post's markdown and every field (title, description,
tags, slug) and remembers them as its ``base``. Publishing writes only the fields whose draft
value differs from the base (``grove.drafts.changed_fields``), plus ``status: published`` when
the post is not published yet; an unchanged markdown is not rewritten, so the post keeps its
storage tier.
"""

from __future__ import annotations

from typing import Any

from grove.bindings import Env
from grove.drafts import DraftBase, DraftData, DraftMetadataDict, changed_fields, markdown_sha256
from grove.models import AuthorPost, PostStatus
from grove.post_content_rpc import DraftOpenArgs, PostContentStub, object_name


def post_content_stub(env: Env, tenant: str, post_id: str) -> PostContentStub:
    namespace = env.POST_CONTENT
    return namespace.get(namespace.idFromName(object_name(tenant, post_id)))


def draft_start(post: AuthorPost) -> DraftOpenArgs:
    """The draft a post opens as: its text and fields, which are also the draft's base."""
    metadata: DraftMetadataDict = {
        "title": post.title, "description": post.description, "tags": list(post.tags), "slug": post.slug,
    }
    base: DraftBase = {
        "title": post.title, "description": post.description, "tags": list(post.tags), "slug": post.slug,
        "markdown_sha256": markdown_sha256(post.markdown),
    }
    return {"post_id": post.id, "slug": post.slug, "content": post.markdown, "metadata": metadata, "base": base}


def publish_changes(draft: DraftData, status: PostStatus) -> dict[str, Any]:
    """The partial update publishing ``draft`` makes to a post whose status is ``status``."""
    if draft["base"] is None:
        raise ValueError("publish_changes needs the draft of an existing post (one with a base)")
    changes = changed_fields(draft["base"], draft)
    if status != "published":
        changes["status"] = "published"
    return changes
