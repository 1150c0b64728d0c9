"""FeedDO (``feed:{user_id}``): a Meadow user's prefetched, scored feed."""

from __future__ import annotations

from durable_objects.base import GroveDurableObject


class FeedDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS following (
             author_id TEXT PRIMARY KEY,
             followed_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS feed_items (
             post_id TEXT PRIMARY KEY,
             tenant TEXT NOT NULL,
             author_id TEXT NOT NULL,
             score REAL NOT NULL,
             published_at_ms INTEGER NOT NULL,
             preview TEXT NOT NULL,          -- JSON: title, description, author_name, tags
             added_at_ms INTEGER NOT NULL
           )""",
        "CREATE INDEX IF NOT EXISTS feed_items_by_score ON feed_items (score DESC)",
    )
