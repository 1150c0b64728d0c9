"""The migrator's rules (``grove.tiers.decide_tier``): pure, on dates in milliseconds."""

from __future__ import annotations

import pytest

from grove.tiers import DAY_MS, Tier, TierFacts, decide_tier

NOW_MS = 1_795_000_000_000  # 2026-11-18


def _facts(status: str = "published", published_days: float | None = 100, edited_days: float = 100, views_30d: int = 0) -> TierFacts:
    published_at_ms = None if published_days is None else NOW_MS - int(published_days * DAY_MS)
    return TierFacts(status, published_at_ms, NOW_MS - int(edited_days * DAY_MS), views_30d)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "tier", "reason"),
    [
        (_facts(published_days=29.9, edited_days=29.9), Tier.HOT, "edited 29.9 d ago"),
        (_facts(published_days=31, edited_days=29), Tier.HOT, "edited"),  # unedited 30 d is needed too
        (_facts(published_days=30, edited_days=30), Tier.WARM, "published 30.0 d ago"),
        # The roadmap's "< 10 views/day" does not keep a post hot: views decide cold and TTLs only.
        (_facts(published_days=40, edited_days=40, views_30d=30 * 500), Tier.WARM, "popular"),
        (_facts(published_days=365, edited_days=365, views_30d=29), Tier.COLD, "0.97 views/day"),
        (_facts(published_days=365, edited_days=365, views_30d=30), Tier.WARM, "published"),  # 1 view/day: not under 1
        (_facts(published_days=900, edited_days=900, views_30d=3001), Tier.WARM, "popular"),  # popular never cold
        (_facts(published_days=900, edited_days=900, views_30d=3000), Tier.WARM, "published 900.0 d ago"),  # 100/day: not popular, not quiet
        (_facts("archived", published_days=10, edited_days=31, views_30d=99_999), Tier.COLD, "archived"),
        (_facts("archived", published_days=10, edited_days=3), Tier.HOT, "edited"),  # archiving is an edit
        (_facts("draft", published_days=None, edited_days=400), Tier.HOT, "not published"),
    ],
)
def test_decide_tier(facts, tier, reason):
    decision = decide_tier(facts, NOW_MS)
    assert decision.tier == tier and reason in decision.reason, decision


def test_a_date_in_seconds_is_skipped_never_moved():
    """The comparable migrator's bug: published_at in seconds read as ms is January 1970, so the
    post looks 55 years old and goes cold. Here it is skipped, with the reason."""
    in_seconds = TierFacts("published", NOW_MS // 1000, NOW_MS // 1000, 0)
    decision = decide_tier(in_seconds, NOW_MS)
    assert decision.tier is None and "impossible date" in decision.reason and "seconds" in decision.reason


@pytest.mark.parametrize("field", ["published_at_ms", "updated_at_ms"])
def test_a_future_date_is_skipped(field):
    ahead = NOW_MS + 3 * DAY_MS
    facts = TierFacts("published", ahead if field == "published_at_ms" else NOW_MS - 400 * DAY_MS,
                      ahead if field == "updated_at_ms" else NOW_MS - 400 * DAY_MS, 0)
    decision = decide_tier(facts, NOW_MS)
    assert decision.tier is None and decision.reason.startswith(f"future date: {field}")


def test_nothing_moves_on_its_first_day():
    for status in ("published", "draft", "archived"):
        fresh = TierFacts(status, None if status == "draft" else NOW_MS, NOW_MS, 0)  # type: ignore[arg-type]
        assert decide_tier(fresh, NOW_MS).tier == Tier.HOT
