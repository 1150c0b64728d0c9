"""TenantDO (``tenant:{subdomain}``): the tenant's config, kept close to the readers.

``get_config()`` answers from the object's own storage and reloads from D1 (the source of
truth) on first use and when its copy is 5 minutes old, so config costs D1 one query per
tenant per 5 minutes at most, however many requests ask. An unknown tenant is remembered as
``None`` for the same 5 minutes; ``refresh_config()`` reloads at once (tenant creation calls
it). Draft sync and the analytics buffer (their tables are below) come with issue 5.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from durable_objects.base import GroveDurableObject
from grove.clock import now_ms
from grove.tenancy import read_tenant, subdomain_of

log = logging.getLogger("grove.tenant_do")

CONFIG_MAX_AGE_MS = 5 * 60 * 1000
_CONFIG_KEY = "tenant"


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

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        rows = self.sql.exec(
            "SELECT value, loaded_at_ms FROM config WHERE key = ?", _CONFIG_KEY
        ).toArray()
        self._config: dict[str, Any] | None = json.loads(rows[0]["value"]) if rows else None
        self._loaded_at_ms: int | None = rows[0]["loaded_at_ms"] if rows else None

    def _stale(self) -> bool:
        return self._loaded_at_ms is None or now_ms() - self._loaded_at_ms >= CONFIG_MAX_AGE_MS

    async def get_config(self) -> dict[str, Any] | None:
        """The tenant's config (display name, theme, tier, limits), or None if unknown."""
        if self._stale():
            await self.exclusive(self._reload_if_stale)
        return self._config

    async def refresh_config(self) -> dict[str, Any] | None:
        """Reload from D1 now (after the tenant row changed)."""
        await self.exclusive(self._reload)
        return self._config

    async def _reload_if_stale(self) -> None:
        # Callers that queued behind a reload find it done.
        if self._stale():
            await self._reload()

    async def _reload(self) -> None:
        subdomain = subdomain_of(self.object_name)
        try:
            config = await read_tenant(self.env.DB, subdomain)
        except Exception:
            if self._config is None:
                raise
            # D1 unreachable: a known tenant keeps its last config rather than going dark.
            log.exception("config reload for %s failed; serving the copy from %s", subdomain, self._loaded_at_ms)
            return
        data = None if config is None else config.model_dump()
        loaded_at_ms = now_ms()
        self.sql.exec(
            "INSERT OR REPLACE INTO config (key, value, loaded_at_ms) VALUES (?, ?, ?)",
            _CONFIG_KEY,
            json.dumps(data),
            loaded_at_ms,
        )
        self._config, self._loaded_at_ms = data, loaded_at_ms
