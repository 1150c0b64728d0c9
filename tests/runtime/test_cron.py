"""Cron expressions as Cloudflare's Cron Triggers read them (UTC, 1 = Sunday, L/W/#)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from local_runtime.cron import CronSchedule

MINUTE_MS = 60_000


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


def iso(t_ms: int) -> str:
    return datetime.fromtimestamp(t_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M %a")


def upcoming(expr: str, after_ms: int, count: int) -> list[str]:
    schedule = CronSchedule.parse(expr)
    out: list[str] = []
    t = after_ms
    for _ in range(count):
        t = schedule.next_after_ms(t)
        assert schedule.matches_ms(t)
        out.append(iso(t))
    return out


# --- basic fields ---------------------------------------------------------------------------


def test_every_minute_is_strictly_after():
    schedule = CronSchedule.parse("* * * * *")
    on_boundary = ms(2026, 1, 1, 12, 0)
    assert schedule.next_after_ms(on_boundary) == on_boundary + MINUTE_MS
    assert schedule.next_after_ms(on_boundary + 30_000) == on_boundary + MINUTE_MS
    assert schedule.next_after_ms(on_boundary - 1) == on_boundary
    assert schedule.matches_ms(on_boundary + 59_999)


def test_every_fifteen_minutes():
    assert upcoming("*/15 * * * *", ms(2026, 1, 1, 23, 7), 4) == [
        "2026-01-01 23:15 Thu",
        "2026-01-01 23:30 Thu",
        "2026-01-01 23:45 Thu",
        "2026-01-02 00:00 Fri",
    ]
    schedule = CronSchedule.parse("*/15 * * * *")
    assert schedule.matches_ms(ms(2026, 1, 1, 5, 45))
    assert not schedule.matches_ms(ms(2026, 1, 1, 5, 46))


def test_daily_at_three():
    schedule = CronSchedule.parse("0 3 * * *")
    assert schedule.next_after_ms(ms(2026, 3, 10, 2, 59, 59)) == ms(2026, 3, 10, 3, 0)
    assert schedule.next_after_ms(ms(2026, 3, 10, 3, 0)) == ms(2026, 3, 11, 3, 0)
    # Across a year end.
    assert schedule.next_after_ms(ms(2026, 12, 31, 4, 0)) == ms(2027, 1, 1, 3, 0)


def test_lists_ranges_and_steps_in_time_fields():
    assert CronSchedule.parse("5,10-12,50/5 * * * *").minutes == (5, 10, 11, 12, 50, 55)
    assert CronSchedule.parse("0 9-17/4 * * *").hours == (9, 13, 17)
    # A range that runs past the maximum wraps around (Quartz, saffron).
    assert CronSchedule.parse("0 22-2 * * *").hours == (0, 1, 2, 22, 23)


def test_monthly_across_month_ends():
    assert upcoming("0 0 1 * *", ms(2026, 1, 31, 23, 59), 13) == [
        f"{d}" for d in [
            "2026-02-01 00:00 Sun", "2026-03-01 00:00 Sun", "2026-04-01 00:00 Wed",
            "2026-05-01 00:00 Fri", "2026-06-01 00:00 Mon", "2026-07-01 00:00 Wed",
            "2026-08-01 00:00 Sat", "2026-09-01 00:00 Tue", "2026-10-01 00:00 Thu",
            "2026-11-01 00:00 Sun", "2026-12-01 00:00 Tue", "2027-01-01 00:00 Fri",
            "2027-02-01 00:00 Mon",
        ]
    ]  # fmt: skip


def test_leap_day():
    assert upcoming("0 0 29 2 *", ms(2026, 1, 1), 3) == [
        "2028-02-29 00:00 Tue",
        "2032-02-29 00:00 Sun",
        "2036-02-29 00:00 Fri",
    ]
    # 2100 is not a leap year: the next one after 2096 is 2104.
    assert upcoming("0 0 29 2 *", ms(2097, 1, 1), 1) == ["2104-02-29 00:00 Fri"]
    # The 31st only fires in 31-day months.
    assert upcoming("30 6 31 * *", ms(2026, 1, 31, 7), 3) == [
        "2026-03-31 06:30 Tue",
        "2026-05-31 06:30 Sun",
        "2026-07-31 06:30 Fri",
    ]


# --- day-of-week: Cloudflare numbers 1 = Sunday ---------------------------------------------


def test_day_of_week_one_is_sunday():
    # Docs: `0 17 * * sun` or `0 17 * * 1` is 17:00 on Sunday.
    sunday = upcoming("0 17 * * 1", ms(2026, 1, 1), 2)
    assert sunday == ["2026-01-04 17:00 Sun", "2026-01-11 17:00 Sun"]
    assert upcoming("0 17 * * sun", ms(2026, 1, 1), 2) == sunday
    assert upcoming("0 17 * * 7", ms(2026, 1, 1), 1) == ["2026-01-03 17:00 Sat"]


def test_day_of_week_lists_ranges_and_names():
    weekdays = upcoming("10 7 * * mon-fri", ms(2026, 1, 1, 8), 5)
    assert weekdays == [
        "2026-01-02 07:10 Fri",
        "2026-01-05 07:10 Mon",
        "2026-01-06 07:10 Tue",
        "2026-01-07 07:10 Wed",
        "2026-01-08 07:10 Thu",
    ]
    assert upcoming("10 7 * * 2-6", ms(2026, 1, 1, 8), 5) == weekdays
    mwf = upcoming("0 9 * * MON,Wed,fri", ms(2026, 1, 1), 4)
    assert mwf == [
        "2026-01-02 09:00 Fri",
        "2026-01-05 09:00 Mon",
        "2026-01-07 09:00 Wed",
        "2026-01-09 09:00 Fri",
    ]
    assert upcoming("0 9 * * 2,4,6", ms(2026, 1, 1), 4) == mwf
    # FRI-SUN wraps over the end of the week.
    assert upcoming("0 0 * * FRI-SUN", ms(2026, 1, 1), 4) == [
        "2026-01-02 00:00 Fri",
        "2026-01-03 00:00 Sat",
        "2026-01-04 00:00 Sun",
        "2026-01-09 00:00 Fri",
    ]


def test_month_names():
    assert upcoming("0 0 1 jan,JUL *", ms(2026, 1, 1), 3) == [
        "2026-07-01 00:00 Wed",
        "2027-01-01 00:00 Fri",
        "2027-07-01 00:00 Thu",
    ]
    assert CronSchedule.parse("0 0 1 NOV-FEB *").months == frozenset({11, 12, 1, 2})


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    # Vixie/saffron: the 13th OR any Friday.
    assert upcoming("0 0 13 * FRI", ms(2026, 1, 1), 4) == [
        "2026-01-02 00:00 Fri",
        "2026-01-09 00:00 Fri",
        "2026-01-13 00:00 Tue",
        "2026-01-16 00:00 Fri",
    ]


# --- L, W, # ---------------------------------------------------------------------------------


def test_last_day_of_month():
    assert upcoming("0 12 L * *", ms(2028, 1, 15), 4) == [
        "2028-01-31 12:00 Mon",
        "2028-02-29 12:00 Tue",
        "2028-03-31 12:00 Fri",
        "2028-04-30 12:00 Sun",
    ]
    assert upcoming("0 12 L-2 * *", ms(2026, 2, 1), 2) == [
        "2026-02-26 12:00 Thu",
        "2026-03-29 12:00 Sun",
    ]


def test_last_weekday_and_nearest_weekday():
    # Docs: `59 23 LW * *` is 23:59 on the last weekday of the month.
    assert upcoming("59 23 LW * *", ms(2026, 1, 1), 3) == [
        "2026-01-30 23:59 Fri",  # the 31st is a Saturday
        "2026-02-27 23:59 Fri",  # the 28th is a Saturday
        "2026-03-31 23:59 Tue",
    ]
    # 15W: the weekday nearest the 15th (Feb 15 2026 is a Sunday -> Monday 16th).
    assert upcoming("0 0 15W * *", ms(2026, 1, 20), 2) == [
        "2026-02-16 00:00 Mon",
        "2026-03-16 00:00 Mon",
    ]
    # 1W never leaves the month: Aug 1 2026 is a Saturday -> Monday 3rd, not Friday 31 July.
    assert upcoming("0 0 1W * *", ms(2026, 7, 15), 1) == ["2026-08-03 00:00 Mon"]


def test_last_and_nth_weekday_of_month():
    # Docs: `0 18 * * 6L` or `friL` is 18:00 on the last Friday of the month.
    last_friday = upcoming("0 18 * * 6L", ms(2026, 1, 1), 3)
    assert last_friday == ["2026-01-30 18:00 Fri", "2026-02-27 18:00 Fri", "2026-03-27 18:00 Fri"]
    assert upcoming("0 18 * * friL", ms(2026, 1, 1), 3) == last_friday
    # 5#2: the second Thursday.
    assert upcoming("0 8 * * 5#2", ms(2026, 1, 1), 2) == [
        "2026-01-08 08:00 Thu",
        "2026-02-12 08:00 Thu",
    ]
    # L alone in day-of-week is Saturday (the last day of the week), as saffron reads it.
    assert upcoming("0 0 * * L", ms(2026, 1, 1), 1) == ["2026-01-03 00:00 Sat"]


# --- invalid expressions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("61 * * * *", "minute value 61 is out of range 0-59"),
        ("0 24 * * *", "hour value 24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month value 0 is out of range 1-31"),
        ("0 0 * 13 *", "month value 13 is out of range 1-12"),
        ("0 0 * * 0", "1=SUN"),
        ("0 0 * * 8", "day-of-week value 8 is out of range 1-7"),
        ("0 0 0 * * *", "expected 5 fields"),
        ("* * * *", "expected 5 fields"),
        ("garbage", "expected 5 fields"),
        ("", "expected 5 fields"),
        ("@daily", "expected 5 fields"),
        ("a b c d e", "minute value 'a' is not a number"),
        ("*/0 * * * *", "minute step 0 is out of range"),
        ("*/60 * * * *", "minute step 60 is out of range"),
        ("0 0 ? * MON", "'?' is not supported"),
        ("*,5 * * * *", "bare '\\*' cannot be part of a list"),
        ("5,,6 * * * *", "empty item"),
        ("L * * * *", "only for the day fields"),
        ("0 0 * * MONDAY", "not a number in 1-7 or SUN-SAT"),
        ("0 0 * * 5#6", "ordinal must be 1-5"),
        ("0 0 L-31 * *", "offset must be 1-30"),
        ("0 0 1,L * *", "must stand alone"),
        ("0 0 31 2 *", "never matches"),
    ],
)
def test_invalid_expressions_are_rejected_with_a_reason(expr, reason):
    with pytest.raises(ValueError, match=reason):
        CronSchedule.parse(expr)


# --- consistency and speed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "*/7 * * * *",
        "0 */5 * * *",
        "15 10 L * *",
        "0 0 * * 6L",
        "30 2 1,15 * MON",
        "0 12 15W * *",
        "0 0 * * 2#1",
    ],
)
def test_next_after_agrees_with_a_minute_by_minute_scan(expr):
    schedule = CronSchedule.parse(expr)
    t = ms(2026, 2, 20, 13, 37, 12)
    for _ in range(3):
        scan = (t // MINUTE_MS + 1) * MINUTE_MS
        while not schedule.matches_ms(scan):
            scan += MINUTE_MS
        assert schedule.next_after_ms(t) == scan, iso(scan)
        t = scan


def test_thousands_of_next_times_are_fast():
    schedule = CronSchedule.parse("0 18 * * 6L")
    t = ms(2026, 1, 1)
    started = time.perf_counter()
    for _ in range(5000):
        t = schedule.next_after_ms(t)
    assert time.perf_counter() - started < 2.0
    assert iso(t).endswith("18:00 Fri")
