"""Demo data for `grove dev`: a few tenants, written through D1 like any other row.

Idempotent: seeding twice leaves one copy of everything.
"""

from __future__ import annotations

import json

from local_runtime.runtime import LocalRuntime

DEMO_TENANTS: tuple[dict[str, str], ...] = (
    {"subdomain": "autumn", "display_name": "Autumn's Grove", "tier": "oak", "accent": "#b5542c"},
    {"subdomain": "willow", "display_name": "Willow Notes", "tier": "sapling", "accent": "#3f6e4f"},
    {"subdomain": "fern", "display_name": "Fern & Field", "tier": "seedling", "accent": "#5b6f2a"},
)


async def seed_demo(runtime: LocalRuntime) -> dict[str, int]:
    db = runtime.d1()
    now_ms = runtime.services.now_ms()
    statements = [
        db.prepare(
            "INSERT INTO tenants (subdomain, display_name, theme, tier, limits, created_at_ms, updated_at_ms) "
            "VALUES (?, ?, ?, ?, '{}', ?, ?) ON CONFLICT (subdomain) DO NOTHING"
        ).bind(t["subdomain"], t["display_name"], json.dumps({"accent": t["accent"]}), t["tier"], now_ms, now_ms)
        for t in DEMO_TENANTS
    ]
    results = await db.batch(statements)
    return {"tenants_created": sum(r["meta"]["changes"] for r in results)}
