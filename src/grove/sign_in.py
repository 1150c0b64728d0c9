"""Sign-in by emailed one-time link, and the hand-off of a session to another host.

A link or hand-off code is a 256-bit random secret; D1 keeps only its SHA-256. Using one is a
single conditional ``UPDATE ... WHERE used_at_ms IS NULL AND expires_at_ms > now RETURNING``:
D1 runs statements one at a time, so of two concurrent uses exactly one gets the row back.
Completing a sign-in is one atomic batch: the account (created on first sign-in), the
invites waiting for that address (now memberships) and the new session's row.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict

from grove import accounts
from grove.accounts import UserRow
from grove.auth_policy import HANDOFF_CODE_TTL_S, SESSION_TTL_S, SIGN_IN_LINK_TTL_S
from grove.bindings import D1Database, D1PreparedStatement
from grove.errors import HttpError
from grove.ids import new_id
from grove.sessions import credential_statement, new_secret, secret_hash, session_token

# What ``sessions.new_secret`` makes: 32 bytes in unpadded URL-safe base64.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")

Refusal = Literal["invalid_link", "link_used", "link_expired"]
# The one-time tables: their secret-hash column and the column naming the host it works on.
_ONE_TIME: dict[str, tuple[str, str]] = {
    "sign_in_links": ("token_hash", "host"),
    "handoff_codes": ("code_hash", "target_host"),
}


class _Consumed(TypedDict):
    email: str
    next_path: str


class _HandoffConsumed(TypedDict):
    user_id: str
    next_path: str


class _State(TypedDict):
    used_at_ms: int | None
    expires_at_ms: int


def link_refused(code: Refusal) -> HttpError:
    messages: dict[Refusal, tuple[int, str]] = {
        "invalid_link": (400, "This sign-in link is not valid. Ask for a new one."),
        "link_used": (410, "This sign-in link has already been used. Ask for a new one."),
        "link_expired": (410, "This sign-in link has expired (links last 15 minutes). Ask for a new one."),
    }
    status, message = messages[code]
    return HttpError(status, code, message)


async def create_link(db: D1Database, *, email: str, host: str, next_path: str, now_ms: int) -> str:
    """Store a new link for ``email`` on ``host``; returns its secret (for the email only)."""
    secret = new_secret()
    await db.prepare(
        "INSERT INTO sign_in_links (token_hash, email, host, next_path, created_at_ms, expires_at_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ).bind(secret_hash(secret), email, host, next_path, now_ms, now_ms + SIGN_IN_LINK_TTL_S * 1000).run()
    return secret


async def _why_refused(db: D1Database, table: str, column: str, digest: str, now_ms: int) -> Refusal:
    select: D1PreparedStatement[_State] = db.prepare(f"SELECT used_at_ms, expires_at_ms FROM {table} WHERE {column} = ?1")
    row = await select.bind(digest).first()
    if row is None:
        return "invalid_link"
    if row["used_at_ms"] is not None:
        return "link_used"
    return "link_expired" if row["expires_at_ms"] <= now_ms else "invalid_link"


async def _consume(db: D1Database, table: str, secret: str, host: str, now_ms: int, returning: str) -> dict[str, str]:
    """The one conditional UPDATE that uses a link or code once, on its host; the row's
    ``returning`` columns, or the refusal (why: unknown, used or expired)."""
    if not _SECRET.match(secret):
        raise link_refused("invalid_link")
    key, host_column = _ONE_TIME[table]
    digest = secret_hash(secret)
    update: D1PreparedStatement[dict[str, str]] = db.prepare(
        f"UPDATE {table} SET used_at_ms = ?2 WHERE {key} = ?1 AND {host_column} = ?3"
        f" AND used_at_ms IS NULL AND expires_at_ms > ?2 RETURNING {returning}"
    )
    row = await update.bind(digest, now_ms, host).first()
    if row is None:
        raise link_refused(await _why_refused(db, table, key, digest, now_ms))
    return row


async def consume_link(db: D1Database, secret: str, *, host: str, now_ms: int) -> _Consumed:
    """Use the link once (on the host it was sent for); raises the refusal otherwise."""
    row = await _consume(db, "sign_in_links", secret, host, now_ms, "email, next_path")
    return {"email": row["email"], "next_path": row["next_path"]}


async def start_session(db: D1Database, secret: str, user_id: str, host: str, now_ms: int) -> str:
    """A new session on ``host`` for an existing user: its row, then its token."""
    jti = new_id()
    await credential_statement(
        db, jti=jti, user_id=user_id, kind="session", now_ms=now_ms, expires_at_ms=now_ms + SESSION_TTL_S * 1000, host=host
    ).run()
    return session_token(secret, user_id, jti, now_ms)


async def complete_sign_in(db: D1Database, secret: str, email: str, host: str, now_ms: int) -> tuple[UserRow, str]:
    """The account of ``email`` (created now if new) with its invites accepted, and a new
    session token for ``host``: one atomic batch, then the account read back."""
    jti = new_id()
    statements: list[D1PreparedStatement[object]] = [
        accounts.insert_user_statement(db, email, now_ms),
        *accounts.accept_invites_statements(db, email, now_ms),
        db.prepare(
            "INSERT INTO credentials (id, user_id, kind, host, created_at_ms, expires_at_ms)"
            " SELECT ?1, id, 'session', ?3, ?4, ?5 FROM users WHERE email = ?2"
        ).bind(jti, email, host, now_ms, now_ms + SESSION_TTL_S * 1000),
    ]
    await db.batch(statements)
    user = await accounts.user_by_email(db, email)
    if user is None:  # the batch committed the row; only a concurrent account deletion gets here
        raise HttpError(409, "account_gone", "The account was removed while signing in; try again.")
    return user, session_token(secret, user["id"], jti, now_ms)


# --- host hand-off --------------------------------------------------------------------------


async def create_handoff(db: D1Database, *, user_id: str, target_host: str, next_path: str, now_ms: int) -> str:
    secret = new_secret()
    await db.prepare(
        "INSERT INTO handoff_codes (code_hash, user_id, target_host, next_path, created_at_ms, expires_at_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ).bind(secret_hash(secret), user_id, target_host, next_path, now_ms, now_ms + HANDOFF_CODE_TTL_S * 1000).run()
    return secret


async def consume_handoff(db: D1Database, code: str, *, host: str, now_ms: int) -> _HandoffConsumed:
    """Use the code once, only on the host it was made for."""
    row = await _consume(db, "handoff_codes", code, host, now_ms, "user_id, next_path")
    return {"user_id": row["user_id"], "next_path": row["next_path"]}
