"""Storage tiers of a post's content and the cache lifetimes of each tier.

The one definition of the roadmap's hot/warm/cold table: the read path takes KV and edge
TTLs from here (by where the content is now), and the cron migrator decides where a post
belongs with ``decide_tier`` (by its age, status and views; the rules and the roadmap's
conflicts are explained next to their thresholds below).

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

# --- When a post moves (the cron migrator, ``src/post_migrator``) -------------------------------
#
# hot -> warm: published more than 30 days ago AND not edited for 30 days. The roadmap's own hot
# window is "edited < 7 days, or created < 30 days" (HOT_EDIT_WINDOW_MS, HOT_PUBLISH_WINDOW_MS,
# kept for reference and for the seed's description of that table); we keep an edit hot for 30
# days rather than 7 because a post being revised is usually revised again within weeks, and each
# edit of a warm post brings it back to D1 (the write path), so a 7-day window would make
# writers' posts bounce D1 -> R2 -> D1 every month for no storage saving worth the moves.
# The roadmap also asks for "under 10 views/day" to leave hot. Its decisions, though, put popular
# posts in R2 behind long edge TTLs, which contradicts keeping them in D1: views decide the cache
# lifetime and the cold move, never the warm one. Its code also "moves popular posts back to D1";
# we follow the decisions (R2 + caching), since a popular post is served from the edge anyway.
HOT_EDIT_WINDOW_MS = 7 * DAY_MS  # roadmap's table (not what the migrator uses; see above)
HOT_PUBLISH_WINDOW_MS = 30 * DAY_MS  # roadmap's table: "created < 30 days"
WARM_AFTER_PUBLISH_MS = 30 * DAY_MS
WARM_AFTER_EDIT_MS = 30 * DAY_MS
# -> cold: archived, or published over a year ago with under 1 view/day (views over 30 days).
COLD_AFTER_MS = 365 * DAY_MS
VIEW_WINDOW_DAYS = 30  # posts.views_30d (PostMetaDO's flush, migration 0007)
COLD_UNDER_VIEWS_PER_DAY = 1
# Popular: over 100 views/day over 30 days. Never cold; its edge TTL is the read path's choice.
POPULAR_OVER_VIEWS_PER_DAY = 100
# No grove post predates 2000-01-01; a date before it is a unit mistake (seconds stored where
# milliseconds belong read as January 1970, "55 years old": the bug that made a comparable
# migrator push every post to cold) or a corrupt row. Such posts are skipped and reported.
EARLIEST_PLAUSIBLE_MS = 946_684_800_000


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

# Meadow's Trending list: recomputed hourly by the main Worker's cron, five minutes past the hour
# (after PostMetaDO's hourly flush of view totals; reactions and comments flush within minutes);
# shared caches may keep a reply 5 minutes, browsers 1. Its KV copy outlives two missed runs,
# so a failed run leaves the last list in place rather than none.
TRENDING_CRON = "5 * * * *"
TRENDING_BROWSER_TTL_S = MINUTE_S
TRENDING_EDGE_TTL_S = 5 * MINUTE_S
TRENDING_KV_TTL_S = 3 * HOUR_S
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


@dataclass(frozen=True)
class TierFacts:
    """What the rules read of a post (a ``posts`` row)."""

    status: PostStatus
    published_at_ms: int | None
    updated_at_ms: int
    views_30d: int = 0


@dataclass(frozen=True)
class TierDecision:
    """Where a post belongs now and why; ``tier`` None: skipped (never moved), ``reason`` says why."""

    tier: Tier | None
    reason: str


def _days(ms: int) -> str:
    return f"{ms / DAY_MS:.1f} d"


def decide_tier(facts: TierFacts, now_ms: int) -> TierDecision:
    """Where a post belongs at ``now_ms`` (what the migrator moves it towards), with the reason."""
    for name, at_ms in (("updated_at_ms", facts.updated_at_ms), ("published_at_ms", facts.published_at_ms)):
        if at_ms is None:
            continue
        if at_ms < EARLIEST_PLAUSIBLE_MS:
            return TierDecision(None, f"impossible date: {name}={at_ms} is before 2000 (seconds for milliseconds?)")
        if at_ms > now_ms:
            return TierDecision(None, f"future date: {name}={at_ms} is {_days(at_ms - now_ms)} ahead")
    edited_ms = now_ms - facts.updated_at_ms
    if edited_ms < WARM_AFTER_EDIT_MS:
        # Archiving is an edit too: an archived post goes cold once it has rested 30 days.
        return TierDecision(Tier.HOT, f"edited {_days(edited_ms)} ago (< 30 d)")
    if facts.status == "draft" or facts.published_at_ms is None:
        return TierDecision(Tier.HOT, "not published (drafts stay in D1)")
    if facts.status == "archived":
        return TierDecision(Tier.COLD, "archived")
    age_ms = now_ms - facts.published_at_ms
    if age_ms < WARM_AFTER_PUBLISH_MS:
        return TierDecision(Tier.HOT, f"published {_days(age_ms)} ago (< 30 d)")
    views_per_day = facts.views_30d / VIEW_WINDOW_DAYS
    if views_per_day > POPULAR_OVER_VIEWS_PER_DAY:
        return TierDecision(Tier.WARM, f"popular: {views_per_day:.1f} views/day (> 100), never cold")
    if age_ms >= COLD_AFTER_MS and views_per_day < COLD_UNDER_VIEWS_PER_DAY:
        return TierDecision(Tier.COLD, f"published {_days(age_ms)} ago, {views_per_day:.2f} views/day (< 1)")
    return TierDecision(Tier.WARM, f"published {_days(age_ms)} ago, unedited {_days(edited_ms)}")


def tier_for(
    *, status: PostStatus, published_at_ms: int | None, updated_at_ms: int, now_ms: int, views_30d: int = 0
) -> Tier:
    """Where a post belongs now; a skipped post (impossible date) stays hot."""
    decision = decide_tier(TierFacts(status, published_at_ms, updated_at_ms, views_30d), now_ms)
    return decision.tier or Tier.HOT
