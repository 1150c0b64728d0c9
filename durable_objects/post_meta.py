"""PostMetaDO (``post-meta:{tenant}:{post_id}``): a post's reactions, comments, views and
readers present. Keyed by post id, so a slug rename keeps all of it. Rules: ``grove.engagement``;
replies: ``grove.post_meta_rpc``; D1 statements: ``grove.engagement_d1``.

Reads as schema, then RPC, then alarm:

- Reactions: one ``reactions`` row per (user, type); a toggle inserts or deletes it and the
  counts are ``COUNT(*)`` of the rows, read in the same synchronous step, so they are exact
  under any concurrency (no await runs between the check, the write and the count). Each toggle
  also appends the row's new state to ``reaction_journal``, flushed to D1 ``post_reactions``.
- Comments: kept in ``pending_comments`` (synchronous SQL: durable before the reply) until the
  alarm inserts them into D1 ``comments``. A page merges the buffer with D1, reading the buffer
  first: a row leaves the buffer only after D1 has it, so every acknowledged comment is in one
  of the two reads. Hide/delete decisions are kept here for good (``comment_moderation``: the
  object answers from it at once) and sent to D1 through ``comment_changes``.
- Views: de-duplicated per reader per 30 minutes by a hash with today's salt (see
  ``grove.engagement``), at most ``VIEW_READERS_PER_ADDRESS`` readers per address in that time; totals in ``stats`` and ``view_days``; one mark in ``view_marks``
  makes the alarm write the totals to D1 ``posts`` an hour after the first unsent view.
- Presence: WebSockets accepted with the hibernation API; each socket's attachment (which
  survives hibernation and eviction) carries its id and join time, its tag the client's
  address (``grove.engagement``'s per-address and per-object caps refuse more with 429/503).
  Every join, leave, reaction and comment change is sent to every socket; a socket that sends
  more than a short keep-alive is closed.

All four D1 flushes are ``BufferedFlush`` buffers: delivered in batches by the alarm, retried
with backoff while D1 fails, removed only after D1 took them (so sinks are idempotent).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any, TypedDict, cast

from durable_objects.base import GroveDurableObject
from durable_objects.buffered_flush import BufferedFlush, BufferRow
from grove.bindings import DurableObjectState, Env, SqlCursor, WebSocket
from grove.client_address import client_address
from grove.clock import now_ms
from grove.engagement import (
    COMMENT_FLUSH,
    LIVE_MAX_SOCKETS,
    LIVE_MESSAGE_MAX_BYTES,
    LIVE_RETRY_AFTER_S,
    LIVE_SOCKETS_PER_ADDRESS,
    REACTION_FLUSH,
    REACTION_TYPES,
    VIEW_DEDUP_MS,
    VIEW_FLUSH,
    VIEW_READERS_PER_ADDRESS,
    day_of,
    decode_cursor,
    encode_cursor,
    first_day_of_window,
    parse_object_name,
    visitor_hash,
)
from grove.engagement_d1 import (
    SELECT_COLUMNS,
    CommentRow,
    ViewTotals,
    apply_comment_changes,
    apply_reactions,
    comment_by_id,
    comments_after,
    insert_comments,
    write_view_totals,
)
from grove.errors import HttpError
from grove.http import error_response
from grove.ids import new_id
from grove.platform import Request, Response, js_strings, new_websocket_pair
from grove.post_meta_rpc import (
    AddReply,
    Comment,
    CommentArgs,
    CommentPage,
    CommentState,
    ModerateReply,
    PostMetaStub,
    PostStats,
    Reactions,
    ReactionToggled,
    ViewRecorded,
)
from grove.rate_limit import address_subject
from grove.tiers import DAY_MS

log = logging.getLogger("grove.post_meta")

_BEFORE_EVERYTHING = (-1, "")
# A live socket's tag: its client's address as the rate limiter counts them (an IPv6 /64).
_ADDRESS_TAG = "address:"


class _Moderation(TypedDict):
    comment_id: str
    hidden_at_ms: int | None
    deleted_at_ms: int | None


class _CountRow(TypedDict):
    reaction_type: str
    n: int


class _ValueRow(TypedDict):
    value: int


class _WindowStartRow(TypedDict):
    window_start_ms: int
    counted: int


class _WindowRow(TypedDict):
    views: int | None
    uniques: int | None


class ChangesNotYetDeliverable(Exception):
    """A hide/delete for a comment D1 does not have yet (its insert is still on the way)."""


def _state(row: CommentRow, moderation: _Moderation | None) -> CommentState:
    deleted = row["deleted_at_ms"] or (moderation and moderation["deleted_at_ms"])
    hidden = row["hidden_at_ms"] or (moderation and moderation["hidden_at_ms"])
    return "deleted" if deleted else "hidden" if hidden else "visible"


def _public(row: CommentRow, moderation: _Moderation | None, viewer_id: str | None) -> Comment:
    state = _state(row, moderation)
    return {
        "id": row["id"],
        "parent_id": row["parent_id"],
        "author_id": row["user_id"],
        "html": row["html"] if state == "visible" else "",
        "created_at_ms": row["created_at_ms"],
        "state": state,
        "mine": viewer_id is not None and viewer_id == row["user_id"],
    }


class PostMetaDO(GroveDurableObject):
    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS reactions (
             user_id TEXT NOT NULL,
             reaction_type TEXT NOT NULL,
             created_at_ms INTEGER NOT NULL,
             PRIMARY KEY (user_id, reaction_type)
           )""",
        """CREATE TABLE IF NOT EXISTS reaction_journal (
             id TEXT PRIMARY KEY,
             user_id TEXT NOT NULL,
             reaction_type TEXT NOT NULL,
             present INTEGER NOT NULL,       -- the row's state after the toggle
             at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS pending_comments (
             id TEXT PRIMARY KEY,            -- also the comment's id in D1
             user_id TEXT NOT NULL,
             parent_id TEXT,
             markdown TEXT NOT NULL,
             html TEXT NOT NULL,
             created_at_ms INTEGER NOT NULL,
             hidden_at_ms INTEGER,
             deleted_at_ms INTEGER
           )""",
        "CREATE INDEX IF NOT EXISTS pending_comments_by_time ON pending_comments (created_at_ms, id)",
        """CREATE TABLE IF NOT EXISTS comment_moderation (
             comment_id TEXT PRIMARY KEY,
             hidden_at_ms INTEGER,
             deleted_at_ms INTEGER
           )""",
        """CREATE TABLE IF NOT EXISTS comment_changes (
             id TEXT PRIMARY KEY,
             comment_id TEXT NOT NULL,
             change TEXT NOT NULL CHECK (change IN ('hide', 'delete')),
             at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS stats (
             key TEXT PRIMARY KEY,           -- views, last_viewed_at_ms, comments (visible)
             value INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS view_days (
             day INTEGER PRIMARY KEY,        -- UTC days since the epoch
             views INTEGER NOT NULL,
             uniques INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS view_salts (
             day INTEGER PRIMARY KEY,
             salt TEXT NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS recent_viewers (
             visitor TEXT PRIMARY KEY,       -- visitor_hash with the day's salt
             day INTEGER NOT NULL,
             counted_at_ms INTEGER NOT NULL
           )""",
        """CREATE TABLE IF NOT EXISTS recent_addresses (
             address TEXT PRIMARY KEY,       -- visitor_hash of the address alone, the day's salt
             day INTEGER NOT NULL,
             window_start_ms INTEGER NOT NULL,
             counted INTEGER NOT NULL        -- readers counted from it since window_start_ms
           )""",
        """CREATE TABLE IF NOT EXISTS view_marks (
             id TEXT PRIMARY KEY,
             at_ms INTEGER NOT NULL
           )""",
        *BufferedFlush.SCHEMA,
    )

    def __init__(self, ctx: DurableObjectState, env: Env) -> None:
        super().__init__(ctx, env)
        self.comments = BufferedFlush(
            self, table="pending_comments", time_column="created_at_ms", policy=COMMENT_FLUSH, sink=self._send_comments
        )
        self.comment_changes = BufferedFlush(
            self, table="comment_changes", time_column="at_ms", policy=COMMENT_FLUSH, sink=self._send_changes
        )
        self.reaction_changes = BufferedFlush(
            self, table="reaction_journal", time_column="at_ms", policy=REACTION_FLUSH, sink=self._send_reactions
        )
        self.view_totals = BufferedFlush(
            self, table="view_marks", time_column="at_ms", policy=VIEW_FLUSH, sink=self._send_view_totals
        )
        self._views_sent: int | None = None

    @property
    def tenant_and_post(self) -> tuple[str, str]:
        return parse_object_name(self.object_name)

    # --- RPC: reactions --------------------------------------------------------------------

    async def toggle_reaction(self, user_id: str, reaction_type: str) -> ReactionToggled:
        if reaction_type not in REACTION_TYPES:
            raise ValueError(f"unknown reaction type {reaction_type!r}")
        at_ms = now_ms()
        # Check, write and count in one synchronous step: no other event runs in between.
        removed = self.sql.exec(
            "DELETE FROM reactions WHERE user_id = ? AND reaction_type = ? RETURNING 1", user_id, reaction_type
        ).toArray()
        added = not removed
        if added:
            self.sql.exec(
                "INSERT INTO reactions (user_id, reaction_type, created_at_ms) VALUES (?, ?, ?)",
                user_id, reaction_type, at_ms,
            )
        counts = self._counts()
        self._broadcast({"type": "reactions", "counts": counts})
        await self.reaction_changes.append(
            [{"id": new_id(), "user_id": user_id, "reaction_type": reaction_type, "present": int(added), "at_ms": at_ms}]
        )
        return {"added": added, "count": counts[reaction_type], "counts": counts}

    async def reactions(self, user_id: str | None) -> Reactions:
        mine: list[str] = []
        if user_id is not None:
            rows = self.sql.exec("SELECT reaction_type FROM reactions WHERE user_id = ?", user_id).toArray()
            mine = sorted(str(row["reaction_type"]) for row in rows)
        return {"counts": self._counts(), "mine": mine}

    # --- RPC: comments ---------------------------------------------------------------------

    async def add_comment(self, args: CommentArgs) -> AddReply:
        parent_id = args["parent_id"]
        if parent_id is not None and await self._comment(parent_id) is None:
            return {"outcome": "no_parent"}
        row: CommentRow = {
            "id": new_id(), "user_id": args["user_id"], "parent_id": parent_id, "html": args["html"],
            "created_at_ms": now_ms(), "hidden_at_ms": None, "deleted_at_ms": None,
        }
        buffered: BufferRow = {
            "id": row["id"], "user_id": row["user_id"], "parent_id": parent_id, "markdown": args["markdown"],
            "html": row["html"], "created_at_ms": row["created_at_ms"], "hidden_at_ms": None, "deleted_at_ms": None,
        }
        self._add_stat("comments", 1)
        await self.comments.append([buffered])
        broadcast = _public(row, None, None)
        if "author_name" in args:
            broadcast["author_name"] = args["author_name"]
        self._broadcast({"type": "comment", "comment": broadcast})
        return {"outcome": "added", "comment": _public(row, None, args["user_id"])}

    async def list_comments(self, cursor: str | None, limit: int, viewer_id: str | None) -> CommentPage:
        after = (decode_cursor(cursor) if cursor else None) or _BEFORE_EVERYTHING
        # The buffer first, then D1 (see the module docstring: nothing falls between the two).
        buffered: list[CommentRow] = self.sql.exec(
            f"SELECT {SELECT_COLUMNS} FROM pending_comments"
            " WHERE created_at_ms > ? OR (created_at_ms = ? AND id > ?) ORDER BY created_at_ms, id LIMIT ?",
            after[0], after[0], after[1], limit + 1,
        ).toArray()
        tenant, post_id = self.tenant_and_post
        stored = await comments_after(self.env.DB, tenant, post_id, after, limit + 1)
        merged = {row["id"]: row for row in stored}
        merged.update({row["id"]: row for row in buffered})
        ordered = sorted(merged.values(), key=lambda row: (row["created_at_ms"], row["id"]))
        page = ordered[:limit]
        moderation = self._moderation([row["id"] for row in page])
        comments = [_public(row, moderation.get(row["id"]), viewer_id) for row in page]
        last = page[-1] if page else None
        more = len(ordered) > limit and last is not None
        return {
            "comments": comments,
            "next_cursor": encode_cursor(last["created_at_ms"], last["id"]) if more and last else None,
        }

    async def hide_comment(self, comment_id: str) -> ModerateReply:
        return await self._moderate(comment_id, "hide", None)

    async def delete_comment(self, comment_id: str, user_id: str) -> ModerateReply:
        return await self._moderate(comment_id, "delete", user_id)

    # --- RPC: views and stats --------------------------------------------------------------

    async def record_view(self, address: str, user_agent: str) -> ViewRecorded:
        at_ms = now_ms()
        day = day_of(at_ms)
        salt = self._salt(day)
        visitor = visitor_hash(salt, address, user_agent)
        seen = self.sql.exec("SELECT counted_at_ms AS value FROM recent_viewers WHERE visitor = ?", visitor).toArray()
        if seen and at_ms - int(seen[0]["value"]) < VIEW_DEDUP_MS:
            return {"counted": False}
        if not self._address_may_count(visitor_hash(salt, address, ""), day, at_ms):
            return {"counted": False}
        self.sql.exec(
            "INSERT OR REPLACE INTO recent_viewers (visitor, day, counted_at_ms) VALUES (?, ?, ?)", visitor, day, at_ms
        )
        self.sql.exec(
            "INSERT INTO view_days (day, views, uniques) VALUES (?, 1, ?)"
            " ON CONFLICT (day) DO UPDATE SET views = views + 1, uniques = uniques + excluded.uniques",
            day, 0 if seen else 1,
        )
        self._add_stat("views", 1)
        self._set_stat("last_viewed_at_ms", at_ms)
        if self.view_totals.pending == 0:
            await self.view_totals.append([{"id": new_id(), "at_ms": at_ms}])
        return {"counted": True}

    async def forget(self) -> None:
        """The post was deleted: drop its reactions, comments (buffered ones too: they must not
        reach D1 after the post's rows left it), views and presence, and close its sockets."""
        await self.erase()
        for ws in self.ctx.getWebSockets():
            # A socket its reader is closing already refuses a second close: nothing to do.
            with contextlib.suppress(Exception):
                ws.close(1000, "The post was deleted.")

    async def stats(self) -> PostStats:
        totals = self._view_totals()
        return {**totals, "reactions": self._counts(), "comments": self._stat("comments") or 0}

    # --- presence: WebSockets (hibernation API) ---------------------------------------------

    async def fetch(self, request: Request) -> Response:
        if (request.headers.get("upgrade") or "").lower() != "websocket":
            refusal = HttpError(426, "upgrade_required", "This address takes a WebSocket upgrade.", headers={"upgrade": "websocket"})
            return error_response(refusal)
        # Tagged with the client's address (the Worker forwards CF-Connecting-IP), so one client's
        # sockets are counted without reading every attachment.
        address = _ADDRESS_TAG + address_subject(client_address(request.headers))
        refusal = self._live_refusal(address)
        if refusal is not None:
            return error_response(refusal)
        client, server = new_websocket_pair()
        self.ctx.acceptWebSocket(server, js_strings([address]))
        # JSON text: a string crosses to JavaScript as itself, where a Python dict would reach
        # structured clone as a proxy (Pyodide) and be refused.
        server.serializeAttachment(json.dumps({"id": new_id(), "joined_at_ms": now_ms()}))
        self._broadcast({"type": "hello", "counts": self._counts()}, only=server)
        self._broadcast_presence()
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws: WebSocket, message: str | bytes) -> None:  # noqa: N802 (platform name)
        # Readers only listen; a short text message is answered with the current state (a
        # keep-alive). Anything else is no client of ours: the socket is closed (RFC 6455 7.4.1:
        # 1003 data it cannot accept, 1009 too big), and the others learn it left.
        if isinstance(message, str) and len(message.encode("utf-8", "surrogatepass")) <= LIVE_MESSAGE_MAX_BYTES:
            self._broadcast({"type": "presence", "reading": self._reading()}, only=ws)
            return
        code, reason = (1009, "readers only listen") if isinstance(message, str) else (1003, "readers only listen")
        leaving = _socket_id(ws)
        try:
            ws.close(code, reason)
        except Exception:
            log.debug("socket already closed", exc_info=True)
        self._broadcast_presence(leaving=leaving)

    async def webSocketClose(self, ws: WebSocket, code: int, reason: str, wasClean: bool) -> None:  # noqa: N802, N803
        leaving = _socket_id(ws)
        try:
            ws.close(1000, "bye")
        except Exception:
            log.debug("socket already closed", exc_info=True)
        self._broadcast_presence(leaving=leaving)

    def _live_refusal(self, address_tag: str) -> HttpError | None:
        """Why a new live socket is refused (None: it is not): its address holds its share, or
        the object holds the platform's most."""
        retry = {"retry-after": str(LIVE_RETRY_AFTER_S)}
        if len(self.ctx.getWebSockets(address_tag)) >= LIVE_SOCKETS_PER_ADDRESS:
            return HttpError(
                429, "too_many_live_connections",
                f"This address already follows this post live {LIVE_SOCKETS_PER_ADDRESS} times.", headers=retry,
            )
        if len(self.ctx.getWebSockets()) >= LIVE_MAX_SOCKETS:
            return HttpError(503, "live_full", "This post has as many live readers as it can hold; the page still reads.", headers=retry)
        return None

    # --- alarm -----------------------------------------------------------------------------

    async def alarm(self, alarm_info: object = None) -> None:
        # Comments before their changes: a change finds its comment in D1.
        await self.comments.run()
        await self.comment_changes.run()
        await self.reaction_changes.run()
        await self.view_totals.run()
        views = self._stat("views") or 0
        if self.view_totals.pending == 0 and self._views_sent is not None and views != self._views_sent:
            # Views arrived while the totals were on their way: send them within the hour too.
            await self.view_totals.append([{"id": new_id(), "at_ms": now_ms()}])

    # --- internals: reactions and stats ------------------------------------------------------

    def _counts(self) -> dict[str, int]:
        rows: list[_CountRow] = self.sql.exec(
            "SELECT reaction_type, COUNT(*) AS n FROM reactions GROUP BY reaction_type"
        ).toArray()
        found = {row["reaction_type"]: int(row["n"]) for row in rows}
        return {kind: found.get(kind, 0) for kind in REACTION_TYPES}

    def _stat(self, key: str) -> int | None:
        cursor: SqlCursor[_ValueRow] = self.sql.exec("SELECT value FROM stats WHERE key = ?", key)
        rows = cursor.toArray()
        return int(rows[0]["value"]) if rows else None

    def _add_stat(self, key: str, delta: int) -> None:
        self.sql.exec(
            "INSERT INTO stats (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
            key, delta,
        )

    def _set_stat(self, key: str, value: int) -> None:
        self.sql.exec("INSERT OR REPLACE INTO stats (key, value) VALUES (?, ?)", key, value)

    def _view_totals(self) -> ViewTotals:
        window: SqlCursor[_WindowRow] = self.sql.exec(
            "SELECT SUM(views) AS views, SUM(uniques) AS uniques FROM view_days WHERE day >= ?",
            first_day_of_window(now_ms()),
        )
        row = window.one()
        return {
            "views": self._stat("views") or 0,
            "views_30d": int(row["views"] or 0),
            "daily_uniques_30d": int(row["uniques"] or 0),
            "last_viewed_at_ms": self._stat("last_viewed_at_ms"),
        }

    def _address_may_count(self, address_hash: str, day: int, at_ms: int) -> bool:
        """Count one more reader from this address, unless it already added
        ``VIEW_READERS_PER_ADDRESS`` in the current window (a window opens at its first view)."""
        rows: list[_WindowStartRow] = self.sql.exec(
            "SELECT window_start_ms, counted FROM recent_addresses WHERE address = ?", address_hash
        ).toArray()
        if rows and at_ms - int(rows[0]["window_start_ms"]) < VIEW_DEDUP_MS:
            if int(rows[0]["counted"]) >= VIEW_READERS_PER_ADDRESS:
                return False
            self.sql.exec("UPDATE recent_addresses SET counted = counted + 1 WHERE address = ?", address_hash)
            return True
        self.sql.exec(
            "INSERT OR REPLACE INTO recent_addresses (address, day, window_start_ms, counted) VALUES (?, ?, ?, 1)",
            address_hash, day, at_ms,
        )
        return True

    def _salt(self, day: int) -> str:
        rows = self.sql.exec("SELECT salt FROM view_salts WHERE day = ?", day).toArray()
        if rows:
            return str(rows[0]["salt"])
        # A new day: yesterday's salt and readers are forgotten (nothing can be re-hashed).
        salt = secrets.token_hex(16)
        self.sql.exec("DELETE FROM view_salts WHERE day < ?", day)
        self.sql.exec("DELETE FROM recent_viewers WHERE day < ?", day)
        self.sql.exec("DELETE FROM recent_addresses WHERE day < ?", day)
        self.sql.exec("DELETE FROM view_days WHERE day < ?", first_day_of_window(day * DAY_MS) - 1)
        self.sql.exec("INSERT INTO view_salts (day, salt) VALUES (?, ?)", day, salt)
        return salt

    # --- internals: comments ---------------------------------------------------------------

    async def _comment(self, comment_id: str) -> CommentRow | None:
        rows: list[CommentRow] = self.sql.exec(
            f"SELECT {SELECT_COLUMNS} FROM pending_comments WHERE id = ?", comment_id
        ).toArray()
        if rows:
            return rows[0]
        tenant, post_id = self.tenant_and_post
        return await comment_by_id(self.env.DB, tenant, post_id, comment_id)

    def _moderation(self, ids: list[str]) -> dict[str, _Moderation]:
        if not ids:
            return {}
        rows: list[_Moderation] = self.sql.exec(
            f"SELECT comment_id, hidden_at_ms, deleted_at_ms FROM comment_moderation"
            f" WHERE comment_id IN ({', '.join('?' * len(ids))})",
            *ids,
        ).toArray()
        return {row["comment_id"]: row for row in rows}

    async def _moderate(self, comment_id: str, change: str, author_id: str | None) -> ModerateReply:
        row = await self._comment(comment_id)
        if row is None:
            return {"outcome": "missing"}
        if author_id is not None and row["user_id"] != author_id:
            return {"outcome": "not_yours"}
        # From here on no await until the change is recorded: the state read decides.
        before = _state(row, self._moderation([comment_id]).get(comment_id))
        at_ms = now_ms()
        column = "hidden_at_ms" if change == "hide" else "deleted_at_ms"
        self.sql.exec(
            f"INSERT INTO comment_moderation (comment_id, {column}) VALUES (?, ?)"
            f" ON CONFLICT (comment_id) DO UPDATE SET {column} = COALESCE({column}, excluded.{column})",
            comment_id, at_ms,
        )
        moderation = self._moderation([comment_id]).get(comment_id)
        if before == "visible":
            self._add_stat("comments", -1)
        await self.comment_changes.append([{"id": new_id(), "comment_id": comment_id, "change": change, "at_ms": at_ms}])
        changed = _public(row, moderation, author_id)
        self._broadcast({"type": "comment", "comment": {**changed, "mine": False}})
        return {"outcome": "changed", "comment": changed}

    # --- internals: D1 sinks (the alarm's) ---------------------------------------------------

    async def _send_comments(self, rows: list[BufferRow]) -> None:
        tenant, post_id = self.tenant_and_post
        # Moderation decided while the comment waited goes with it.
        moderation = self._moderation([str(row["id"]) for row in rows])
        for row in rows:
            decided = moderation.get(str(row["id"]))
            if decided:
                row["hidden_at_ms"] = row["hidden_at_ms"] or decided["hidden_at_ms"]
                row["deleted_at_ms"] = row["deleted_at_ms"] or decided["deleted_at_ms"]
        await insert_comments(self.env.DB, tenant, post_id, rows)

    async def _send_changes(self, rows: list[BufferRow]) -> None:
        tenant, post_id = self.tenant_and_post
        unmatched = await apply_comment_changes(self.env.DB, tenant, post_id, rows)
        if unmatched:
            # Their comments are still on their way to D1 (an insert in flight): try again
            # later; the updates already applied are idempotent.
            raise ChangesNotYetDeliverable(f"{len(unmatched)} comment(s) not in D1 yet")

    async def _send_reactions(self, rows: list[BufferRow]) -> None:
        tenant, post_id = self.tenant_and_post
        await apply_reactions(self.env.DB, tenant, post_id, rows)

    async def _send_view_totals(self, rows: list[BufferRow]) -> None:
        tenant, post_id = self.tenant_and_post
        totals = self._view_totals()
        await write_view_totals(self.env.DB, tenant, post_id, totals)
        self._views_sent = totals["views"]

    # --- internals: sockets ------------------------------------------------------------------

    def _reading(self, leaving: str | None = None) -> int:
        return sum(1 for ws in self.ctx.getWebSockets() if _socket_id(ws) != leaving)

    def _broadcast_presence(self, leaving: str | None = None) -> None:
        self._broadcast({"type": "presence", "reading": self._reading(leaving)}, leaving=leaving)

    def _broadcast(self, message: dict[str, Any], *, only: WebSocket | None = None, leaving: str | None = None) -> None:
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        for ws in [only] if only is not None else self.ctx.getWebSockets():
            if leaving is not None and _socket_id(ws) == leaving:
                continue
            try:
                ws.send(text)
            except Exception:
                # A socket closing meanwhile: its close event updates the others.
                log.debug("send to a closing socket failed", exc_info=True)


def _socket_id(ws: WebSocket) -> str | None:
    """The id in a socket's attachment (which survives hibernation), None without one."""
    attachment: object = ws.deserializeAttachment()
    if not isinstance(attachment, str):
        return None
    found: object = cast(dict[str, object], json.loads(attachment)).get("id")
    return found if isinstance(found, str) else None


if TYPE_CHECKING:
    # Callers hold a PostMetaStub (grove.post_meta_rpc): the type checker keeps this class its match.
    _RPC_CONTRACT: type[PostMetaStub] = PostMetaDO
