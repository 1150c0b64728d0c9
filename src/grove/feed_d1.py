"""The D1 reads that fill a Meadow feed: a follow's backfill (one author's recent posts) and a
feed's rebuild (the newest posts of everyone a user follows). Both build ``FeedItem``s in one
statement each: the post, its author's name, its reaction counts (``post_reactions``, flushed
from the PostMetaDOs within 5 minutes), visible comments and views, and score them
(``grove.feed_scoring``). Only published posts are ever read: a draft or archived post never
enters a feed.
"""

from __future__ import annotations

import json
from typing import TypedDict

from grove.bindings import D1Database, D1PreparedStatement
from grove.feed_rpc import FeedItem
from grove.feed_scoring import relevance_score

_ITEM_COLUMNS = (
    "SELECT p.id AS post_id, p.tenant, p.slug, p.author_id, p.published_at_ms, p.title, p.description,"
    " p.tags, p.views, COALESCE(u.display_name, '') AS author_name,"
    " (SELECT json_group_object(reaction_type, n) FROM (SELECT reaction_type, COUNT(*) AS n"
    "   FROM post_reactions r WHERE r.post_id = p.id GROUP BY reaction_type)) AS reactions,"
    " (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id AND c.hidden_at_ms IS NULL"
    "   AND c.deleted_at_ms IS NULL) AS comments"
    " FROM posts p LEFT JOIN users u ON u.id = p.author_id"
)
_NEWEST_FIRST = " ORDER BY p.published_at_ms DESC, p.id DESC LIMIT ?3"
# posts_by_author_published: (author_id, status, published_at_ms DESC, id DESC).
_BY_AUTHOR = (
    f"{_ITEM_COLUMNS} WHERE p.author_id = ?1 AND p.status = 'published'"
    f" AND p.published_at_ms > ?2{_NEWEST_FIRST}"
)
# Pull authors' posts are read from their stores at load time, never copied in.
_BY_FOLLOWER = (
    f"{_ITEM_COLUMNS} WHERE p.author_id IN (SELECT author_id FROM follows WHERE follower_id = ?1"
    " AND author_id NOT IN (SELECT author_id FROM meadow_pull_authors))"
    f" AND p.status = 'published' AND p.published_at_ms > ?2{_NEWEST_FIRST}"
)
_BY_POST = f"{_ITEM_COLUMNS} WHERE p.id = ?1 AND p.status = 'published'"
_FOLLOWED = (
    "SELECT f.author_id, f.followed_at_ms, (m.author_id IS NOT NULL) AS pull FROM follows f"
    " LEFT JOIN meadow_pull_authors m ON m.author_id = f.author_id WHERE f.follower_id = ?1"
)


class ItemRow(TypedDict):
    post_id: str
    tenant: str
    slug: str
    author_id: str
    published_at_ms: int
    title: str
    description: str
    tags: str  # JSON array
    views: int
    author_name: str
    reactions: str | None  # JSON object
    comments: int


class FollowedRow(TypedDict):
    author_id: str
    followed_at_ms: int
    pull: int  # 1: served by pull (meadow_pull_authors)


class _Flag(TypedDict):
    found: int


def item_of(row: ItemRow) -> FeedItem:
    reactions: dict[str, int] = {str(k): int(v) for k, v in json.loads(row["reactions"] or "{}").items()}
    tags = [str(tag) for tag in json.loads(row["tags"] or "[]")]
    return {
        "post_id": row["post_id"],
        "tenant": row["tenant"],
        "slug": row["slug"],
        "author_id": row["author_id"],
        "published_at_ms": row["published_at_ms"],
        "score": relevance_score(row["published_at_ms"], reactions, row["comments"], row["views"]),
        "preview": {
            "title": row["title"],
            "description": row["description"],
            "author_name": row["author_name"],
            "tags": tags,
        },
        "reactions": reactions,
        "comments": row["comments"],
        "views": row["views"],
    }


async def author_posts(db: D1Database, author_id: str, *, newer_than_ms: int, limit: int) -> list[FeedItem]:
    """The author's newest published posts after ``newer_than_ms``, at most ``limit``."""
    select: D1PreparedStatement[ItemRow] = db.prepare(_BY_AUTHOR)
    result = await select.bind(author_id, newer_than_ms, limit).all()
    return [item_of(row) for row in result["results"]]


async def published_item(db: D1Database, post_id: str) -> FeedItem | None:
    """The post as a feed item, or None when it is not published (or gone)."""
    select: D1PreparedStatement[ItemRow] = db.prepare(_BY_POST)
    row = await select.bind(post_id).first()
    return None if row is None else item_of(row)


async def is_pull_author(db: D1Database, author_id: str) -> bool:
    select: D1PreparedStatement[_Flag] = db.prepare("SELECT 1 AS found FROM meadow_pull_authors WHERE author_id = ?1")
    return await select.bind(author_id).first() is not None


async def rebuild_reads(db: D1Database, follower_id: str, *, limit: int) -> tuple[list[FollowedRow], list[FeedItem]]:
    """Everything a feed's rebuild reads, in one D1 batch: whom the user follows and the
    newest ``limit`` published posts among them."""
    followed: D1PreparedStatement[FollowedRow] = db.prepare(_FOLLOWED)
    posts: D1PreparedStatement[ItemRow] = db.prepare(_BY_FOLLOWER)
    results = await db.batch([followed.bind(follower_id), posts.bind(follower_id, -1, limit)])
    follows: list[FollowedRow] = results[0]["results"]
    rows: list[ItemRow] = results[1]["results"]
    return follows, [item_of(row) for row in rows]
