"""PostContentDO (``post-content:{tenant}:{post_id}``): content versions, the post's draft,
storage location (d1, r2, r2_archived).

The draft: one versioned draft per post, whichever device saves it (the device is recorded),
under the rule of ``grove.drafts`` (a save from a version the object no longer holds is a
conflict, never an overwrite). Keyed by the post's id, so a slug rename keeps it. It is made
from the post itself (``open_draft``: its markdown and every field, remembered as the draft's
``base``, so publishing can change only what the author changed) and removed when published or
discarded; versions never repeat across that (``draft_last_version``), so a device still
holding version 3 of an old draft cannot land on version 3 of the next one.

RPC: ``get_draft``, ``open_draft``, ``save_draft``, ``delete_draft``, replies typed in
``grove.post_content_rpc``. The Worker checks in D1 that the post exists before calling; a
save when there is no draft answers ``missing`` (the Worker then opens one from the post).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypedDict

from durable_objects.base import GroveDurableObject
from grove.bindings import SqlCursor
from grove.clock import now_ms
from grove.draft_rpc import DraftFound, DraftSaveArgs, save_outcome, summary
from grove.drafts import Draft, may_delete
from grove.post_content_rpc import (
    DraftOpenArgs,
    PostContentStub,
    PostDeleteReply,
    PostGetReply,
    PostSaveReply,
)

# The device recorded for a draft made from the post itself (no client device id has a colon).
POST_DEVICE = "post"
_LAST_VERSION_KEY = "draft_last_version"
_DRAFT_COLUMNS = "post_id, content, metadata, base, device_id, version, saved_at_ms"


class _DraftRow(TypedDict):
    post_id: str
    content: str
    metadata: str  # JSON: title, description, tags, slug
    base: str  # JSON: grove.drafts.DraftBase
    device_id: str
    version: int
    saved_at_ms: int


class _ValueRow(TypedDict):
    value: str


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
             key TEXT PRIMARY KEY,           -- storage_location, r2_key, title, description, draft_last_version
             value TEXT NOT NULL
           )""",
        # Superseded by post_draft (one draft per post, not per device); kept because a
        # schema only grows.
        """CREATE TABLE IF NOT EXISTS device_drafts (
             device_id TEXT PRIMARY KEY,
             content TEXT NOT NULL,
             base_version INTEGER,
             saved_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS post_draft (
             id INTEGER PRIMARY KEY CHECK (id = 1),  -- one draft per post
             post_id TEXT NOT NULL,
             content TEXT NOT NULL,
             metadata TEXT NOT NULL,         -- JSON: title, description, tags, slug
             base TEXT NOT NULL,             -- JSON: the post's fields the draft was made from
             device_id TEXT NOT NULL,
             version INTEGER NOT NULL,
             saved_at_ms INTEGER NOT NULL
           )""",
    )

    # --- RPC: the post's draft -------------------------------------------------------------

    async def get_draft(self, slug: str) -> PostGetReply:
        draft = self._draft(slug)
        return {"outcome": "missing"} if draft is None else {"outcome": "found", "draft": draft.as_dict()}

    async def open_draft(self, start: DraftOpenArgs) -> DraftFound:
        """The draft, made from the post (``start``) when there is none: two devices opening
        the post at once get the same draft."""
        current = self._draft(start["slug"])
        if current is not None:
            return {"outcome": "found", "draft": current.as_dict()}
        made = Draft(
            start["slug"], start["content"], start["metadata"], POST_DEVICE, self._last_version() + 1, now_ms(),
            start["post_id"], start["base"],
        )
        self._store(made)
        return {"outcome": "found", "draft": made.as_dict()}

    async def save_draft(self, slug: str, save: DraftSaveArgs) -> PostSaveReply:
        # No await from the read to the write: the decision and the write are one step.
        current = self._draft(slug)
        if current is None:
            return {"outcome": "missing"}
        step = save_outcome(
            current, save, slug=slug, last_version=current.version, at_ms=now_ms(),
            post_id=current.post_id, base=current.base,
        )
        if step.store is not None:
            self._store(step.store)
        return step.reply

    async def delete_draft(self, slug: str, expected_version: int | None = None) -> PostDeleteReply:
        current = self._draft(slug)
        if current is None:
            return {"outcome": "missing"}
        if not may_delete(current, expected_version):
            return {"outcome": "conflict", "draft": current.as_dict()}
        # The last version first: if the object stops between the two, the draft still wins.
        self._set_last_version(current.version)
        self.sql.exec("DELETE FROM post_draft WHERE id = 1")
        return {"outcome": "deleted", "draft": summary(current)}

    # --- internals -----------------------------------------------------------------------

    def _draft(self, slug: str) -> Draft | None:
        cursor: SqlCursor[_DraftRow] = self.sql.exec(f"SELECT {_DRAFT_COLUMNS} FROM post_draft WHERE id = 1")
        rows = cursor.toArray()
        if not rows:
            return None
        row = rows[0]
        return Draft(
            slug, row["content"], json.loads(row["metadata"]), row["device_id"], row["version"], row["saved_at_ms"],
            row["post_id"], json.loads(row["base"]),
        )

    def _store(self, draft: Draft) -> None:
        self.sql.exec(
            f"INSERT OR REPLACE INTO post_draft (id, {_DRAFT_COLUMNS}) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
            draft.post_id or "",
            draft.content,
            json.dumps(draft.metadata, ensure_ascii=False),
            json.dumps(draft.base, ensure_ascii=False),
            draft.device_id,
            draft.version,
            draft.saved_at_ms,
        )

    def _last_version(self) -> int:
        current = self.sql.exec("SELECT version FROM post_draft WHERE id = 1").toArray()
        if current:
            return int(current[0]["version"])
        cursor: SqlCursor[_ValueRow] = self.sql.exec("SELECT value FROM metadata WHERE key = ?", _LAST_VERSION_KEY)
        rows = cursor.toArray()
        return int(rows[0]["value"]) if rows else 0

    def _set_last_version(self, version: int) -> None:
        self.sql.exec("INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)", _LAST_VERSION_KEY, str(version))


if TYPE_CHECKING:
    # Callers hold a PostContentStub (grove.post_content_rpc): the type checker keeps this class its match.
    _RPC_CONTRACT: type[PostContentStub] = PostContentDO
