"""Demo data for `grove dev`: three tenants and a few dozen posts, written through D1 and R2
like any other rows.

Post ages span every storage tier; each post's ``storage_location`` comes from the same
``grove.tiers.tier_for`` the migrator uses, and warm/cold posts have their content in R2
only, so the read path by ``storage_location`` is exercised from the first page view.
Idempotent: seeding twice leaves one copy of everything (ids derive from tenant and slug).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grove.accounts import grant_statement, insert_user_statement
from grove.markdown import render_markdown
from grove.posts_store import r2_content_key, write_r2_content
from grove.tenancy import insert_tenant, tenant_stub
from grove.tiers import DAY_MS, TIER_RULES, tier_for
from grove_dev.demo_content import DemoPost, demo_posts
from local_runtime.runtime import LocalRuntime

DEMO_POSTS_PER_TENANT = 14


@dataclass(frozen=True)
class DemoAuthor:
    email: str
    display_name: str
    tenant: str
    role: str  # owner | author

    @property
    def user_id(self) -> str:
        return demo_user_id(self.email)


def demo_user_id(email: str) -> str:
    """A demo account's id, derived from its address: seeding twice gives the same account."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"grove:user:{email}").hex


# Sign in as any of them at http://{tenant}.localhost:8787/auth/sign-in (the link is printed
# by `grove dev`); README lists them. ``.test`` is reserved (RFC 2606): no mail leaves.
DEMO_AUTHORS: tuple[DemoAuthor, ...] = (
    DemoAuthor("ada@grove.test", "Ada Hart", "autumn", "owner"),
    DemoAuthor("bea@grove.test", "Bea Lind", "autumn", "author"),
    DemoAuthor("wes@grove.test", "Wes Calder", "willow", "owner"),
    DemoAuthor("fern@grove.test", "Fern Okafor", "fern", "owner"),
)


@dataclass(frozen=True)
class DemoTenant:
    subdomain: str
    display_name: str
    tier: str
    accent: str
    tagline: str
    content: str  # a grove_dev.demo_content theme


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant("autumn", "Autumn's Grove", "oak", "#b5542c",
               "A garden journal, kept by the back door since 2015.", "garden"),
    DemoTenant("willow", "Willow Notes", "sapling", "#3f6e4f",
               "Notes on building software that stays boring.", "software"),
    DemoTenant("fern", "Fern & Field", "seedling", "#5b6f2a",
               "Recipes, foraging and long walks.", "kitchen"),
)

_INSERT_POST = (
    "INSERT INTO posts (id, tenant, slug, title, description, tags, status, author_id, markdown,"
    " html, word_count, reading_time_min, storage_location, r2_key, created_at_ms, updated_at_ms,"
    " published_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
    " ?16, ?17) ON CONFLICT (tenant, slug) DO NOTHING RETURNING id"
)


def post_id_for(tenant: str, slug: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"grove:{tenant}:{slug}").hex


async def seed_posts(
    db: Any, bucket: Any, tenant: str, posts: Sequence[DemoPost], *, now_ms: int, author_id: str = "demo"
) -> int:
    """Insert ``posts`` (content in D1 or R2 by tier); returns how many rows were new."""
    statements = []
    for post in posts:
        post_id = post_id_for(tenant, post.slug)
        published_at_ms = None if post.status == "draft" else now_ms - int(post.published_days_ago * DAY_MS)
        updated_at_ms = now_ms - int(post.edited_days_ago * DAY_MS)
        tier = tier_for(status=post.status, published_at_ms=published_at_ms, updated_at_ms=updated_at_ms, now_ms=now_ms)
        location = TIER_RULES[tier].storage_location
        rendered = render_markdown(post.markdown)
        r2_key = None
        if location != "d1":
            # R2 first: a row must never point at content that is not there yet.
            r2_key = r2_content_key(tenant, post_id, location)
            await write_r2_content(bucket, r2_key, markdown=post.markdown, html=rendered.html, now_ms=now_ms)
        in_d1 = location == "d1"
        statements.append(
            db.prepare(_INSERT_POST).bind(
                post_id, tenant, post.slug, post.title, post.description, json.dumps(post.tags),
                post.status, author_id, post.markdown if in_d1 else None,
                rendered.html if in_d1 else None, rendered.word_count, rendered.reading_time_min,
                location, r2_key, published_at_ms or updated_at_ms, updated_at_ms, published_at_ms,
            )
        )
    results = await db.batch(statements) if statements else []
    # New rows by RETURNING, not meta.changes: the triggers' post_tags rows count as changes too.
    return sum(len(r["results"]) for r in results)


