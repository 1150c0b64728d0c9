"""How Meadow ranks a post for "relevance": one formula, pure, no clock.

    score = log10(1 + engagement) + (published_at_ms - SCORE_EPOCH_MS) / MS_PER_ORDER
    engagement = reactions + COMMENT_WEIGHT * comments + VIEW_WEIGHT * views

This is Reddit's "hot" rank (reddit's ``_sorts.pyx``: ``log10(max(|s|, 1)) + seconds / 45000``),
chosen over Hacker News' gravity ``points / (age_h + 2) ** 1.8`` because it is *time-invariant*:
a post's score depends only on its own publication time and engagement, never on "now", so a
stored score never goes stale as time passes (HN's must be recomputed for every item on every
read to stay ordered). Recency decay is still there, expressed relatively: every
``MS_PER_ORDER`` (12.5 hours, Reddit's 45,000 s) a newer post needs ten times the engagement to
rank level with an older one. A log keeps the first few reactions worth more than the
hundredth. Comments weigh more than a reaction (they take effort) and a view much less (a view
is a page load, not a judgement). The score changes only when engagement does, which is when a
feed's copy of it is refreshed.

**Trending** (``trending_score``) is the other anchor, Hacker News' gravity: recent engagement
divided by ``(age_h + 2) ** TRENDING_GRAVITY``. There "now" in the formula is what we want: the
list is recomputed on a schedule for everyone (``grove.trending``), never stored per item, so
its dependence on the clock costs nothing, and a post's lead fades as it ages even if nobody
reacts any more (Reddit's rank never lets an old post fall, only newer ones pass it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# 2025-01-01T00:00:00Z: keeps scores small; any fixed instant gives the same order.
SCORE_EPOCH_MS = 1_735_689_600_000
MS_PER_ORDER = 45_000_000  # 12.5 hours: Reddit's 45,000 seconds
COMMENT_WEIGHT = 2.0
VIEW_WEIGHT = 0.1


def engagement(reactions: Mapping[str, int], comments: int, views: int) -> float:
    """Weighted engagement; negative counts (never sent) count as zero."""
    return sum(max(0, n) for n in reactions.values()) + COMMENT_WEIGHT * max(0, comments) + VIEW_WEIGHT * max(0, views)


def relevance_score(published_at_ms: int, reactions: Mapping[str, int], comments: int = 0, views: int = 0) -> float:
    """The post's relevance; higher ranks first. Rounded to 9 decimals so that the same inputs
    give the same stored value on every runtime."""
    value = math.log10(1.0 + engagement(reactions, comments, views)) + (published_at_ms - SCORE_EPOCH_MS) / MS_PER_ORDER
    return round(value, 9)


TRENDING_GRAVITY = 1.8  # Hacker News' published gravity


def trending_score(recent_engagement: float, published_at_ms: int, now_ms: int) -> float:
    """A post's Trending rank from its engagement in the trending window; higher ranks first.
    A post dated in the future counts as just published (age 0)."""
    age_h = max(0, now_ms - published_at_ms) / 3_600_000
    return round(max(0.0, recent_engagement) / (age_h + 2.0) ** TRENDING_GRAVITY, 9)
