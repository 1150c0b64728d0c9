"""What a PostMetaDO answers over RPC, as the Worker receives it: one TypedDict per reply and
the stub's methods (``PostMetaStub``). Plain dicts only: RPC results cross the isolate
boundary by structured clone (PLATFORM.md). The object (``durable_objects.post_meta``) builds
these and the routes (``grove.routes.post_meta_api``) narrow them by ``outcome``; the type
checker holds both ends to this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NotRequired, Protocol

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove.engagement import object_name

if TYPE_CHECKING:  # grove.bindings imports this module; the platform imports grove.bindings
    from grove.bindings import Env
    from grove.platform import Request, Response

CommentState = Literal["visible", "hidden", "deleted"]


class Comment(TypedDict):
    """A comment as readers get it. ``html`` is empty once hidden or deleted (the thread keeps
    its place); ``mine``: the caller wrote it."""

    id: str
    parent_id: str | None
    author_id: str
    html: str
    created_at_ms: int
    state: CommentState
    mine: bool
    # The author's display name: the object keeps ids only; the Worker adds names from D1
    # ``users`` to every reply (one query a page), and the object's broadcast of a new
    # comment carries the name the Worker passed in ``CommentArgs``.
    author_name: NotRequired[str]


class ReactionToggled(TypedDict):
    added: bool
    count: int  # of this type, after the toggle
    counts: dict[str, int]


class Reactions(TypedDict):
    counts: dict[str, int]
    mine: list[str]  # the caller's reaction types (empty without a caller)


class CommentPage(TypedDict):
    comments: list[Comment]
    next_cursor: str | None


class CommentArgs(TypedDict):
    """``add_comment``'s argument: rendered by the Worker (``grove.markdown``)."""

    user_id: str
    markdown: str
    html: str
    parent_id: str | None
    author_name: NotRequired[str]  # for the broadcast only (not stored)


class CommentAdded(TypedDict):
    outcome: Literal["added"]
    comment: Comment


class NoParent(TypedDict):
    outcome: Literal["no_parent"]


class CommentMissing(TypedDict):
    outcome: Literal["missing"]


class NotYours(TypedDict):
    outcome: Literal["not_yours"]


class CommentChanged(TypedDict):
    outcome: Literal["changed"]
    comment: Comment


class ViewRecorded(TypedDict):
    counted: bool  # False: the same reader within the de-duplication window


class PostStats(TypedDict):
    views: int
    views_30d: int
    daily_uniques_30d: int
    last_viewed_at_ms: int | None
    reactions: dict[str, int]
    comments: int  # visible comments


AddReply = CommentAdded | NoParent
# Hiding answers ``not_yours`` never (the Worker checks who may hide); deleting does.
ModerateReply = CommentChanged | CommentMissing | NotYours


class PostMetaStub(Protocol):
    """``env.POST_META.get(id)``: the PostMetaDO's public methods, called over RPC."""

    async def toggle_reaction(self, user_id: str, reaction_type: str) -> ReactionToggled: ...

    async def reactions(self, user_id: str | None) -> Reactions: ...

    async def forget(self) -> None: ...

    async def add_comment(self, args: CommentArgs) -> AddReply: ...

    async def list_comments(self, cursor: str | None, limit: int, viewer_id: str | None) -> CommentPage: ...

    async def hide_comment(self, comment_id: str) -> ModerateReply: ...

    async def delete_comment(self, comment_id: str, user_id: str) -> ModerateReply: ...

    async def record_view(self, address: str, user_agent: str) -> ViewRecorded: ...

    async def stats(self) -> PostStats: ...

    async def fetch(self, request: Request) -> Response: ...


def post_meta_stub(env: Env, tenant: str, post_id: str) -> PostMetaStub:
    """The post's PostMetaDO, by post id (``grove.engagement.object_name``)."""
    return env.POST_META.get(env.POST_META.idFromName(object_name(tenant, post_id)))
