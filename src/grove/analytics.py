"""Analytics events: validation, ids, the rows D1 stores, and the owner's summary.

An event is validated (``AnalyticsEvent``, plus a window on ``ts_ms``), given an id when the
tenant's Durable Object buffers it, and later inserted into D1 ``analytics_events`` by that
id with ``ON CONFLICT DO NOTHING``: delivering a batch twice (a flush that reached D1 but was
not marked done in the buffer) stores each event once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import (
    Annotated,
    NotRequired,  # pydantic reads them on Python < 3.12
)

from pydantic import Field
from typing_extensions import TypedDict

from grove.bindings import D1Database, D1PreparedStatement, D1Result, SqlValue
from grove.d1_limits import D1_MAX_BOUND_PARAMETERS
from grove.errors import validation_error
from grove.ids import new_id
from grove.models import AnalyticsEvent, GroveModel
from grove.request_body import parse_model
from grove.tiers import DAY_MS

MAX_EVENTS_PER_REQUEST = 100
# A request body of 100 events with long referrers stays far below this.
MAX_ANALYTICS_BODY_BYTES = 256 * 1024
# Clients send their own ts_ms: older than this is refused, as is "from the future" beyond
# ordinary clock skew.
MAX_EVENT_AGE_MS = 7 * DAY_MS
MAX_CLOCK_SKEW_MS = 10 * 60_000

MAX_SUMMARY_DAYS = 90
TOP_PATHS = 10
VIEW_TYPE = "page_view"

D1_COLUMNS = ("event_id", "tenant", "type", "path", "referrer", "session_id", "ts_ms", "received_at_ms")
_ROWS_PER_STATEMENT = D1_MAX_BOUND_PARAMETERS // len(D1_COLUMNS)
_ROW_PLACEHOLDERS = "(" + ", ".join("?" * len(D1_COLUMNS)) + ")"


EventList = Annotated[list[AnalyticsEvent], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)]
# What ``POST /api/analytics`` takes (for the API document): one event or a list.
EventsBody = AnalyticsEvent | EventList


class EventBatch(GroveModel):
    """The body's events, wrapped in a field. Not a ``RootModel``: importing pydantic's
    root_model loads its plugin machinery (importlib.metadata over every installed package),
    a large share of the app's import time under Pyodide (``bench/pyodide_import.py``)."""

    events: EventList



def parse_events(data: object, now_ms: int) -> list[AnalyticsEvent]:
    """One event (a JSON object) or several (an array); 422 naming the first bad field."""
    body: list[object] | object = data
    if isinstance(data, dict):
        body = [data]
    events = parse_model(EventBatch, {"events": body}, wrapped_in="events").events
    for index, event in enumerate(events):
        if not now_ms - MAX_EVENT_AGE_MS <= event.ts_ms <= now_ms + MAX_CLOCK_SKEW_MS:
            raise validation_error(
                f"{index}.ts_ms", f"{index}.ts_ms: must be within the last 7 days (milliseconds since the epoch)"
            )
    return events


class StoredEvent(TypedDict):
    """An ``AnalyticsEvent`` as the buffer keeps it (JSON in ``analytics_buffer.event``)."""

    type: str
    path: str
    ts_ms: int
    referrer: NotRequired[str | None]
    session_id: NotRequired[str | None]


def buffer_row(event: Mapping[str, object], received_at_ms: int) -> dict[str, SqlValue]:
    """The row TenantDO's ``analytics_buffer`` keeps for an event until D1 has it."""
    return {"id": new_id(), "event": json.dumps(event, separators=(",", ":")), "received_at_ms": received_at_ms}


def _d1_values(tenant: str, row: Mapping[str, SqlValue]) -> list[SqlValue]:
    # ``event`` is a TEXT column written by ``buffer_row``.
    event: StoredEvent = json.loads(str(row["event"]))
    return [
        row["id"], tenant, event["type"], event["path"], event.get("referrer"),
        event.get("session_id"), event["ts_ms"], row["received_at_ms"],
    ]


def insert_statements(
    db: D1Database, tenant: str, rows: list[dict[str, SqlValue]]
) -> list[D1PreparedStatement[None]]:
    """Multi-row inserts of buffered rows, each within D1's parameter limit; duplicates of an
    event already stored are ignored."""
    statements: list[D1PreparedStatement[None]] = []
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        sql = (
            f"INSERT INTO analytics_events ({', '.join(D1_COLUMNS)}) VALUES "
            + ", ".join([_ROW_PLACEHOLDERS] * len(chunk))
            + " ON CONFLICT (event_id) DO NOTHING"
        )
        statements.append(db.prepare(sql).bind(*[v for row in chunk for v in _d1_values(tenant, row)]))
    return statements


async def deliver(db: D1Database, tenant: str, rows: list[dict[str, SqlValue]]) -> None:
    """One D1 ``batch`` (one round trip, all or nothing) for up to 100 buffered events."""
    await db.batch(insert_statements(db, tenant, rows))


def _day_of(ms: int) -> int:
    return ms // DAY_MS


class DayViews(TypedDict):
    day: int
    views: int


class PathViews(TypedDict):
    path: str
    views: int


class DayCount(TypedDict):
    date: str  # ISO date, UTC
    views: int


class Summary(TypedDict):
    """``GET /api/analytics/summary``'s body."""

    days: int
    since_ms: int
    total_views: int
    views_per_day: list[DayCount]
    top_paths: list[PathViews]


async def summary(db: D1Database, tenant: str, *, days: int, now_ms: int) -> Summary:
    """Page views per UTC day (every day of the window, zeros included) and the top paths,
    for the last ``days`` days including today. Events reach D1 within a minute or so of
    being recorded (they are buffered first)."""
    first_day = _day_of(now_ms) - (days - 1)
    since_ms, until_ms = first_day * DAY_MS, (_day_of(now_ms) + 1) * DAY_MS
    window = "tenant = ?1 AND type = ?2 AND ts_ms >= ?3 AND ts_ms < ?4"
    per_day: D1Result[DayViews]
    top: D1Result[PathViews]
    per_day, top = await db.batch([
        db.prepare(
            f"SELECT ts_ms / {DAY_MS} AS day, COUNT(*) AS views FROM analytics_events WHERE {window}"
            " GROUP BY day ORDER BY day"
        ).bind(tenant, VIEW_TYPE, since_ms, until_ms),
        db.prepare(
            f"SELECT path, COUNT(*) AS views FROM analytics_events WHERE {window}"
            " GROUP BY path ORDER BY views DESC, path LIMIT ?5"
        ).bind(tenant, VIEW_TYPE, since_ms, until_ms, TOP_PATHS),
    ])
    counts = {int(row["day"]): int(row["views"]) for row in per_day["results"]}
    views_per_day: list[DayCount] = [
        {"date": dt.datetime.fromtimestamp(day * DAY_MS / 1000, tz=dt.UTC).date().isoformat(), "views": counts.get(day, 0)}
        for day in range(first_day, first_day + days)
    ]
    return {
        "days": days,
        "since_ms": since_ms,
        "total_views": sum(counts.values()),
        "views_per_day": views_per_day,
        "top_paths": [{"path": row["path"], "views": int(row["views"])} for row in top["results"]],
    }
