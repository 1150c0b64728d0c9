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


def post_statement(db: Any, tenant: str, slug: str, *, location: str = "d1", status: str = "published") -> Any:
    r2_key = None if location == "d1" else f"posts/{tenant}/{slug}.md"
    markdown = f"# {slug}" if location == "d1" else None
    return db.prepare(
        "INSERT INTO posts (id, tenant, slug, title, status, author_id, markdown, storage_location, r2_key, "
        "created_at_ms, updated_at_ms, published_at_ms) VALUES (?, ?, ?, ?, ?, 'author-1', ?, ?, ?, ?, ?, ?)"
    ).bind(f"{tenant}-{slug}", tenant, slug, slug.replace("-", " ").title(), status, markdown, location, r2_key,
           NOW_MS, NOW_MS, NOW_MS if status == "published" else None)  # fmt: skip
