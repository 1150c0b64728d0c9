"""TenantDO (``tenant:{subdomain}``): tenant config cache, draft sync, analytics buffer."""

from __future__ import annotations

from durable_objects.base import GroveDurableObject


class TenantDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS config (
             key TEXT PRIMARY KEY,
             value TEXT NOT NULL,            -- JSON
             loaded_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS drafts (
             slug TEXT PRIMARY KEY,
             content TEXT NOT NULL,
             metadata TEXT NOT NULL,         -- JSON: title, description, tags
             device_id TEXT NOT NULL,
             version INTEGER NOT NULL,
             saved_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS analytics_buffer (
             id TEXT PRIMARY KEY,            -- event id, also the idempotency key in D1
             event TEXT NOT NULL,            -- JSON
             received_at_ms INTEGER NOT NULL
           )""",
    )
