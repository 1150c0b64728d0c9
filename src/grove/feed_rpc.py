"""What a FeedDO answers over RPC, as the Worker receives it: one TypedDict per reply and the
stub's methods (``FeedStub``). Plain dicts only (structured clone, PLATFORM.md). The object
(``durable_objects.feed``) builds these, the Meadow routes (``grove.routes.meadow_api``) and
the fan-out read them; the type checker holds both ends to this module.
"""

from __future__ import annotations

from typing import Literal, Protocol

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)


class FeedPreview(TypedDict):
    title: str
    description: str
    author_name: str
    tags: list[str]


class FeedItem(TypedDict):
    """One post in a feed: where it lives, what to show, and what ranks it."""

    post_id: str
    tenant: str
    slug: str
    author_id: str
    published_at_ms: int
    score: float  # grove.feed_scoring.relevance_score
    preview: FeedPreview
    reactions: dict[str, int]
    comments: int
    views: int


class FeedPage(TypedDict):
    """``partial``: the feed could not be (re)built completely (D1 did not answer); the items
    are what the object has, and the next load tries again."""

    items: list[FeedItem]
    next_cursor: str | None
    partial: bool


class CursorExpired(TypedDict):
    outcome: Literal["expired"]


class PageReply(TypedDict):
    outcome: Literal["page"]
    page: FeedPage


class ItemsAdded(TypedDict):
    added: int  # items new to the feed (a repeat of an item refreshes it and counts 0)
    kept: int  # items in the feed afterwards


class FollowApplied(TypedDict):
    backfilled: int


class AuthorRemoved(TypedDict):
    removed: int


class FeedStub(Protocol):
    """``env.FEEDS.get(id)``: the FeedDO's public methods, called over RPC."""

    async def page(self, sort: str, cursor: str | None, limit: int) -> PageReply | CursorExpired: ...

    async def add_items(self, items: list[FeedItem]) -> ItemsAdded: ...

    async def follow(self, author_id: str, followed_at_ms: int) -> FollowApplied: ...

    async def unfollow(self, author_id: str) -> AuthorRemoved: ...

    async def remove_posts(self, post_ids: list[str]) -> AuthorRemoved: ...

    async def mark_pull(self, author_id: str) -> AuthorRemoved: ...


class AuthorPostsStub(Protocol):
    """``env.AUTHOR_POSTS.get(id)``: a pull author's store (``durable_objects.author_posts``)."""

    async def put_post(self, item: FeedItem) -> int: ...

    async def remove_posts(self, post_ids: list[str]) -> AuthorRemoved: ...

    async def recent(self, limit: int) -> list[FeedItem]: ...
