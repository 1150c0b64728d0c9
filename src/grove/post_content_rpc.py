"""What a PostContentDO answers over RPC, as the Worker receives it, and the stub's methods
(``PostContentStub``). The draft replies are ``grove.draft_rpc``'s, shared with TenantDO.

One object per post (``post-content:{tenant}:{post_id}``), so the draft of an existing post
and its content versions follow the post through slug renames. The Worker has checked in D1
that the post exists before it calls for drafts; the object never reads D1 for drafts.

Post writes (``create_post``, ``update_post``) are made by the object itself, one at a time,
so that each content save is recorded as a version before D1 shows it
(``durable_objects.post_content``); the Worker then invalidates the caches. Moves between D1
and R2 (``migrate_to_r2``, ``migrate_to_d1``) are the object's too (``grove.content_moves``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Protocol

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
from grove.tiers import StorageLocation

POST_CONTENT_OBJECT_PREFIX = "post-content:"


class DraftOpenArgs(TypedDict):
    """``open_draft``'s argument: the post as it is now (its id, current slug, markdown and
    fields), from which a draft is made when there is none."""

    post_id: str
    slug: str
    content: str
    metadata: DraftMetadataDict
    base: DraftBase


class RenderedArgs(TypedDict):
    html: str
    word_count: int
    reading_time_min: int


class PostCreateArgs(TypedDict):
    """``create_post``: a new post (``post``: ``PostCreate`` as a dict) at ``slug``."""

    author_id: str
    slug: str
    post: dict[str, Any]
    rendered: RenderedArgs


class PostUpdateArgs(TypedDict):
    """``update_post``: a partial update of the post at ``slug`` (``PostUpdate.changes()``);
    ``rendered`` with a new markdown, which becomes a version by ``editor_id``."""

    editor_id: str
    slug: str
    changes: dict[str, Any]
    rendered: RenderedArgs | None


class PostWritten(TypedDict):
    outcome: Literal["written"]
    post: dict[str, Any]  # AuthorPost
    version: int | None  # the content version it made (None: no content changed)


# missing: no such post at that slug; slug_taken; no_tenant; unavailable: D1 could not be
# written (the version is settled against D1 later: kept if D1 has it, dropped if not).
WriteRefusal = Literal["missing", "slug_taken", "no_tenant", "unavailable"]


class PostWriteRefused(TypedDict):
    outcome: WriteRefusal
    message: str


PostWriteReply = PostWritten | PostWriteRefused


class VersionSummary(TypedDict):
    version: int
    author_id: str
    created_at_ms: int
    markdown_bytes: int
    current: bool  # what D1 shows readers now


class VersionDetail(VersionSummary):
    markdown: str
    html: str


class VersionPage(TypedDict):
    """Newest first; ``older_cursor``/``newer_cursor`` lead to the neighbouring pages."""

    versions: list[VersionSummary]
    older_cursor: str | None
    newer_cursor: str | None


class VersionFound(TypedDict):
    outcome: Literal["found"]
    version: VersionDetail
    current: VersionDetail


class VersionMissing(TypedDict):
    outcome: Literal["missing", "unavailable"]


VersionReply = VersionFound | VersionMissing

MoveOutcome = Literal["moved", "already", "changed", "failed", "missing"]
MoveStep = Literal["read", "r2_put", "r2_verify", "d1_update", "invalidate", "cleanup", "done"]


class MoveReply(TypedDict):
    """A move's result. ``moved``: done now; ``already``: it was there (caches refreshed,
    stale copies removed); ``changed``: the post changed during the move, which stopped and
    left it where the edit put it; ``failed``: stopped at ``step`` (``message``), D1 still
    pointing at a complete copy: retry; ``missing``: no such post."""

    outcome: MoveOutcome
    storage_location: StorageLocation | None
    step: MoveStep
    message: NotRequired[str]


class ContentLocation(TypedDict):
    """Where the object last put (or found) the post's content, and the live R2 copy's
    checksum."""

    storage_location: StorageLocation | None
    r2_key: str | None
    r2_sha256: str | None


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

    async def create_post(self, args: PostCreateArgs) -> PostWriteReply: ...

    async def update_post(self, args: PostUpdateArgs) -> PostWriteReply: ...

    async def list_versions(self, cursor: str | None, limit: int) -> VersionPage: ...

    async def get_version(self, version: int) -> VersionReply: ...

    async def migrate_to_r2(self, tier: str) -> MoveReply: ...

    async def migrate_to_d1(self) -> MoveReply: ...

    async def content_location(self) -> ContentLocation: ...

    async def forget(self) -> None: ...


def object_name(tenant: str, post_id: str) -> str:
    return f"{POST_CONTENT_OBJECT_PREFIX}{tenant}:{post_id}"


def parse_object_name(name: str) -> tuple[str, str]:
    """``(tenant, post_id)`` of an object's name (neither contains a colon)."""
    if not name.startswith(POST_CONTENT_OBJECT_PREFIX):
        raise ValueError(f"not a PostContentDO name: {name!r}")
    tenant, _, post_id = name[len(POST_CONTENT_OBJECT_PREFIX):].partition(":")
    if not tenant or not post_id:
        raise ValueError(f"not a PostContentDO name: {name!r}")
    return tenant, post_id
