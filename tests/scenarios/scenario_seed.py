"""Rows for scenarios, written through the Worker's own D1 binding (``edge.env.DB``).

Plain SQL on purpose: scenarios check the app against the schema in ``migrations/``, so seed
rows go through D1 exactly as the app's would, NOT NULL and CHECK constraints included.
"""

from __future__ import annotations

from typing import Any

NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


async def add_tenant(db: Any, subdomain: str, *, tier: str = "seedling", display_name: str | None = None) -> None:
    await db.prepare(
        "INSERT INTO tenants (subdomain, display_name, theme, tier, limits, created_at_ms, updated_at_ms) "
        "VALUES (?, ?, '{}', ?, '{}', ?, ?)"
    ).bind(subdomain, display_name or subdomain.title(), tier, NOW_MS, NOW_MS).run()


def user_statement(db: Any, user: str) -> Any:
    """An account ``user`` (its id), if none exists: a token names an account."""
    return db.prepare(
        "INSERT INTO users (id, email, display_name, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
    ).bind(user, f"{user}@users.invalid", user, NOW_MS)


async def add_users(db: Any, users: list[str]) -> None:
    """Accounts without a membership (readers who react and comment)."""
    await db.batch([user_statement(db, user) for user in users])


async def add_member(db: Any, user: str, tenant: str, role: str = "owner") -> None:
    """An account ``user`` (its id) with a membership on ``tenant``: roles come from
    memberships, so a token for ``user`` writes only once this row exists."""
    await db.batch([
        user_statement(db, user),
        db.prepare("INSERT INTO memberships (tenant, user_id, role, created_at_ms) VALUES (?, ?, ?, ?)").bind(tenant, user, role, NOW_MS),
    ])


def post_statement(db: Any, tenant: str, slug: str, *, location: str = "d1", status: str = "published") -> Any:
    r2_key = None if location == "d1" else f"posts/{tenant}/{slug}.md"
    markdown = f"# {slug}" if location == "d1" else None
    return db.prepare(
        "INSERT INTO posts (id, tenant, slug, title, status, author_id, markdown, storage_location, r2_key, "
        "created_at_ms, updated_at_ms, published_at_ms) VALUES (?, ?, ?, ?, ?, 'author-1', ?, ?, ?, ?, ?, ?)"
    ).bind(f"{tenant}-{slug}", tenant, slug, slug.replace("-", " ").title(), status, markdown, location, r2_key,
           NOW_MS, NOW_MS, NOW_MS if status == "published" else None)  # fmt: skip


def bearer(secret: str, now_ms: int, *, tenant: str, role: str = "owner", user: str = "ada", ttl_s: int = 600) -> dict[str, str]:
    """An Authorization header with an HS256 token, made by hand so both lanes can mint it."""
    import base64
    import hashlib
    import hmac
    import json
    import uuid

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    now_s = now_ms // 1000
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": user, "tenant": tenant, "role": role, "iat": now_s, "exp": now_s + ttl_s, "jti": uuid.uuid4().hex}
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return {"authorization": f"Bearer {header}.{payload}.{signature}", "content-type": "application/json"}