async def insert_post_rows(db: Any, rows: Sequence[Sequence[Any]], *, batch_size: int = 1000) -> int:
    """Bulk-insert post rows (``_INSERT_POST``'s 17 parameters each) through the D1 binding,
    ``batch_size`` statements per ``db.batch`` call: how benchmarks seed 100,000 posts in
    seconds rather than through 100,000 HTTP writes. Returns how many rows were new."""
    changes = 0
    for start in range(0, len(rows), batch_size):
        results = await db.batch([db.prepare(_INSERT_POST).bind(*row) for row in rows[start : start + batch_size]])
        changes += sum(len(r["results"]) for r in results)
    return changes


async def create_tenant(
    runtime: LocalRuntime, subdomain: str, display_name: str, *, tier: str = "seedling", theme: dict[str, Any] | None = None
) -> bool:
    """Insert the tenant row, then have its TenantDO reload (it may remember "unknown")."""
    created = await insert_tenant(
        runtime.d1(), subdomain=subdomain, display_name=display_name, theme=theme or {}, tier=tier,
        now_ms=runtime.services.now_ms(),
    )
    if created:
        await tenant_stub(runtime.worker().env, subdomain).refresh_config()
    return created


async def seed_authors(db: Any, now_ms: int) -> int:
    """The demo authors' accounts and memberships; returns how many accounts were new."""
    statements = [insert_user_statement(db, a.email, now_ms, user_id=a.user_id, display_name=a.display_name) for a in DEMO_AUTHORS]
    statements += [grant_statement(db, a.tenant, a.user_id, a.role, now_ms) for a in DEMO_AUTHORS]  # type: ignore[arg-type]
    results = await db.batch(statements)
    return sum(r["meta"]["changes"] for r in results[: len(DEMO_AUTHORS)])


def owner_of(tenant: str) -> str:
    return next(a.user_id for a in DEMO_AUTHORS if a.tenant == tenant and a.role == "owner")


async def seed_demo(runtime: LocalRuntime) -> dict[str, int]:
    now_ms = runtime.services.now_ms()
    tenants_created = posts_created = 0
    for tenant in DEMO_TENANTS:
        tenants_created += await create_tenant(
            runtime, tenant.subdomain, tenant.display_name, tier=tenant.tier,
            theme={"accent": tenant.accent, "tagline": tenant.tagline},
        )
    accounts_created = await seed_authors(runtime.d1(), now_ms)
    for tenant in DEMO_TENANTS:
        posts = demo_posts(tenant.content, DEMO_POSTS_PER_TENANT, seed="demo", drafts=1, archived=1)
        posts_created += await seed_posts(
            runtime.d1(), runtime.r2(), tenant.subdomain, posts, now_ms=now_ms, author_id=owner_of(tenant.subdomain)
        )
    from grove_dev.demo_meadow import (  # it reads DEMO_AUTHORS from this module
        announce_celebrity,
        seed_meadow,
    )

    meadow = await seed_meadow(runtime.d1(), now_ms)
    if meadow["follows_created"]:
        await announce_celebrity(runtime.worker().env)
    return {"tenants_created": tenants_created, "accounts_created": accounts_created, "posts_created": posts_created, **meadow}
