"""What a PostContentDO answers over RPC, as the Worker receives it, and the stub's methods
(``PostContentStub``). The draft replies are ``grove.draft_rpc``'s, shared with TenantDO.

One object per post (``post-content:{tenant}:{post_id}``), so the draft of an existing post
follows the post through slug renames. The Worker has checked in D1 that the post exists
before it calls; the object never reads D1 for drafts.
"""

from __future__ import annotations

from typing import Protocol

from typing_extensions import TypedDict

from grove.draft_rpc import (
    DraftConflict,
    DraftDeleted,
    DraftFound,
    DraftMissing,
    DraftSaveArgs,
    DraftSaved,
    DraftUnchanged,
)
from grove.drafts import DraftBase, DraftMetadataDict

POST_CONTENT_OBJECT_PREFIX = "post-content:"


class DraftOpenArgs(TypedDict):
    """``open_draft``'s argument: the post as it is now (its id, current slug, markdown and
    fields), from which a draft is made when there is none."""

    post_id: str
    slug: str
    content: str
    metadata: DraftMetadataDict
    base: DraftBase


PostGetReply = DraftMissing | DraftFound
PostSaveReply = DraftMissing | DraftSaved | DraftUnchanged | DraftConflict
PostDeleteReply = DraftMissing | DraftConflict | DraftDeleted


class PostContentStub(Protocol):
    """``env.POST_CONTENT.get(id)``: the PostContentDO's public methods, called over RPC.
    ``slug`` arguments are the post's current slug, which replies carry as the draft's name."""

    async def get_draft(self, slug: str) -> PostGetReply: ...

    async def open_draft(self, start: DraftOpenArgs) -> DraftFound: ...

    async def save_draft(self, slug: str, save: DraftSaveArgs) -> PostSaveReply: ...

    async def delete_draft(self, slug: str, expected_version: int | None = None) -> PostDeleteReply: ...


def object_name(tenant: str, post_id: str) -> str:
    return f"{POST_CONTENT_OBJECT_PREFIX}{tenant}:{post_id}"
