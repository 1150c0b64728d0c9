"""FeedDO (``feed:{user_id}``): a Meadow user's prefetched, scored feed, answered without D1.

Reads as schema, then RPC, then alarm:

- ``items``: up to ``FEED_MAX_ITEMS`` posts of the authors the user follows, one row per post
  (inserts are idempotent by post id: a repeat refreshes the copy), each with its whole
  ``FeedItem`` as JSON and the two sort keys as columns. When full, the newest are kept.
- ``following``: the authors followed, as D1 ``follows`` said at the last rebuild plus the
  follows since (D1 stays the source of truth).
- ``snapshots``/``snapshot_ranks``: frozen relevance orders, one per first relevance page,
  paged by rank (``grove.feed_cursors``), kept ``RELEVANCE_SNAPSHOT_TTL_MS``.
- ``feed_state``: ``built_at_ms`` (absent: never built, or built partially) and the activity
  times the alarm reports to D1 ``feed_activity``.
- ``pull_authors``: followed authors served by pull (``grove.fanout``): their posts are not
  pushed here; a first page (either order) reads each one's ``AuthorPostsDO`` (one RPC each,
  at most ``PULL_SOURCES_MAX``, the most recently followed first; at most every
  ``PULL_REFRESH_MS``) and replaces that author's
  items with what it holds, so the rest of the feed's machinery (keyset, snapshots, trim) is
  the same for pushed and pulled items. Cursor pages do not pull again: paging stays stable.

A feed last read more than ``FEED_STALE_AFTER_MS`` ago may have been skipped by the push
(inactive followers get none) and rebuilds on return.

A load of a built feed reads only this object's SQLite. A feed that was never built (or whose
last rebuild failed) rebuilds from D1 on its next load, inside ``exclusive`` so concurrent
loads wait for the one rebuild instead of each reading D1; if D1 fails the load answers with
what the object has and ``partial: true``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, TypedDict, cast

from durable_objects.base import GroveDurableObject
from grove.clock import now_ms
from grove.feed_cursors import FeedSort, RecentCursor, RelevanceCursor, decode_feed_cursor
from grove.feed_d1 import author_posts, is_pull_author, rebuild_reads
from grove.feed_rpc import (
    AuthorRemoved,
    CursorExpired,
    FeedItem,
    FeedStub,
    FollowApplied,
    ItemsAdded,
    PageReply,
)
from grove.ids import new_id
from grove.meadow_policy import (
    ACTIVITY_REPORT_MS,
    BACKFILL_MAX_POSTS,
    FEED_MAX_ITEMS,
    FEED_STALE_AFTER_MS,
    PULL_POSTS_PER_SOURCE,
    PULL_REFRESH_MS,
    PULL_SOURCES_MAX,
    READ_MARK_MS,
    RELEVANCE_SNAPSHOT_TTL_MS,
    RELEVANCE_SNAPSHOTS_KEPT,
    author_object_name,
    user_of_feed,
)

log = logging.getLogger("grove.feed")


class _ItemRow(TypedDict):
    item: str


class _RankedRow(TypedDict):
    rank: int
    item: str


class _ValueRow(TypedDict):
    value: int


class _MaybeRow(TypedDict):
    value: int | None


class _CountRow(TypedDict):
    n: int


class _AuthorRow(TypedDict):
    author_id: str


class FeedDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS following (
             author_id TEXT PRIMARY KEY,
             followed_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS items (
             post_id TEXT PRIMARY KEY,
             author_id TEXT NOT NULL,
             published_at_ms INTEGER NOT NULL,
             score REAL NOT NULL,
             item TEXT NOT NULL,             -- the FeedItem, JSON
             added_at_ms INTEGER NOT NULL
           )""",
        "CREATE INDEX IF NOT EXISTS items_recent ON items (published_at_ms DESC, post_id DESC)",
        "CREATE INDEX IF NOT EXISTS items_by_author ON items (author_id)",
        "CREATE INDEX IF NOT EXISTS items_by_score ON items (score DESC, post_id DESC)",
        """CREATE TABLE IF NOT EXISTS snapshots (
             id TEXT PRIMARY KEY,
             created_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS snapshot_ranks (
             snapshot_id TEXT NOT NULL,
             rank INTEGER NOT NULL,
             post_id TEXT NOT NULL,
             PRIMARY KEY (snapshot_id, rank)
           )""",
        """CREATE TABLE IF NOT EXISTS feed_state (
             key TEXT PRIMARY KEY,           -- built_at_ms, read_at_ms, reported_at_ms, pulled_at_ms
             value INTEGER NOT NULL
           )""",
        "CREATE TABLE IF NOT EXISTS pull_authors (author_id TEXT PRIMARY KEY)",
    )

    # --- RPC ------------------------------------------------------------------------------

    async def page(self, sort: str, cursor: str | None, limit: int) -> PageReply | CursorExpired:
        """One page of the feed, newest first (``recent``) or by a relevance snapshot."""
        order: FeedSort = "relevance" if sort == "relevance" else "recent"
        decoded = None if cursor is None else decode_feed_cursor(cursor, order)
        now = now_ms()
        read_at_ms = self._state("read_at_ms")
        if read_at_ms is not None and now - read_at_ms > FEED_STALE_AFTER_MS:
            # Away long enough to have been skipped by the push: rebuild from D1 once.
            self.sql.exec("DELETE FROM feed_state WHERE key = 'built_at_ms'")
        partial = not await self._ensure_built()
        pulled_at_ms = self._state("pulled_at_ms")
        if decoded is None and (pulled_at_ms is None or now - pulled_at_ms >= PULL_REFRESH_MS):
            pulled = await self._pull()
            partial = not pulled or partial
            if pulled:
                self._set_state("pulled_at_ms", now)
        if read_at_ms is None or now - read_at_ms >= READ_MARK_MS:
            self._set_state("read_at_ms", now)
        await self.schedule_alarm_by(self._next_alarm_ms(now))
        if isinstance(decoded, RelevanceCursor) or (decoded is None and order == "relevance"):
            return self._relevance_page(decoded, limit, now, partial)
        return self._recent_page(decoded, limit, partial)

    async def add_items(self, items: list[FeedItem]) -> ItemsAdded:
        """Insert or refresh ``items`` (idempotent by post id); keep the newest when full."""
        added = self._upsert(items)
        return {"added": added, "kept": self._trim()}

    async def follow(self, author_id: str, followed_at_ms: int) -> FollowApplied:
        """Backfill a new follow: the author's recent posts, only ones newer than the feed's
        oldest item once it is full. A feed not built yet rebuilds instead (D1's follows
        already hold this one)."""
        self.sql.exec(
            "INSERT INTO following (author_id, followed_at_ms) VALUES (?, ?) ON CONFLICT (author_id) DO NOTHING",
            author_id, followed_at_ms,
        )
        if await is_pull_author(self.env.DB, author_id):
            self.sql.exec("INSERT INTO pull_authors (author_id) VALUES (?) ON CONFLICT DO NOTHING", author_id)
            await self._pull_from([author_id])
        elif self._state("built_at_ms") is not None:
            newer_than_ms = self._oldest_kept_ms() if self._count() >= FEED_MAX_ITEMS else -1
            posts = await author_posts(self.env.DB, author_id, newer_than_ms=newer_than_ms, limit=BACKFILL_MAX_POSTS)
            self._upsert(posts)
            self._trim()
        else:
            await self._ensure_built()
        row: _CountRow = self.sql.exec("SELECT COUNT(*) AS n FROM items WHERE author_id = ?", author_id).one()
        return {"backfilled": row["n"]}

    async def unfollow(self, author_id: str) -> AuthorRemoved:
        """Forget the author and remove every item of theirs at once."""
        self.sql.exec("DELETE FROM following WHERE author_id = ?", author_id)
        self.sql.exec("DELETE FROM pull_authors WHERE author_id = ?", author_id)
        removed = self._count_where("author_id = ?", author_id)
        self.sql.exec("DELETE FROM items WHERE author_id = ?", author_id)
        return {"removed": removed}

    async def mark_pull(self, author_id: str) -> AuthorRemoved:
        """The author is served by pull from now on: drop the copies pushed earlier (the next
        first page reads the author's store instead)."""
        self.sql.exec("INSERT INTO pull_authors (author_id) VALUES (?) ON CONFLICT DO NOTHING", author_id)
        self.sql.exec("DELETE FROM feed_state WHERE key = 'pulled_at_ms'")  # pull on the next load
        removed = self._count_where("author_id = ?", author_id)
        self.sql.exec("DELETE FROM items WHERE author_id = ?", author_id)
        return {"removed": removed}

    async def remove_posts(self, post_ids: list[str]) -> AuthorRemoved:
        """Remove posts (deleted, unpublished) from the feed; absent ones are no-ops."""
        removed = 0
        for post_id in post_ids:
            removed += self._count_where("post_id = ?", post_id)
            self.sql.exec("DELETE FROM items WHERE post_id = ?", post_id)
        return {"removed": removed}

    # --- alarm ----------------------------------------------------------------------------

    async def alarm(self, alarm_info: object = None) -> None:
        """Drop expired relevance snapshots; report the feed's use to D1 (at most daily)."""
        now = now_ms()
        self._prune_snapshots(now)
        read_at_ms = self._state("read_at_ms")
        reported_at_ms = self._state("reported_at_ms")
        if read_at_ms is not None and (reported_at_ms is None or read_at_ms - reported_at_ms >= ACTIVITY_REPORT_MS):
            # An exception here leaves the mark unset: the platform retries the alarm.
            await self.env.DB.prepare(
                "INSERT INTO feed_activity (user_id, active_at_ms) VALUES (?1, ?2)"
                " ON CONFLICT (user_id) DO UPDATE SET active_at_ms = MAX(active_at_ms, excluded.active_at_ms)"
            ).bind(user_of_feed(self.object_name), read_at_ms).run()
            self._set_state("reported_at_ms", read_at_ms)
        oldest: _MaybeRow = self.sql.exec("SELECT MIN(created_at_ms) AS value FROM snapshots").one()
        if oldest["value"] is not None:
            await self.storage.setAlarm(oldest["value"] + RELEVANCE_SNAPSHOT_TTL_MS)

    # --- internals ------------------------------------------------------------------------

    def _next_alarm_ms(self, now: int) -> int:
        reported_at_ms = self._state("reported_at_ms")
        if reported_at_ms is None or now - reported_at_ms >= ACTIVITY_REPORT_MS:
            return now  # report this use soon (the alarm runs after this event)
        return now + RELEVANCE_SNAPSHOT_TTL_MS

    async def _ensure_built(self) -> bool:
        """True when the feed is complete; rebuilds once from D1 when it never was."""
        if self._state("built_at_ms") is not None:
            return True
        return await self.exclusive(self._rebuild)

    async def _rebuild(self) -> bool:
        if self._state("built_at_ms") is not None:
            return True  # a concurrent load rebuilt it while this one waited
        user_id = user_of_feed(self.object_name)
        try:
            follows, items = await rebuild_reads(self.env.DB, user_id, limit=FEED_MAX_ITEMS)
        except Exception:
            log.exception("feed rebuild for %s failed; answering partially", user_id)
            return False
        self.sql.exec("DELETE FROM following")
        self.sql.exec("DELETE FROM pull_authors")
        for row in follows:
            self.sql.exec("INSERT INTO following (author_id, followed_at_ms) VALUES (?, ?)", row["author_id"], row["followed_at_ms"])
            if row["pull"]:
                self.sql.exec("INSERT INTO pull_authors (author_id) VALUES (?)", row["author_id"])
        # D1 is the whole truth at a rebuild: copies of posts unpublished or deleted while the
        # feed was skipped by the push (inactive), or of authors no longer followed, go; pull
        # authors' items come back from their stores on the next first page.
        self.sql.exec("DELETE FROM items")
        self.sql.exec("DELETE FROM feed_state WHERE key = 'pulled_at_ms'")  # pull again at once
        self._upsert(items)
        self._trim()
        self._set_state("built_at_ms", now_ms())
        return True

    async def _pull(self) -> bool:
        """Refresh the items of the followed pull authors; False when a store did not answer
        (its earlier copies stay)."""
        rows: list[_AuthorRow] = self.sql.exec(
            "SELECT p.author_id FROM pull_authors p JOIN following f ON f.author_id = p.author_id"
            " ORDER BY f.followed_at_ms DESC, p.author_id LIMIT ?",
            PULL_SOURCES_MAX,
        ).toArray()
        return await self._pull_from([row["author_id"] for row in rows])

    async def _pull_from(self, authors: list[str]) -> bool:
        if not authors:
            return True
        namespace = self.env.AUTHOR_POSTS
        replies = await asyncio.gather(
            *(namespace.get(namespace.idFromName(author_object_name(a))).recent(PULL_POSTS_PER_SOURCE) for a in authors),
            return_exceptions=True,
        )
        complete = True
        for author, reply in zip(authors, replies, strict=True):
            if isinstance(reply, BaseException):
                log.warning("pull from %s failed: %s", author, reply)
                complete = False
                continue
            self.sql.exec("DELETE FROM items WHERE author_id = ?", author)
            self._upsert(reply)
        self._trim()
        return complete

    def _upsert(self, items: list[FeedItem]) -> int:
        added = 0
        now = now_ms()
        for item in items:
            added += 1 - self._count_where("post_id = ?", item["post_id"])
            self.sql.exec(
                "INSERT INTO items (post_id, author_id, published_at_ms, score, item, added_at_ms)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (post_id) DO UPDATE SET author_id = excluded.author_id,"
                " published_at_ms = excluded.published_at_ms, score = excluded.score, item = excluded.item",
                item["post_id"], item["author_id"], item["published_at_ms"], item["score"],
                json.dumps(item, separators=(",", ":")), now,
            )
        return added

    def _trim(self) -> int:
        """Keep the ``FEED_MAX_ITEMS`` newest; the count kept."""
        self.sql.exec(
            "DELETE FROM items WHERE post_id IN (SELECT post_id FROM items"
            " ORDER BY published_at_ms DESC, post_id DESC LIMIT -1 OFFSET ?)",
            FEED_MAX_ITEMS,
        )
        return self._count()

    def _count(self) -> int:
        row: _CountRow = self.sql.exec("SELECT COUNT(*) AS n FROM items").one()
        return row["n"]

    def _count_where(self, condition: str, value: str) -> int:
        row: _CountRow = self.sql.exec(f"SELECT COUNT(*) AS n FROM items WHERE {condition}", value).one()
        return row["n"]

    def _oldest_kept_ms(self) -> int:
        row: _ValueRow = self.sql.exec("SELECT MIN(published_at_ms) AS value FROM items").one()
        return row["value"]

    def _state(self, key: str) -> int | None:
        rows: list[_ValueRow] = self.sql.exec("SELECT value FROM feed_state WHERE key = ?", key).toArray()
        return rows[0]["value"] if rows else None

    def _set_state(self, key: str, value: int) -> None:
        self.sql.exec(
            "INSERT INTO feed_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key, value,
        )

    def _recent_page(self, cursor: RecentCursor | None, limit: int, partial: bool) -> PageReply:
        if cursor is None:
            rows: list[_ItemRow] = self.sql.exec(
                "SELECT item FROM items ORDER BY published_at_ms DESC, post_id DESC LIMIT ?", limit + 1
            ).toArray()
        else:
            rows = self.sql.exec(
                "SELECT item FROM items WHERE (published_at_ms, post_id) < (?, ?)"
                " ORDER BY published_at_ms DESC, post_id DESC LIMIT ?",
                cursor.published_at_ms, cursor.post_id, limit + 1,
            ).toArray()
        items = [cast(FeedItem, json.loads(row["item"])) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = RecentCursor(items[-1]["published_at_ms"], items[-1]["post_id"]).encode() if more and items else None
        return {"outcome": "page", "page": {"items": items, "next_cursor": next_cursor, "partial": partial}}

    def _relevance_page(self, cursor: RelevanceCursor | None, limit: int, now: int, partial: bool) -> PageReply | CursorExpired:
        if cursor is None:
            cursor = RelevanceCursor(self._new_snapshot(now), 0)
        else:
            found: list[_ValueRow] = self.sql.exec(
                "SELECT created_at_ms AS value FROM snapshots WHERE id = ?", cursor.snapshot_id
            ).toArray()
            if not found or now - found[0]["value"] > RELEVANCE_SNAPSHOT_TTL_MS:
                return {"outcome": "expired"}
        rows: list[_RankedRow] = self.sql.exec(
            "SELECT s.rank, i.item FROM snapshot_ranks s JOIN items i ON i.post_id = s.post_id"
            " WHERE s.snapshot_id = ? AND s.rank > ? ORDER BY s.rank LIMIT ?",
            cursor.snapshot_id, cursor.rank, limit + 1,
        ).toArray()
        shown = rows[:limit]
        items = [cast(FeedItem, json.loads(row["item"])) for row in shown]
        next_cursor = RelevanceCursor(cursor.snapshot_id, shown[-1]["rank"]).encode() if len(rows) > limit and shown else None
        return {"outcome": "page", "page": {"items": items, "next_cursor": next_cursor, "partial": partial}}

    def _new_snapshot(self, now: int) -> str:
        """Freeze today's relevance order (score, then post id) under a new snapshot id."""
        self._prune_snapshots(now)
        snapshot_id = new_id()
        self.sql.exec("INSERT INTO snapshots (id, created_at_ms) VALUES (?, ?)", snapshot_id, now)
        self.sql.exec(
            "INSERT INTO snapshot_ranks (snapshot_id, rank, post_id)"
            " SELECT ?, ROW_NUMBER() OVER (ORDER BY score DESC, post_id DESC), post_id FROM items",
            snapshot_id,
        )
        return snapshot_id

    def _prune_snapshots(self, now: int) -> None:
        """Drop snapshots past their lifetime, and all but the newest few."""
        stale = (
            "SELECT id FROM snapshots WHERE created_at_ms < ? UNION"
            " SELECT id FROM (SELECT id FROM snapshots ORDER BY created_at_ms DESC LIMIT -1 OFFSET ?)"
        )
        params = (now - RELEVANCE_SNAPSHOT_TTL_MS, RELEVANCE_SNAPSHOTS_KEPT - 1)
        self.sql.exec(f"DELETE FROM snapshot_ranks WHERE snapshot_id IN ({stale})", *params)
        self.sql.exec(f"DELETE FROM snapshots WHERE id IN ({stale})", *params)


if TYPE_CHECKING:
    # Callers hold a FeedStub (grove.feed_rpc): the type checker keeps this class its match.
    _RPC_CONTRACT: type[FeedStub] = FeedDO
