"""Meadow's Trending list: posts across every blog ranked by recent engagement, the same list
for everyone, so it is computed on a schedule rather than per request.

The main Worker's cron (``grove.tiers.TRENDING_CRON``, ``entry.Default.scheduled``) calls
``compute``: one D1 query reads the posts published in the trending window (newest first, at
most ``TRENDING_CANDIDATES_MAX``, by the partial index ``posts_published_recent``, migration
0011) with their reactions and visible comments made in the window and their 30-day views
(the counters PostMetaDO flushes to D1, migration 0007), ranks them with
``grove.feed_scoring.trending_score`` and writes the best ``TRENDING_SIZE`` to one KV key. A
read (``GET /api/meadow/trending``) is that one KV read. A post unpublished or deleted leaves
the list at the next computation (within the hour), which reads only published posts.
"""

from __future__ import annotations

import json
import logging

from typing_extensions import TypedDict

from grove.authors import author_name
from grove.bindings import D1PreparedStatement, Env
from grove.cache_keys import TRENDING_KEY
from grove.feed_scoring import COMMENT_WEIGHT, VIEW_WEIGHT, trending_score
from grove.meadow_policy import TRENDING_CANDIDATES_MAX, TRENDING_SIZE, TRENDING_WINDOW_MS
from grove.tiers import TRENDING_KV_TTL_S

log = logging.getLogger("grove.trending")


class TrendingItem(TypedDict):
    post_id: str
    tenant: str
    slug: str
    author_id: str
    author_name: str
    title: str
    description: str
    tags: list[str]
    published_at_ms: int
    reactions: int  # in the trending window
    comments: int  # visible ones, in the window
    views_30d: int
    score: float  # grove.feed_scoring.trending_score at computed_at_ms


class TrendingList(TypedDict):
    items: list[TrendingItem]
    computed_at_ms: int | None  # None: never computed yet


class _Row(TypedDict):
    id: str
    tenant: str
    slug: str
    author_id: str
    author_name: str | None
    title: str
    description: str
    tags: str | None
    published_at_ms: int
    views_30d: int
    reactions: int
    comments: int


# The window's start is ?1 and "now" ?2 (a post dated in the future is not trending yet).
_CANDIDATES = (
    "SELECT p.id, p.tenant, p.slug, p.author_id, (SELECT u.display_name FROM users AS u WHERE u.id = p.author_id) AS author_name,"
    " p.title, p.description, p.tags, p.published_at_ms, p.views_30d,"
    " (SELECT COUNT(*) FROM post_reactions AS r WHERE r.post_id = p.id AND r.created_at_ms >= ?1) AS reactions,"
    " (SELECT COUNT(*) FROM comments AS c WHERE c.post_id = p.id AND c.created_at_ms >= ?1"
    " AND c.hidden_at_ms IS NULL AND c.deleted_at_ms IS NULL) AS comments"
    " FROM posts AS p WHERE p.status = 'published' AND p.published_at_ms >= ?1 AND p.published_at_ms <= ?2"
    " ORDER BY p.published_at_ms DESC LIMIT ?3"
)


def rank(rows: list[_Row], now_ms: int) -> list[TrendingItem]:
    """The best ``TRENDING_SIZE`` of ``rows`` by trending score (ties: newer first, then id)."""
    items: list[TrendingItem] = []
    for row in rows:
        engagement = row["reactions"] + COMMENT_WEIGHT * row["comments"] + VIEW_WEIGHT * row["views_30d"]
        if engagement <= 0:
            continue  # nothing happened: not trending
        items.append({
            "post_id": row["id"], "tenant": row["tenant"], "slug": row["slug"], "author_id": row["author_id"],
            "author_name": author_name(row["author_id"], row["author_name"]), "title": row["title"],
            "description": row["description"], "tags": json.loads(row["tags"] or "[]"),
            "published_at_ms": row["published_at_ms"], "reactions": row["reactions"], "comments": row["comments"],
            "views_30d": row["views_30d"], "score": trending_score(engagement, row["published_at_ms"], now_ms),
        })
    items.sort(key=lambda item: (-item["score"], -item["published_at_ms"], item["post_id"]))
    return items[:TRENDING_SIZE]


async def compute(env: Env, now_ms: int) -> TrendingList:
    """Recompute the list from D1 and store it in KV (what the cron does)."""
    select: D1PreparedStatement[_Row] = env.DB.prepare(_CANDIDATES)
    result = await select.bind(now_ms - TRENDING_WINDOW_MS, now_ms, TRENDING_CANDIDATES_MAX).all()
    listing: TrendingList = {"items": rank(result["results"], now_ms), "computed_at_ms": now_ms}
    if listing["items"] or (await read(env))["items"]:
        await _store(env, listing)
    # else: nothing trends and nothing is stored; an idle platform's cron writes nothing.
    log.info("trending: %d items from %d candidates", len(listing["items"]), len(result["results"]))
    return listing


async def read(env: Env) -> TrendingList:
    """The stored list; an empty one (``computed_at_ms`` None) before the first computation."""
    stored = await env.CACHE_KV.get(TRENDING_KEY, type="json")
    if isinstance(stored, dict) and "items" in stored:
        return stored  # type: ignore[return-value]  # written by _store only
    return {"items": [], "computed_at_ms": None}


async def _store(env: Env, listing: TrendingList) -> None:
    await env.CACHE_KV.put(TRENDING_KEY, json.dumps(listing, separators=(",", ":")), expirationTtl=TRENDING_KV_TTL_S)
