"""Analytics events (grove.analytics): validation and ids. (What D1 makes of a batch is
tested against the local D1 in tests/app/test_analytics.py.)"""

from __future__ import annotations

import json

import pytest

from grove.analytics import MAX_EVENTS_PER_REQUEST, buffer_row, parse_events
from grove.errors import HttpError
from grove.tiers import DAY_MS

NOW_MS = 1_767_225_600_000
VIEW = {"type": "page_view", "path": "/blog/spring", "ts_ms": NOW_MS}


def test_one_event_or_an_array():
    assert [e.path for e in parse_events(VIEW, NOW_MS)] == ["/blog/spring"]
    assert len(parse_events([VIEW, {**VIEW, "referrer": "https://example.com/", "session_id": "s-1"}], NOW_MS)) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**VIEW, "type": "purchase"}, "0.type"),
        ({**VIEW, "path": "blog/spring"}, "0.path"),
        ({**VIEW, "path": "/a b"}, "0.path"),
        ({**VIEW, "ts_ms": "yesterday"}, "0.ts_ms"),
        ({**VIEW, "ts_ms": NOW_MS - 8 * DAY_MS}, "0.ts_ms"),
        ({**VIEW, "ts_ms": NOW_MS + 3_600_000}, "0.ts_ms"),
        ({**VIEW, "session_id": "has space"}, "0.session_id"),
        ({**VIEW, "extra": 1}, "0.extra"),
        ({k: v for k, v in VIEW.items() if k != "path"}, "0.path"),
        ([], "body"),
        ([VIEW] * (MAX_EVENTS_PER_REQUEST + 1), "body"),
        ("page_view", "body"),
    ],
)
def test_invalid_events_are_422_naming_the_field(data, field):
    with pytest.raises(HttpError) as caught:
        parse_events(data, NOW_MS)
    assert caught.value.status == 422 and caught.value.details["field"] == field


def test_buffered_rows_have_unique_ids():
    rows = [buffer_row(VIEW, NOW_MS) for _ in range(1000)]
    assert len({row["id"] for row in rows}) == 1000
    assert json.loads(rows[0]["event"]) == VIEW and rows[0]["received_at_ms"] == NOW_MS
