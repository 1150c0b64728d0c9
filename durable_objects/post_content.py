"""PostContentDO (``post-content:{tenant}:{post_id}``): content versions, the post's draft,
storage location (d1, r2, r2_archived) and the moves between them.

Reads as schema, then RPC (draft, writes and versions, moves), then alarm.

Writes and versions. Every write of the post (``create_post``, ``update_post``: the post API,
draft publishing and restoring a version all reach them through ``grove.post_writes``) runs
here, one at a time (``exclusive``), in this order:

1. a new markdown is *staged* as version n (the one ``staged_version`` row, synchronous SQL:
   durable before anything else happens);
2. D1 is written, stamping ``posts.content_version = n`` (D1 stays what readers see);
3. the version is committed (moved to ``content_versions``) and the write acknowledged.

A failure at 2 leaves the staged row: it is *settled* against D1 before the next write, on the
next read of the history and by the alarm (a minute later): kept when D1 shows n (the write did
land), dropped otherwise (it was never acknowledged). So no acknowledged save lacks its version
and no version claims a save D1 never made. The first write of a post made before versions
existed records D1's text as version 1 first, so the history starts where the post was.

The draft: one versioned draft per post, whichever device saves it (the device is recorded),
under the rule of ``grove.drafts`` (a save from a version the object no longer holds is a
conflict, never an overwrite). Keyed by the post's id, so a slug rename keeps it. It is made
from the post itself (``open_draft``: its markdown and every field, remembered as the draft's
``base``, so publishing can change only what the author changed) and removed when published or
discarded; versions never repeat across that (``draft_last_version``), so a device still
holding version 3 of an old draft cannot land on version 3 of the next one.

Moves (``migrate_to_r2``, ``migrate_to_d1``; the order and why each step is safe to repeat
are in ``grove.content_moves``) run in the same exclusive sections, so an edit arriving during a
move waits for it and then brings the post back to D1 (hot); a write that reaches D1 some
other way makes the move's conditional update fail and the move stop. The object keeps where
the content is (``storage_location``, ``r2_key``) and the live R2 copy's checksum.

RPC: ``get_draft``, ``open_draft``, ``save_draft``, ``delete_draft``, ``create_post``,
``update_post``, ``list_versions``, ``get_version``, ``migrate_to_r2``, ``migrate_to_d1``,
``content_location``; replies typed in ``grove.post_content_rpc``. The Worker checks in D1 that
the post exists before a draft call; a save when there is no draft answers ``missing`` (the
Worker then opens one from the post). An exclusive section never raises (workerd resets an
object whose ``blockConcurrencyWhile`` callback throws): failures become replies.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypedDict, TypeVar

from durable_objects.base import GroveDurableObject
from grove import content_moves
from grove.bindings import SqlCursor
from grove.clock import now_ms
from grove.draft_rpc import DraftFound, DraftSaveArgs, save_outcome, summary
from grove.drafts import Draft, may_delete
from grove.invalidation import after_post_write
from grove.markdown import RenderedMarkdown
from grove.models import AuthorPost, PostCreate
from grove.pagination import Cursor, page_rows
from grove.post_content_rpc import (
    ContentLocation,
    DraftOpenArgs,
    MoveReply,
    MoveStep,
    PostContentStub,
    PostCreateArgs,
    PostDeleteReply,
    PostGetReply,
    PostSaveReply,
    PostUpdateArgs,
    PostWriteRefused,
    PostWriteReply,
    RenderedArgs,
    VersionDetail,
    VersionPage,
    VersionReply,
    VersionSummary,
    WriteRefusal,
    parse_object_name,
)
from grove.posts_store import (
    PostRow,
    R2Content,
    SlugTaken,
    UnknownTenant,
    insert_post,
    post_with_content,
    read_post_row,
    update_post,
)
from grove.settings import settings_from
from grove.tiers import STORAGE_LOCATIONS, TIER_RULES, StorageLocation, Tier
from grove.versions import VERSION_CURSOR_ID, VERSION_ORDER

log = logging.getLogger("grove.post_content")
T = TypeVar("T")

# The device recorded for a draft made from the post itself (no client device id has a colon).
POST_DEVICE = "post"
_LAST_VERSION_KEY = "draft_last_version"
_DRAFT_COLUMNS = "post_id, content, metadata, base, device_id, version, saved_at_ms"
_VERSION_COLUMNS = "version, markdown, html, created_at_ms, created_by"
# metadata keys: where the content is (as this object last put or found it)
_LOCATION_KEY, _R2_KEY_KEY, _R2_SHA_KEY = "storage_location", "r2_key", "r2_sha256"
# A staged version whose write did not finish is settled by the alarm this long after.
SETTLE_AFTER_MS = 60_000


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


class _VersionRow(TypedDict):
    version: int
    markdown: str
    html: str
    created_at_ms: int
    created_by: str


class _Unavailable(Exception):
    """D1 could not say what it holds: the write is refused (nothing acknowledged)."""


class _MoveStopped(Exception):
    def __init__(self, step: MoveStep, message: str) -> None:
        super().__init__(message)
        self.step: MoveStep = step


def _summary(row: _VersionRow, current: int | None) -> VersionSummary:
    return {
        "version": row["version"], "author_id": row["created_by"], "created_at_ms": row["created_at_ms"],
        "markdown_bytes": len(row["markdown"].encode("utf-8", "surrogatepass")), "current": row["version"] == current,
    }


def _detail(row: _VersionRow, current: int | None) -> VersionDetail:
    return {**_summary(row, current), "markdown": row["markdown"], "html": row["html"]}


def _rendered(args: RenderedArgs) -> RenderedMarkdown:
    return RenderedMarkdown(args["html"], args["word_count"], args["reading_time_min"])


def _refused(outcome: WriteRefusal, message: str) -> PostWriteRefused:
    return {"outcome": outcome, "message": message}


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
        # The one version being written (step 1 of a write), until D1 has it or refused it.
        """CREATE TABLE IF NOT EXISTS staged_version (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             version INTEGER NOT NULL,
             markdown TEXT NOT NULL,
             html TEXT NOT NULL,
             created_at_ms INTEGER NOT NULL,
             created_by TEXT NOT NULL
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

    # --- RPC: writes and versions --------------------------------------------------------

    async def create_post(self, args: PostCreateArgs) -> PostWriteReply:
        return await self._serially(lambda: self._create(args))

    async def update_post(self, args: PostUpdateArgs) -> PostWriteReply:
        return await self._serially(lambda: self._update(args))

    async def list_versions(self, cursor: str | None, limit: int) -> VersionPage:
        """Committed versions, newest first (``limit`` a page; ``cursor`` from a previous page,
        checked by the Worker)."""
        start = None if cursor is None else Cursor.decode(cursor)

        async def section() -> VersionPage:
            try:
                await self._settle_staged()
                await self._adopt_d1_text()
            except Exception:
                log.exception("versions of %s: D1 could not be asked; listing what is committed", self.object_name)
            return self._version_page(start, limit)

        return await self.exclusive(section)

    async def get_version(self, version: int) -> VersionReply:
        async def section() -> VersionReply:
            try:
                await self._settle_staged()
                await self._adopt_d1_text()
            except Exception:
                return {"outcome": "unavailable"}
            row, current = self._version(version), self._current_version()
            latest = None if current is None else self._version(current)
            if row is None or latest is None:
                return {"outcome": "missing"}
            return {"outcome": "found", "version": _detail(row, current), "current": _detail(latest, current)}

        return await self.exclusive(section)

    async def content_location(self) -> ContentLocation:
        return {
            "storage_location": self._location(),
            "r2_key": self._meta(_R2_KEY_KEY),
            "r2_sha256": self._meta(_R2_SHA_KEY),
        }

    async def forget(self) -> None:
        """The post was deleted: drop its versions, drafts and storage record, after any write
        in progress (the same exclusive sections as every write)."""
        await self.exclusive(self.erase)

    # --- RPC: moves between D1 and R2 (grove.content_moves) ---------------------------------

    async def migrate_to_r2(self, tier: str) -> MoveReply:
        """Move the content to R2: ``warm`` (``r2``) or ``cold`` (``r2_archived``)."""
        target = TIER_RULES[Tier(tier)].storage_location
        if target == "d1":
            raise ValueError("migrate_to_r2 takes 'warm' or 'cold'; migrate_to_d1 brings a post back")
        return await self._move(target)

    async def migrate_to_d1(self) -> MoveReply:
        """Bring the content back to D1 (hot)."""
        return await self._move("d1")

    # --- writes ----------------------------------------------------------------------------

    async def _serially(self, write: Callable[[], Awaitable[PostWriteReply]]) -> PostWriteReply:
        async def section() -> PostWriteReply:
            try:
                await self._settle_staged()
                return await write()
            except _Unavailable as exc:
                return _refused("unavailable", str(exc))
            except Exception as exc:
                log.exception("post write through %s failed", self.object_name)
                return _refused("unavailable", f"The post could not be written: {exc}")

        return await self.exclusive(section)

    async def _create(self, args: PostCreateArgs) -> PostWriteReply:
        tenant, post_id = parse_object_name(self.object_name)
        payload = PostCreate.model_validate(args["post"])
        version = await self._stage(payload.markdown, args["rendered"]["html"], args["author_id"])
        try:
            post = await insert_post(
                self.env.DB, tenant=tenant, post_id=post_id, author_id=args["author_id"], slug=args["slug"],
                payload=payload, rendered=_rendered(args["rendered"]), now_ms=now_ms(), content_version=version,
            )
        except SlugTaken:
            self._drop_staged()
            return _refused("slug_taken", args["slug"])
        except UnknownTenant:
            self._drop_staged()
            return _refused("no_tenant", tenant)
        return self._written(post, version)

    async def _update(self, args: PostUpdateArgs) -> PostWriteReply:
        tenant, post_id = parse_object_name(self.object_name)
        changes, rendered = args["changes"], args["rendered"]
        version: int | None = None
        if "markdown" in changes and rendered is not None:
            await self._adopt_d1_text()  # the text before this edit is version 1 of a post made before versions
            version = await self._stage(changes["markdown"], rendered["html"], args["editor_id"])
        try:
            post = await update_post(
                self.env, tenant, args["slug"], changes, None if rendered is None else _rendered(rendered), now_ms(),
                post_id=post_id, content_version=version,
            )
        except SlugTaken:
            self._drop_staged()
            return _refused("slug_taken", str(changes.get("slug")))
        if post is None:
            self._drop_staged()
            return _refused("missing", args["slug"])
        return self._written(post, version)

    def _written(self, post: AuthorPost, version: int | None) -> PostWriteReply:
        if version is not None:
            self._commit_staged()
            # A content write puts the text in D1 (hot); the R2 copy, if any, was removed.
            self._set_location(post.storage_location, None, None)
        return {"outcome": "written", "post": post.model_dump(), "version": version}

    async def _stage(self, markdown: str, html: str, author_id: str) -> int:
        version = self._last_version_number() + 1
        self.sql.exec(
            f"INSERT INTO staged_version (id, {_VERSION_COLUMNS}) VALUES (1, ?, ?, ?, ?, ?)",
            version, markdown, html, now_ms(), author_id,
        )
        # Should the write stop before it is settled, the alarm settles it.
        await self.schedule_alarm_by(now_ms() + SETTLE_AFTER_MS)
        return version

    def _commit_staged(self) -> None:
        self.sql.exec(f"INSERT OR REPLACE INTO content_versions ({_VERSION_COLUMNS}) SELECT {_VERSION_COLUMNS} FROM staged_version")
        self._drop_staged()

    def _drop_staged(self) -> None:
        self.sql.exec("DELETE FROM staged_version")

    async def _settle_staged(self) -> None:
        """Keep or drop a version whose write did not finish: D1 says whether it landed."""
        staged: list[_VersionRow] = self.sql.exec(f"SELECT {_VERSION_COLUMNS} FROM staged_version").toArray()
        if not staged:
            return
        row = await self._d1_row()
        if row is not None and row["content_version"] == staged[0]["version"]:
            self._commit_staged()
            self._set_location(row["storage_location"], row["r2_key"], None)
        else:
            self._drop_staged()

    async def _adopt_d1_text(self) -> None:
        """A post written before versions existed: its text in D1 becomes version 1."""
        if self._current_version() is not None:
            return
        row = await self._d1_row()
        if row is None or row["content_version"] is not None:
            return
        tenant, _ = parse_object_name(self.object_name)
        post = await post_with_content(self.env, tenant, row)
        self.sql.exec(
            f"INSERT OR IGNORE INTO content_versions ({_VERSION_COLUMNS}) VALUES (1, ?, ?, ?, ?)",
            post.markdown, post.html, row["updated_at_ms"], row["author_id"],
        )

    async def _d1_row(self) -> PostRow | None:
        tenant, post_id = parse_object_name(self.object_name)
        try:
            return await read_post_row(self.env.DB, tenant, post_id)
        except Exception as exc:
            raise _Unavailable(f"D1 could not be read: {exc}") from exc

    # --- versions --------------------------------------------------------------------------

    def _current_version(self) -> int | None:
        rows = self.sql.exec("SELECT MAX(version) AS v FROM content_versions").toArray()
        return rows[0]["v"] if rows and rows[0]["v"] is not None else None

    def _last_version_number(self) -> int:
        rows = self.sql.exec(
            "SELECT MAX(v) AS v FROM (SELECT MAX(version) AS v FROM content_versions"
            " UNION ALL SELECT MAX(version) FROM staged_version)"
        ).toArray()
        return int(rows[0]["v"] or 0)

    def _version(self, version: int) -> _VersionRow | None:
        cursor: SqlCursor[_VersionRow] = self.sql.exec(f"SELECT {_VERSION_COLUMNS} FROM content_versions WHERE version = ?", version)
        rows = cursor.toArray()
        return rows[0] if rows else None

    def _version_page(self, cursor: Cursor | None, limit: int) -> VersionPage:
        key, marker = VERSION_ORDER.params(cursor)
        cursor_rows: SqlCursor[_VersionRow] = self.sql.exec(
            f"SELECT {_VERSION_COLUMNS} FROM content_versions WHERE 1 = 1"
            f"{VERSION_ORDER.where(cursor, 1, 2)}{VERSION_ORDER.order_by(cursor)} LIMIT ?3",
            key, marker, limit + 1,
        ) if cursor is not None else self.sql.exec(
            f"SELECT {_VERSION_COLUMNS} FROM content_versions{VERSION_ORDER.order_by(None)} LIMIT ?", limit + 1
        )
        window = page_rows(cursor_rows.toArray(), cursor, limit)
        current = self._current_version()
        older, newer = VERSION_ORDER.edge_cursors(window, lambda row: (row["version"], VERSION_CURSOR_ID))
        return {"versions": [_summary(row, current) for row in window.rows], "older_cursor": older, "newer_cursor": newer}

    # --- moves -----------------------------------------------------------------------------

    async def _move(self, target: StorageLocation) -> MoveReply:
        async def section() -> MoveReply:
            step: MoveStep = "read"
            try:
                await self._settle_staged()
                row = await self._d1_row()
                if row is None:
                    return {"outcome": "missing", "storage_location": None, "step": "read"}
                return await self._move_row(row, target)
            except _MoveStopped as stop:
                step = stop.step
                message = str(stop)
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
            log.warning("move of %s to %s stopped at %s: %s", self.object_name, target, step, message)
            return {"outcome": "failed", "storage_location": self._location(), "step": step, "message": message}

        return await self.exclusive(section)

    async def _move_row(self, row: PostRow, target: StorageLocation) -> MoveReply:
        tenant, post_id = parse_object_name(self.object_name)
        bucket = self.env.CONTENT
        if row["storage_location"] == target:
            # Already there (perhaps a retry after a stop past the D1 update): check the live
            # copy, remove stale ones, refresh the caches.
            live_key = None if target == "d1" else row["r2_key"]
            if live_key is not None and await self._step(
                "r2_verify", content_moves.read_verified(bucket, live_key, self._meta(_R2_SHA_KEY))
            ) is None:
                raise _MoveStopped("r2_verify", f"the R2 copy {live_key} D1 names is missing")
            await self._step("cleanup", bucket.delete(content_moves.stale_keys(tenant, post_id, live_key)))
            await self._invalidate(tenant, row)
            return {"outcome": "already", "storage_location": target, "step": "done"}
        content = await self._current_content(row)
        if target == "d1":
            if not await self._step("d1_update", content_moves.restore_to_d1(self.env.DB, row, tenant, content)):
                return {"outcome": "changed", "storage_location": row["storage_location"], "step": "d1_update"}
            self._set_location("d1", None, None)
        else:
            key = content_moves.key_for(tenant, post_id, target)
            body = content_moves.ContentBody.of(content["markdown"], content["html"], now_ms())
            await self._step("r2_put", content_moves.put_verified(bucket, key, body))
            if not await self._step("d1_update", content_moves.point_to_r2(self.env.DB, row, tenant, target, key)):
                if key != row["r2_key"]:
                    await self._step("cleanup", bucket.delete(key))
                return {"outcome": "changed", "storage_location": row["storage_location"], "step": "d1_update"}
            self._set_location(target, key, body.sha256)
        moved = await self._d1_row()
        # The copy D1 no longer names goes only now that D1 points elsewhere.
        await self._step("cleanup", bucket.delete(content_moves.stale_keys(tenant, post_id, None if moved is None else moved["r2_key"])))
        if moved is not None:
            await self._invalidate(tenant, moved)
        return {"outcome": "moved", "storage_location": target, "step": "done"}

    async def _current_content(self, row: PostRow) -> R2Content:
        if row["storage_location"] == "d1":
            return {"markdown": row["markdown"] or "", "html": row["html"] or "", "stored_at_ms": row["updated_at_ms"]}
        content = await self._step(
            "r2_verify", content_moves.read_verified(self.env.CONTENT, row["r2_key"] or "", self._meta(_R2_SHA_KEY))
        )
        if content is None:
            raise _MoveStopped("read", f"the R2 copy {row['r2_key']} D1 names is missing")
        return content

    async def _invalidate(self, tenant: str, row: PostRow) -> None:
        post = await post_with_content(self.env, tenant, row)
        await self._step("invalidate", after_post_write(
            self.env, settings_from(self.env), tenant=tenant, post_id=post.id, copies={post.slug: post},
            status=post.status, published_at_ms=post.published_at_ms,
        ))

    async def _step(self, step: MoveStep, work: Awaitable[T]) -> T:
        try:
            return await work
        except _MoveStopped:
            raise
        except Exception as exc:
            raise _MoveStopped(step, f"{type(exc).__name__}: {exc}") from exc

    # --- alarm -------------------------------------------------------------------------------

    async def alarm(self, alarm_info: object = None) -> None:
        """Settle a version whose write stopped before it was committed or dropped."""
        async def section() -> None:
            try:
                await self._settle_staged()
            except Exception:
                log.exception("settling the staged version of %s failed; retrying later", self.object_name)
                await self.schedule_alarm_by(now_ms() + SETTLE_AFTER_MS)

        await self.exclusive(section)

    # --- internals -----------------------------------------------------------------------

    def _location(self) -> StorageLocation | None:
        value = self._meta(_LOCATION_KEY)
        return next((location for location in STORAGE_LOCATIONS if location == value), None)

    def _meta(self, key: str) -> str | None:
        cursor: SqlCursor[_ValueRow] = self.sql.exec("SELECT value FROM metadata WHERE key = ?", key)
        rows = cursor.toArray()
        return rows[0]["value"] if rows else None

    def _set_location(self, location: StorageLocation, r2_key: str | None, sha256: str | None) -> None:
        for key, value in ((_LOCATION_KEY, location), (_R2_KEY_KEY, r2_key), (_R2_SHA_KEY, sha256)):
            if value is None:
                self.sql.exec("DELETE FROM metadata WHERE key = ?", key)
            else:
                self.sql.exec("INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)", key, value)

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
