"""PostContentDO (``post-content:{tenant}:{post_id}``): content versions, per-device drafts,
storage location (d1, r2, r2_archived)."""

from __future__ import annotations

from durable_objects.base import GroveDurableObject


class PostContentDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS content_versions (
             version INTEGER PRIMARY KEY,
             markdown TEXT NOT NULL,
             html TEXT NOT NULL,
             created_at_ms INTEGER NOT NULL,
             created_by TEXT NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS metadata (
             key TEXT PRIMARY KEY,           -- storage_location, r2_key, title, description
             value TEXT NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS device_drafts (
             device_id TEXT PRIMARY KEY,
             content TEXT NOT NULL,
             base_version INTEGER,
             saved_at_ms INTEGER NOT NULL
           )""",
    )
