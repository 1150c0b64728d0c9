"""TenantDO (``tenant:{subdomain}``): the tenant's config, its authors' drafts of new posts,
its analytics buffer.

Config: ``get_config()`` answers from the object's own storage and reloads from D1 (the
source of truth) on first use and when its copy is 5 minutes old, so config costs D1 one query
per tenant per 5 minutes at most, however many requests ask. An unknown tenant is remembered
as ``None`` for the same 5 minutes; ``refresh_config()`` reloads at once (tenant creation and
config updates call it).

Cache stamp: the token ``grove.page_cache`` checks its copies against. Every write to the
tenant's readable content moves it (``bump_cache_stamp()``) before deleting cached copies; a
reader takes it with the config (``get_config_and_stamp()``) and asks again after storing
(``cache_stamp()``). One object per tenant answers every isolate and location alike, which is
what makes the check hold where module state is not shared (see ``grove.page_cache``).

Drafts of posts that do not exist yet (an existing post's draft is in its PostContentDO): one
row per slug with a version; ``grove.drafts.decide`` says whether a save lands
(see there: conflicts are detected, never overwritten). A deleted draft leaves a tombstone
with its last version so versions of a slug never repeat.

Analytics: ``record_events()`` appends to ``analytics_buffer`` in this object's SQLite before
it returns (an evicted object loses nothing); the alarm delivers them to D1 in batches
(``BufferedFlush``).

Every RPC answers ``{"outcome": ...}`` (``no_tenant`` for an unknown tenant) so the Worker
maps outcomes to HTTP statuses without parsing error messages.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, TypedDict

from durable_objects.base import GroveDurableObject
from durable_objects.buffered_flush import BufferedFlush, BufferRow
from grove.analytics import buffer_row, deliver
from grove.bindings import DurableObjectState, Env, SqlCursor
from grove.clock import now_ms
from grove.draft_rpc import save_outcome, summary
from grove.drafts import Draft, may_delete
from grove.flush_policy import FlushPolicy
from grove.ids import new_id
from grove.tenancy import read_tenant, subdomain_of
from grove.tenant_rpc import (
    ConfigAndStamp,
    ConfigData,
    DeleteReply,
    DraftSaveArgs,
    GetReply,
    ListReply,
    NoTenant,
    RecordReply,
    SaveReply,
    TenantStub,
)

log = logging.getLogger("grove.tenant_do")

CONFIG_MAX_AGE_MS = 5 * 60 * 1000
_CONFIG_KEY = "tenant"
_CACHE_STAMP_KEY = "cache_stamp"  # a row of the config table too (value: a JSON string)
# The rule: a batch of at most 100 events, sent when 100 wait or 60 s after the first.
ANALYTICS_FLUSH = FlushPolicy(batch_size=100, max_wait_ms=60_000)

_NO_TENANT: NoTenant = {"outcome": "no_tenant"}
_DRAFT_COLUMNS = "slug, content, metadata, device_id, version, saved_at_ms"


class _DraftRow(TypedDict):
    """A ``drafts`` row as ``_DRAFT_COLUMNS`` selects it (``metadata``: JSON text)."""

    slug: str
    content: str
    metadata: str
    device_id: str
    version: int
    saved_at_ms: int


class _ConfigRow(TypedDict):
    value: str  # JSON: ConfigData or null
    loaded_at_ms: int


class _LastVersionRow(TypedDict):
    last_version: int


def _draft_from_row(row: _DraftRow) -> Draft:
    return Draft(
        slug=row["slug"],
        content=row["content"],
        metadata=json.loads(row["metadata"]),
        device_id=row["device_id"],
        version=row["version"],
        saved_at_ms=row["saved_at_ms"],
    )


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
        """CREATE TABLE IF NOT EXISTS draft_tombstones (
             slug TEXT PRIMARY KEY,
             last_version INTEGER NOT NULL,  -- the deleted draft's version
             deleted_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS analytics_buffer (
             id TEXT PRIMARY KEY,            -- event id, also the idempotency key in D1
             event TEXT NOT NULL,            -- JSON
             received_at_ms INTEGER NOT NULL
           )""",
        *BufferedFlush.SCHEMA,
    )

    def __init__(self, ctx: DurableObjectState, env: Env) -> None:
        super().__init__(ctx, env)
        cursor: SqlCursor[_ConfigRow] = self.sql.exec(
            "SELECT value, loaded_at_ms FROM config WHERE key = ?", _CONFIG_KEY
        )
        rows = cursor.toArray()
        self._config: ConfigData | None = json.loads(rows[0]["value"]) if rows else None
        self._loaded_at_ms: int | None = rows[0]["loaded_at_ms"] if rows else None
        stamps = self.sql.exec("SELECT value FROM config WHERE key = ?", _CACHE_STAMP_KEY).toArray()
        self._cache_stamp: str | None = json.loads(stamps[0]["value"]) if stamps else None
        self.analytics = BufferedFlush(
            self,
            table="analytics_buffer",
            time_column="received_at_ms",
            policy=ANALYTICS_FLUSH,
            sink=self._deliver_events,
        )

    # --- RPC: config ---------------------------------------------------------------------

    async def get_config(self) -> ConfigData | None:
        """The tenant's config (display name, theme, tier, limits), or None if unknown."""
        if self._stale():
            await self.exclusive(self._reload_if_stale)
        return self._config

    async def refresh_config(self) -> ConfigData | None:
        """Reload from D1 now (after the tenant row changed)."""
        await self.exclusive(self._reload)
        return self._config

    # --- RPC: cache stamp (grove.page_cache) ------------------------------------------------

    async def get_config_and_stamp(self) -> ConfigAndStamp:
        """The config and the cache stamp, the stamp taken first: a copy made from anything read
        after this call is checked against a stamp no newer than the data."""
        stamp = self._cache_stamp
        return {"config": await self.get_config(), "cache_stamp": stamp}

    async def cache_stamp(self) -> str | None:
        return self._cache_stamp

    async def bump_cache_stamp(self) -> str:
        """A new stamp (never seen before), stored before it is returned."""
        stamp = f"{now_ms()}-{new_id()}"
        self._put_config_row(_CACHE_STAMP_KEY, stamp, now_ms())
        self._cache_stamp = stamp
        return stamp

    # --- RPC: drafts ---------------------------------------------------------------------

    async def list_drafts(self) -> ListReply:
        if not await self._known_tenant():
            return _NO_TENANT
        cursor: SqlCursor[_DraftRow] = self.sql.exec(
            f"SELECT {_DRAFT_COLUMNS} FROM drafts ORDER BY saved_at_ms DESC, slug"
        )
        rows = cursor.toArray()
        return {"outcome": "found", "drafts": [summary(_draft_from_row(row)) for row in rows]}

    async def get_draft(self, slug: str) -> GetReply:
        if not await self._known_tenant():
            return _NO_TENANT
        draft = self._draft(slug)
        if draft is None:
            return {"outcome": "missing"}
        return {"outcome": "found", "draft": draft.as_dict()}

    async def save_draft(self, slug: str, save: DraftSaveArgs) -> SaveReply:
        """``save``: content, metadata, device_id, base_version (None for a new draft).
        Outcomes: ``saved`` (with ``created``), ``unchanged``, ``conflict`` (with the server's
        draft, or None when it was deleted meanwhile)."""
        if not await self._known_tenant():
            return _NO_TENANT
        # From here on no await: the read, the decision and the write are one step.
        current = self._draft(slug)
        step = save_outcome(current, save, slug=slug, last_version=self._last_version(slug, current), at_ms=now_ms())
        saved = step.store
        if saved is not None:
            self.sql.exec(
                f"INSERT OR REPLACE INTO drafts ({_DRAFT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                saved.slug,
                saved.content,
                json.dumps(saved.metadata, ensure_ascii=False),
                saved.device_id,
                saved.version,
                saved.saved_at_ms,
            )
        return step.reply

    async def delete_draft(self, slug: str, expected_version: int | None = None) -> DeleteReply:
        """Outcomes: ``deleted``, ``missing``, ``conflict`` (the draft moved past
        ``expected_version``; with the server's draft)."""
        if not await self._known_tenant():
            return _NO_TENANT
        current = self._draft(slug)
        if current is None:
            return {"outcome": "missing"}
        if not may_delete(current, expected_version):
            return {"outcome": "conflict", "draft": current.as_dict()}
        # Tombstone first: if the object stops between the two, the draft still wins.
        self.sql.exec(
            "INSERT OR REPLACE INTO draft_tombstones (slug, last_version, deleted_at_ms) VALUES (?, ?, ?)",
            slug,
            current.version,
            now_ms(),
        )
        self.sql.exec("DELETE FROM drafts WHERE slug = ?", slug)
        return {"outcome": "deleted", "draft": summary(current)}

    # --- RPC: analytics ------------------------------------------------------------------

    async def record_events(self, events: list[dict[str, object]]) -> RecordReply:
        """Buffer validated events; when this returns they are in this object's storage."""
        if not await self._known_tenant():
            return _NO_TENANT
        received_at_ms = now_ms()
        await self.analytics.append([buffer_row(event, received_at_ms) for event in events])
        return {"outcome": "accepted", "accepted": len(events), "pending": self.analytics.pending}

    # --- alarm ---------------------------------------------------------------------------

    async def alarm(self, alarm_info: object = None) -> None:
        await self.analytics.run()

    # --- internals -----------------------------------------------------------------------

    def _stale(self) -> bool:
        return self._loaded_at_ms is None or now_ms() - self._loaded_at_ms >= CONFIG_MAX_AGE_MS

    async def _known_tenant(self) -> bool:
        return await self.get_config() is not None

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
        self._put_config_row(_CONFIG_KEY, data, loaded_at_ms)
        self._config, self._loaded_at_ms = data, loaded_at_ms

    def _put_config_row(self, key: str, value: ConfigData | str | None, at_ms: int) -> None:
        self.sql.exec(
            "INSERT OR REPLACE INTO config (key, value, loaded_at_ms) VALUES (?, ?, ?)", key, json.dumps(value), at_ms
        )

    def _draft(self, slug: str) -> Draft | None:
        cursor: SqlCursor[_DraftRow] = self.sql.exec(f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE slug = ?", slug)
        rows = cursor.toArray()
        return _draft_from_row(rows[0]) if rows else None

    def _last_version(self, slug: str, current: Draft | None) -> int:
        if current is not None:
            return current.version
        cursor: SqlCursor[_LastVersionRow] = self.sql.exec(
            "SELECT last_version FROM draft_tombstones WHERE slug = ?", slug
        )
        rows = cursor.toArray()
        return rows[0]["last_version"] if rows else 0

    async def _deliver_events(self, rows: list[BufferRow]) -> None:
        await deliver(self.env.DB, subdomain_of(self.object_name), rows)


if TYPE_CHECKING:
    # Callers hold a TenantStub (grove.tenant_rpc): the type checker keeps this class its match.
    _RPC_CONTRACT: type[TenantStub] = TenantDO
