"""Storage tiers of a post's content and the cache lifetimes of each tier.

The one definition of the roadmap's hot/warm/cold table: the read path takes KV and edge
TTLs from here (by where the content is now), and the cron migrator decides where a post
belongs with ``tier_for`` (by its age and status).

| tier | content in           | KV TTL  | edge (Cache API) TTL |
| hot  | D1 (``d1``)          | 1 day   | 1 h                  |
| warm | R2 (``r2``)          | 7 days  | 24 h                 |
| cold | R2 (``r2_archived``) | 30 days | 7 days               |

Every cache lifetime of the app is defined here (post tiers, lists, the edge generation entry,
KV's propagation window). Every write updates or invalidates the cached copies explicitly; the
TTLs only bound how long a copy can outlive an invalidation that did not reach it (another
location, a failed call).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # models imports StorageLocation from here
    from grove.models import PostStatus

MINUTE_S = 60
HOUR_S = 60 * MINUTE_S
DAY_S = 24 * HOUR_S
DAY_MS = DAY_S * 1000

# Roadmap thresholds: hot while edited in the last week or published in the last month.
HOT_EDIT_WINDOW_MS = 7 * DAY_MS
HOT_PUBLISH_WINDOW_MS = 30 * DAY_MS
# Cold once published over a year ago (or archived).
COLD_AFTER_MS = 365 * DAY_MS


# Where a post's content lives (``posts.storage_location``), one per tier (``TIER_RULES``).
StorageLocation = Literal["d1", "r2", "r2_archived"]


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


@dataclass(frozen=True)
class TierRule:
    storage_location: StorageLocation
    kv_ttl_s: int
    edge_ttl_s: int


# KV outlives the edge in every tier: an edge copy expires (or was never made) in one data centre
# while the post is still in KV, so that location's miss is served from KV, not D1. Writes keep
# KV current themselves (write-through, ``grove.page_cache.invalidate``), so a long KV TTL
# never serves an edited post: it only bounds how long an entry nobody reads occupies KV.
TIER_RULES: dict[Tier, TierRule] = {
    Tier.HOT: TierRule(storage_location="d1", kv_ttl_s=DAY_S, edge_ttl_s=HOUR_S),
    Tier.WARM: TierRule(storage_location="r2", kv_ttl_s=7 * DAY_S, edge_ttl_s=DAY_S),
    Tier.COLD: TierRule(storage_location="r2_archived", kv_ttl_s=30 * DAY_S, edge_ttl_s=7 * DAY_S),
}

# Cloudflare KV docs ("How KV works"): a write is visible at once in the location that made
# it, and "may take up to 60 seconds or more to be visible in other global network locations".
# A post page built from KV within this time after the tenant's last write may show the older
# version in another location, so its edge copy lives only until the window closes
# (``grove.page_cache.edge_ttl_after_writes``): staleness elsewhere stays bounded by KV's own.
KV_PROPAGATION_S = MINUTE_S

# Lists have no storage tier: their edge copy lives as long as shared caches may keep them.
# Their KV copies are keyed by the tenant's cache stamp (a write moves it rather than deleting
# them), so the TTL only bounds how long orphaned entries occupy KV.
LIST_EDGE_TTL_S = 600

# Meadow's Trending list: recomputed every 10 minutes by the main Worker's cron
# (grove.trending); shared caches may keep a reply 5 minutes, browsers 1. Its KV copy outlives
# two missed runs, so a failed run leaves the last list in place rather than none.
TRENDING_CRON = "*/10 * * * *"
TRENDING_BROWSER_TTL_S = MINUTE_S
TRENDING_EDGE_TTL_S = 5 * MINUTE_S
TRENDING_KV_TTL_S = 30 * MINUTE_S
LIST_KV_TTL_S = 300

# A data centre's record of which generation of a tenant's pages is current
# (``grove.page_cache.EdgeGeneration``): a write replaces it here at once and the zone purge by
# tag drops it elsewhere; this bounds how long a location the purge missed serves old pages.
GENERATION_EDGE_TTL_S = MINUTE_S

# A 404 for a slug that could exist (it passes the slug rule) is kept in the Cache API this
# long: crawlers probing made-up URLs then cost neither KV nor D1 per probe. Creating the post
# deletes it in this location (it lives at the page's URL) and purges it elsewhere (list tag).
NOT_FOUND_EDGE_TTL_S = MINUTE_S

STORAGE_LOCATIONS: tuple[StorageLocation, ...] = tuple(rule.storage_location for rule in TIER_RULES.values())


def tier_of_location(storage_location: StorageLocation) -> Tier:
    """The tier whose content lives at ``storage_location`` (``d1``, ``r2``, ``r2_archived``)."""
    for tier, rule in TIER_RULES.items():
        if rule.storage_location == storage_location:
            return tier
    raise ValueError(f"unknown storage_location {storage_location!r}")


def rule_for_location(storage_location: StorageLocation) -> TierRule:
    return TIER_RULES[tier_of_location(storage_location)]


def tier_for(
    *, status: PostStatus, published_at_ms: int | None, updated_at_ms: int, now_ms: int
) -> Tier:
    """Where a post belongs now (what the migrator moves it towards)."""
    if status == "archived":
        return Tier.COLD
    if status != "published" or published_at_ms is None:
        return Tier.HOT  # drafts are being edited
    if now_ms - updated_at_ms < HOT_EDIT_WINDOW_MS:
        return Tier.HOT
    age_ms = now_ms - published_at_ms
    if age_ms < HOT_PUBLISH_WINDOW_MS:
        return Tier.HOT
    if age_ms >= COLD_AFTER_MS:
        return Tier.COLD
    return Tier.WARM
