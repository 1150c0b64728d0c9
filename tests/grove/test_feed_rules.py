"""Meadow's pure rules: the relevance score (grove.feed_scoring) and feed cursors
(grove.feed_cursors)."""

from __future__ import annotations

import pytest

from grove.errors import HttpError
from grove.feed_cursors import RecentCursor, RelevanceCursor, decode_feed_cursor
from grove.feed_scoring import MS_PER_ORDER, SCORE_EPOCH_MS, engagement, relevance_score

T = SCORE_EPOCH_MS + 400 * 86_400_000


def test_score_rises_with_engagement_and_with_recency():
    assert relevance_score(T, {"like": 5}) > relevance_score(T, {"like": 4}) > relevance_score(T, {})
    assert relevance_score(T + 1, {}) > relevance_score(T, {})


def test_ten_times_the_engagement_is_worth_one_order_of_time():
    # log10(1 + e): 9 -> 99 weighted units is exactly one order of magnitude.
    older = relevance_score(T, {"like": 99})
    newer = relevance_score(T + MS_PER_ORDER, {"like": 9})
    assert older == pytest.approx(newer)


def test_score_is_time_invariant_and_weighs_comments_and_views():
    # Nothing but the post's own inputs: the same call gives the same value, whatever "now" is.
    assert relevance_score(T, {"like": 3}, 2, 50) == relevance_score(T, {"like": 3}, 2, 50)
    assert engagement({"like": 1, "love": 2}, comments=2, views=10) == 3 + 4 + 1
    assert engagement({"like": -5}, comments=-1, views=-1) == 0


def test_cursors_round_trip_and_refuse_the_other_sort():
    recent = RecentCursor(1_767_225_600_000, "0a1b")
    relevance = RelevanceCursor("ab" * 16, 40)
    assert decode_feed_cursor(recent.encode(), "recent") == recent
    assert decode_feed_cursor(relevance.encode(), "relevance") == relevance
    for raw, sort in [(recent.encode(), "relevance"), (relevance.encode(), "recent"), ("", "recent"), ("!!", "recent"), ("x" * 300, "recent")]:
        with pytest.raises(HttpError) as caught:
            decode_feed_cursor(raw, sort)  # type: ignore[arg-type]
        assert caught.value.code == "bad_cursor"
