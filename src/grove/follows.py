"""Meadow's follow graph in D1 (``follows``, migration 0009): follow, unfollow, whether one
follows, and one person's follows newest first by keyset (``grove.pagination``, index
``follows_by_follower``). A follow is (follower, author), both user ids; D1 is its source of
truth, each FeedDO keeps a copy of its user's row set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove.bindings import D1Database, D1PreparedStatement
from grove.meadow_policy import FOLLOW_MAX
from grove.pagination import Cursor, KeysetOrder, page_rows

_ORDER = KeysetOrder("f.followed_at_ms", "f.author_id")
# One statement: the author must exist and the follower be under the cap; a repeat inserts
# nothing (the first follow's time stays).
_FOLLOW = (
    "INSERT INTO follows (follower_id, author_id, followed_at_ms)"
    " SELECT ?1, u.id, ?3 FROM users u WHERE u.id = ?2"
    " AND (SELECT COUNT(*) FROM follows WHERE follower_id = ?1) < ?4"
    " ON CONFLICT (follower_id, author_id) DO NOTHING RETURNING followed_at_ms"
)
_WHY_NOT = (
    "SELECT (SELECT followed_at_ms FROM follows WHERE follower_id = ?1 AND author_id = ?2) AS followed_at_ms,"
    " EXISTS (SELECT 1 FROM users WHERE id = ?2) AS author_exists"
)


class Follow(TypedDict):
    author_id: str
    display_name: str
    followed_at_ms: int


class FollowPage(TypedDict):
    follows: list[Follow]
    next_cursor: str | None


class _FollowedAt(TypedDict):
    followed_at_ms: int


class _WhyNot(TypedDict):
    followed_at_ms: int | None
    author_exists: int


@dataclass(frozen=True)
class FollowOutcome:
    """``new``: this call made the follow; ``already``: it existed; ``no_author``: no such
    user; ``full``: the follower is at ``FOLLOW_MAX``."""

    kind: Literal["new", "already", "no_author", "full"]
    followed_at_ms: int | None


async def follow(db: D1Database, follower_id: str, author_id: str, now_ms: int) -> FollowOutcome:
    insert: D1PreparedStatement[_FollowedAt] = db.prepare(_FOLLOW)
    made = await insert.bind(follower_id, author_id, now_ms, FOLLOW_MAX).first()
    if made is not None:
        return FollowOutcome("new", made["followed_at_ms"])
    why: D1PreparedStatement[_WhyNot] = db.prepare(_WHY_NOT)
    row = await why.bind(follower_id, author_id).first()
    if row is not None and row["followed_at_ms"] is not None:
        return FollowOutcome("already", row["followed_at_ms"])
    if row is None or not row["author_exists"]:
        return FollowOutcome("no_author", None)
    return FollowOutcome("full", None)


async def unfollow(db: D1Database, follower_id: str, author_id: str) -> bool:
    """True when a follow was removed."""
    result = await db.prepare("DELETE FROM follows WHERE follower_id = ?1 AND author_id = ?2").bind(follower_id, author_id).run()
    return bool(result["meta"]["changes"])


async def followed_at(db: D1Database, follower_id: str, author_id: str) -> int | None:
    select: D1PreparedStatement[_FollowedAt] = db.prepare(
        "SELECT followed_at_ms FROM follows WHERE follower_id = ?1 AND author_id = ?2"
    )
    row = await select.bind(follower_id, author_id).first()
    return None if row is None else row["followed_at_ms"]


async def follow_page(db: D1Database, follower_id: str, cursor: Cursor | None, limit: int) -> FollowPage:
    """The follower's follows, newest first, ``limit`` a page from ``cursor`` (older only)."""
    select: D1PreparedStatement[Follow] = db.prepare(
        "SELECT f.author_id, COALESCE(u.display_name, '') AS display_name, f.followed_at_ms"
        " FROM follows f LEFT JOIN users u ON u.id = f.author_id"
        f" WHERE f.follower_id = ?1{_ORDER.where(cursor, 2, 3)}{_ORDER.order_by(cursor)} LIMIT ?4"
    )
    rows = (await select.bind(follower_id, *_ORDER.params(cursor), limit + 1).all())["results"]
    window = page_rows(rows, cursor, limit)
    older, _ = _ORDER.edge_cursors(window, lambda row: (row["followed_at_ms"], row["author_id"]))
    return {"follows": window.rows, "next_cursor": older}
