"""AuthorPostsDO (``author:{user_id}``): the recent published posts of one author served by
*pull* (an author over the fan-out threshold, ``grove.meadow_policy``), which their followers'
feeds read at load time instead of receiving a copy each.

Schema: ``posts``, one row per post (idempotent by post id: a repeat refreshes it), the
``FeedItem`` as JSON and its keyset columns; the newest ``AUTHOR_STORE_MAX_POSTS`` are kept.
RPC: ``put_post`` (publish, edit), ``remove_posts`` (unpublish, delete), ``recent`` (a feed's
load). No alarm. The fan-out consumer (``grove.fanout``) is its only writer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypedDict, cast

from durable_objects.base import GroveDurableObject
from grove.feed_rpc import AuthorPostsStub, AuthorRemoved, FeedItem
from grove.meadow_policy import AUTHOR_STORE_MAX_POSTS


class _ItemRow(TypedDict):
    item: str


class _CountRow(TypedDict):
    n: int


class AuthorPostsDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS posts (
             post_id TEXT PRIMARY KEY,
             published_at_ms INTEGER NOT NULL,
             item TEXT NOT NULL              -- the FeedItem, JSON
           )""",
        "CREATE INDEX IF NOT EXISTS posts_recent ON posts (published_at_ms DESC, post_id DESC)",
    )

    async def put_post(self, item: FeedItem) -> int:
        """Insert or refresh one post; the number of posts kept."""
        self.sql.exec(
            "INSERT INTO posts (post_id, published_at_ms, item) VALUES (?, ?, ?)"
            " ON CONFLICT (post_id) DO UPDATE SET published_at_ms = excluded.published_at_ms, item = excluded.item",
            item["post_id"], item["published_at_ms"], json.dumps(item, separators=(",", ":")),
        )
        self.sql.exec(
            "DELETE FROM posts WHERE post_id IN (SELECT post_id FROM posts"
            " ORDER BY published_at_ms DESC, post_id DESC LIMIT -1 OFFSET ?)",
            AUTHOR_STORE_MAX_POSTS,
        )
        row: _CountRow = self.sql.exec("SELECT COUNT(*) AS n FROM posts").one()
        return row["n"]

    async def remove_posts(self, post_ids: list[str]) -> AuthorRemoved:
        removed = 0
        for post_id in post_ids:
            removed += self.sql.exec("DELETE FROM posts WHERE post_id = ?", post_id).rowsWritten
        return {"removed": removed}

    async def recent(self, limit: int) -> list[FeedItem]:
        """The newest ``limit`` posts, newest first."""
        rows: list[_ItemRow] = self.sql.exec(
            "SELECT item FROM posts ORDER BY published_at_ms DESC, post_id DESC LIMIT ?", limit
        ).toArray()
        return [cast(FeedItem, json.loads(row["item"])) for row in rows]


if TYPE_CHECKING:
    _RPC_CONTRACT: type[AuthorPostsStub] = AuthorPostsDO
