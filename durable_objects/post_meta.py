"""PostMetaDO (``post-meta:{tenant}:{post_id}``): reactions, comment buffer, views, presence."""

from __future__ import annotations

from durable_objects.base import GroveDurableObject


class PostMetaDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS reactions (
             user_id TEXT NOT NULL,
             reaction_type TEXT NOT NULL,
             created_at_ms INTEGER NOT NULL,
             PRIMARY KEY (user_id, reaction_type)
           )""",
        """CREATE TABLE IF NOT EXISTS reaction_counts (
             reaction_type TEXT PRIMARY KEY,
             count INTEGER NOT NULL DEFAULT 0
           )""",
        """CREATE TABLE IF NOT EXISTS comments_buffer (
             id TEXT PRIMARY KEY,
             user_id TEXT NOT NULL,
             content TEXT NOT NULL,
             parent_id TEXT,
             created_at_ms INTEGER NOT NULL,
             synced_to_d1 INTEGER NOT NULL DEFAULT 0
           )""",
        """CREATE TABLE IF NOT EXISTS stats (
             key TEXT PRIMARY KEY,           -- view_count, last_viewed_at_ms, last_edited_at_ms
             value INTEGER NOT NULL
           )""",
    )
