"""Accounts in D1: users (one per person, across every blog and Meadow) and their memberships
(a role, owner or author, on one blog), plus the invites that become memberships.

A post's ``author_id`` is a user id; ``display_names`` maps ids to the names pages show.
"""

from __future__ import annotations

import json
from typing import Literal, TypedDict

from grove.bindings import D1Database, D1PreparedStatement
from grove.ids import new_id

MemberRole = Literal["owner", "author"]
MAX_DISPLAY_NAME_CHARS = 100


class UserRow(TypedDict):
    id: str
    email: str
    display_name: str
    created_at_ms: int


class MembershipRow(TypedDict):
    tenant: str
    role: MemberRole
    display_name: str


class MemberRow(TypedDict):
    user_id: str
    email: str
    display_name: str
    role: MemberRole
    created_at_ms: int


_USER_COLUMNS = "id, email, display_name, created_at_ms"


def default_display_name(email: str) -> str:
    """A new account's name until its owner changes it: the address's local part."""
    return email.split("@", 1)[0][:MAX_DISPLAY_NAME_CHARS] or email


def insert_user_statement(
    db: D1Database, email: str, now_ms: int, user_id: str | None = None, display_name: str | None = None
) -> D1PreparedStatement[object]:
    """Create the account of ``email`` unless it exists (part of a batch)."""
    return db.prepare(
        "INSERT INTO users (id, email, display_name, created_at_ms) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT DO NOTHING"
    ).bind(user_id or new_id(), email, display_name or default_display_name(email), now_ms)


async def user_by_email(db: D1Database, email: str) -> UserRow | None:
    select: D1PreparedStatement[UserRow] = db.prepare(f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?1")
    return await select.bind(email).first()


async def user_by_id(db: D1Database, user_id: str) -> UserRow | None:
    select: D1PreparedStatement[UserRow] = db.prepare(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?1")
    return await select.bind(user_id).first()


async def display_names(db: D1Database, user_ids: list[str]) -> dict[str, str]:
    """``{user_id: display_name}`` for the ids that name an account (one query, any number
    of ids: they travel as one JSON parameter, clear of D1's 100-parameter limit)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    select: D1PreparedStatement[dict[str, str]] = db.prepare(
        "SELECT id, display_name FROM users WHERE id IN (SELECT value FROM json_each(?1))"
    )
    rows = (await select.bind(json.dumps(wanted)).all())["results"]
    return {row["id"]: row["display_name"] for row in rows}


async def rename_user(db: D1Database, user_id: str, display_name: str) -> bool:
    """Set the account's display name; False when it already had that name (or no account)."""
    update: D1PreparedStatement[dict[str, str]] = db.prepare(
        "UPDATE users SET display_name = ?2 WHERE id = ?1 AND display_name != ?2 RETURNING id"
    )
    return await update.bind(user_id, display_name).first() is not None


async def memberships_of(db: D1Database, user_id: str) -> list[MembershipRow]:
    select: D1PreparedStatement[MembershipRow] = db.prepare(
        "SELECT m.tenant, m.role, t.display_name FROM memberships m JOIN tenants t ON t.subdomain = m.tenant"
        " WHERE m.user_id = ?1 ORDER BY m.tenant"
    )
    return (await select.bind(user_id).all())["results"]


async def members_of(db: D1Database, tenant: str) -> list[MemberRow]:
    select: D1PreparedStatement[MemberRow] = db.prepare(
        "SELECT u.id AS user_id, u.email, u.display_name, m.role, m.created_at_ms FROM memberships m"
        " JOIN users u ON u.id = m.user_id WHERE m.tenant = ?1 ORDER BY m.role DESC, u.email"
    )
    return (await select.bind(tenant).all())["results"]


def grant_statement(db: D1Database, tenant: str, user_id: str, role: MemberRole, now_ms: int) -> D1PreparedStatement[object]:
    """Give ``user_id`` ``role`` on ``tenant`` if the blog exists; an existing membership keeps
    the higher role."""
    return db.prepare(
        "INSERT INTO memberships (tenant, user_id, role, created_at_ms)"
        " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM tenants WHERE subdomain = ?1)"
        " ON CONFLICT (tenant, user_id) DO UPDATE SET role = 'owner' WHERE excluded.role = 'owner'"
    ).bind(tenant, user_id, role, now_ms)


async def remove_member(db: D1Database, tenant: str, user_id: str) -> MemberRole | None:
    """Delete the membership; the role it had, or None when there was none. The last owner
    cannot be removed (a blog must keep someone who can manage it): returns None then too,
    with nothing changed, and the caller tells the two apart with ``members_of``."""
    delete: D1PreparedStatement[dict[str, MemberRole]] = db.prepare(
        "DELETE FROM memberships WHERE tenant = ?1 AND user_id = ?2 AND (role = 'author' OR"
        " (SELECT count(*) FROM memberships WHERE tenant = ?1 AND role = 'owner') > 1) RETURNING role"
    )
    row = await delete.bind(tenant, user_id).first()
    return None if row is None else row["role"]


# --- invites --------------------------------------------------------------------------------


def invite_statement(
    db: D1Database, *, tenant: str, email: str, role: MemberRole, invited_by: str, now_ms: int, expires_at_ms: int
) -> D1PreparedStatement[object]:
    return db.prepare(
        "INSERT INTO invites (id, tenant, email, role, invited_by, created_at_ms, expires_at_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ).bind(new_id(), tenant, email, role, invited_by, now_ms, expires_at_ms)


def accept_invites_statements(db: D1Database, email: str, now_ms: int) -> list[D1PreparedStatement[object]]:
    """Turn the pending invites of ``email`` into memberships (part of the sign-in batch,
    after the user row exists). ``WHERE true`` lets SQLite parse the upsert after a SELECT."""
    return [
        db.prepare(
            "INSERT INTO memberships (tenant, user_id, role, created_at_ms)"
            " SELECT i.tenant, u.id, i.role, ?2 FROM invites i JOIN users u ON u.email = i.email"
            " WHERE i.email = ?1 AND i.accepted_at_ms IS NULL AND i.expires_at_ms > ?2 AND true"
            " ON CONFLICT (tenant, user_id) DO UPDATE SET role = 'owner' WHERE excluded.role = 'owner'"
        ).bind(email, now_ms),
        db.prepare(
            "UPDATE invites SET accepted_at_ms = ?2 WHERE email = ?1 AND accepted_at_ms IS NULL AND expires_at_ms > ?2"
        ).bind(email, now_ms),
    ]
