"""Cron expressions as Cloudflare's Cron Triggers accept them, evaluated in UTC.

Grammar and meaning follow the Cron Triggers docs and ``cloudflare/saffron`` (the parser behind
Cron Triggers):

- exactly five fields, ``minute hour day-of-month month day-of-week``, separated by spaces;
- minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or
  SUN-SAT with **1 = Sunday** (Quartz numbering: ``0 17 * * 1`` is Sunday 17:00, ``2-6`` is
  Monday to Friday); names are case-insensitive;
- ``*``, lists ``a,b``, ranges ``a-b`` (a range whose start is after its end wraps around, as in
  Quartz: ``FRI-SUN``), steps ``*/n``, ``a/n``, ``a-b/n`` (n from 1 to the field's span);
  inside a list after the first item a bare ``*`` stands for the field's minimum (saffron);
- day-of-month: ``L`` (last day), ``L-n`` (n days before it), ``LW`` (last weekday), ``L-nW``,
  ``nW`` (weekday nearest day n, never leaving the month); each alone in its field;
- day-of-week: ``L`` alone (Saturday, the last day of the week), ``nL`` (last weekday n of the
  month, e.g. ``6L`` the last Friday), ``n#k`` (k-th weekday n, k 1-5); each alone in its field;
- when both day fields are restricted (neither is a bare ``*``) a day matches if EITHER matches,
  as in Vixie cron and saffron.

``?``, six-field (seconds or years) expressions and ``@daily``-style macros are rejected: the
docs do not list them and saffron does not parse them. Expressions that can never fire (for
example ``0 0 31 2 *``) are rejected too, with a message saying so.
"""

from __future__ import annotations

import bisect
import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime

_MINUTE_MS = 60_000

_MONTH_NAMES = {
    name: index + 1
    for index, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
# Cloudflare numbering: 1 = Sunday ... 7 = Saturday.
_WEEKDAY_NAMES = {
    name: index + 1 for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}

# Day patterns and weekday recurrences repeat every 400 Gregorian years (146,097 days, a whole
# number of weeks): a schedule with no match in that span has none at all.
_SEARCH_MONTHS = 400 * 12 + 1


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _WEEKDAY_NAMES)


@dataclass(frozen=True)
class _DaysOfMonth:
    """Day-of-month rule: a set of days, or one of the L / W forms."""

    kind: str  # "set" | "last" | "last_weekday" | "nearest_weekday"
    days: frozenset[int] = frozenset()
    offset: int = 0  # days before the month's last day, for "last" / "last_weekday"
    day: int = 0  # the target day for "nearest_weekday"

    def matching(self, year: int, month: int) -> set[int]:
        month_days = calendar.monthrange(year, month)[1]
        if self.kind == "set":
            return {d for d in self.days if d <= month_days}
        if self.kind == "last":
            target = month_days - self.offset
            return {target} if target >= 1 else set()
        if self.kind == "last_weekday":
            target = month_days - self.offset
            return {_nearest_weekday(year, month, target, month_days)} if target >= 1 else set()
        if self.day > month_days:
            return set()  # `31W` in a 30-day month: that day does not exist, nothing fires
        return {_nearest_weekday(year, month, self.day, month_days)}


@dataclass(frozen=True)
class _DaysOfWeek:
    """Day-of-week rule in Cloudflare numbering (1 = Sunday): a set, ``nL`` or ``n#k``."""

    kind: str  # "set" | "last" | "nth"
    weekdays: frozenset[int] = frozenset()
    weekday: int = 0
    nth: int = 0

    def matching(self, year: int, month: int) -> set[int]:
        first_weekday, month_days = calendar.monthrange(year, month)
        out: set[int] = set()
        for day in range(1, month_days + 1):
            weekday = _cloudflare_weekday(first_weekday, day)
            if self.kind == "set":
                if weekday in self.weekdays:
                    out.add(day)
            elif weekday == self.weekday:
                if self.kind == "last" and day + 7 > month_days:
                    out.add(day)
                elif self.kind == "nth" and (day - 1) // 7 + 1 == self.nth:
                    out.add(day)
        return out


def _cloudflare_weekday(first_weekday_py: int, day: int) -> int:
    # Python: Monday = 0 ... Sunday = 6. Cloudflare: Sunday = 1 ... Saturday = 7.
    weekday_py = (first_weekday_py + day - 1) % 7
    return (weekday_py + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, month_days: int) -> int:
    """The Monday-Friday day nearest ``day`` without leaving the month (Quartz ``W``)."""
    weekday_py = calendar.weekday(year, month, day)
    if weekday_py == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday_py == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < month_days else day - 2
    return day


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; all times are UTC milliseconds since the Unix epoch."""

    expr: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    days_of_month: _DaysOfMonth | None  # None: a bare `*`
    days_of_week: _DaysOfWeek | None  # None: a bare `*`
    _days_cache: dict[tuple[int, int], tuple[int, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def parse(cls, expr: str) -> CronSchedule:
        if not isinstance(expr, str):
            raise ValueError(f"a cron expression must be a string, got {type(expr).__name__}")
        fields = expr.split()
        if len(fields) != 5:
            raise ValueError(
                f"invalid cron expression {expr!r}: expected 5 fields (minute hour day-of-month "
                f"month day-of-week), got {len(fields)}; Cloudflare has no seconds or year field"
            )
        try:
            minute_f, hour_f, dom_f, month_f, dow_f = fields
            minutes = _parse_plain(minute_f, _MINUTE)
            hours = _parse_plain(hour_f, _HOUR)
            months = _parse_plain(month_f, _MONTH)
            dom = _parse_day_of_month(dom_f)
            dow = _parse_day_of_week(dow_f)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {expr!r}: {exc}") from None
        schedule = cls(
            expr=expr,
            minutes=tuple(sorted(minutes)),
            hours=tuple(sorted(hours)),
            months=frozenset(months),
            days_of_month=dom,
            days_of_week=dow,
        )
        if schedule._next_minute_from(0) is None:
            raise ValueError(f"invalid cron expression {expr!r}: it never matches any date")
        return schedule

    def __str__(self) -> str:
        return self.expr

    # --- queries --------------------------------------------------------------------------

    def matches_ms(self, t_ms: int) -> bool:
        """Whether the UTC minute containing ``t_ms`` is one this schedule fires in."""
        moment = datetime.fromtimestamp((t_ms // _MINUTE_MS) * 60, tz=UTC)
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
            and moment.day in self._days(moment.year, moment.month)
        )

    def next_after_ms(self, t_ms: int) -> int:
        """Start of the first matching minute strictly after ``t_ms``."""
        found = self._next_minute_from(t_ms // _MINUTE_MS + 1)
        if found is None:  # parse() rejects never-matching schedules: only past year 9999
            raise ValueError(f"cron expression {self.expr!r} has no match after {t_ms} ms")
        return found * _MINUTE_MS

    # --- search ---------------------------------------------------------------------------

    def _next_minute_from(self, start_minute: int) -> int | None:
        """First matching minute index (minutes since the epoch) at or after ``start_minute``."""
        start = datetime.fromtimestamp(start_minute * 60, tz=UTC)
        year, month, day = start.year, start.month, start.day
        hour, minute = start.hour, start.minute
        for _ in range(_SEARCH_MONTHS):
            if month in self.months:
                days = self._days(year, month)
                for candidate in days[bisect.bisect_left(days, day) :]:
                    if candidate == day:
                        at = self._first_time_from(hour, minute)
                        if at is None:
                            continue
                    else:
                        at = (self.hours[0], self.minutes[0])
                    moment = datetime(year, month, candidate, at[0], at[1], tzinfo=UTC)
                    return int(moment.timestamp()) // 60
            month, day, hour, minute = month + 1, 1, 0, 0
            if month > 12:
                year, month = year + 1, 1
                if year > 9999:  # past what datetime (and any simulation) can represent
                    return None
        return None

    def _first_time_from(self, hour: int, minute: int) -> tuple[int, int] | None:
        for h in self.hours[bisect.bisect_left(self.hours, hour) :]:
            if h == hour:
                index = bisect.bisect_left(self.minutes, minute)
                if index < len(self.minutes):
                    return h, self.minutes[index]
            else:
                return h, self.minutes[0]
        return None

    def _days(self, year: int, month: int) -> tuple[int, ...]:
        key = (year, month)
        cached = self._days_cache.get(key)
        if cached is not None:
            return cached
        dom, dow = self.days_of_month, self.days_of_week
        month_days = calendar.monthrange(year, month)[1]
        if dom is None and dow is None:
            days = set(range(1, month_days + 1))
        elif dow is None:
            assert dom is not None
            days = dom.matching(year, month)
        elif dom is None:
            days = dow.matching(year, month)
        else:
            days = dom.matching(year, month) | dow.matching(year, month)
        result = tuple(sorted(days))
        if len(self._days_cache) > 2048:  # bounded: long simulations walk many months
            self._days_cache.clear()
        self._days_cache[key] = result
        return result


# --- parsing --------------------------------------------------------------------------------


def _parse_number(token: str, spec: _Field, *, allow_names: bool = True) -> int:
    if token.isdigit() and token.isascii():
        value = int(token)
    elif allow_names and spec.names is not None and token.upper() in spec.names:
        value = spec.names[token.upper()]
    else:
        expected = f"{spec.low}-{spec.high}"
        if spec.names is not None:
            expected += " or " + "-".join([next(iter(spec.names)), list(spec.names)[-1]])
        raise ValueError(f"{spec.name} value {token!r} is not a number in {expected}")
    if not spec.low <= value <= spec.high:
        hint = " (Cloudflare numbers days 1=SUN ... 7=SAT)" if spec is _DAY_OF_WEEK else ""
        raise ValueError(f"{spec.name} value {value} is out of range {spec.low}-{spec.high}{hint}")
    return value


def _parse_step(token: str, spec: _Field) -> int:
    if not (token.isdigit() and token.isascii()):
        raise ValueError(f"{spec.name} step {token!r} is not a number")
    step = int(token)
    span = spec.high - spec.low
    if not 1 <= step <= span:
        raise ValueError(f"{spec.name} step {step} is out of range 1-{span}")
    return step


def _wrapped_range(start: int, end: int, spec: _Field) -> list[int]:
    # Quartz/saffron: a range running past the field's maximum wraps to its minimum.
    if start <= end:
        return list(range(start, end + 1))
    return list(range(start, spec.high + 1)) + list(range(spec.low, end + 1))


def _parse_item(item: str, spec: _Field, *, first: bool) -> set[int]:
    """One list item: a value, a range, or a step; `*` is the whole field (first item only)."""
    if not item:
        raise ValueError(f"empty item in {spec.name} list")
    base, slash, step_token = item.partition("/")
    if "/" in step_token:
        raise ValueError(f"{spec.name} item {item!r} has more than one '/'")
    start_token, dash, end_token = base.partition("-")
    if start_token == "*":
        if dash:
            if first:
                raise ValueError(f"{spec.name} item {item!r}: '*' cannot start a range")
            start = spec.low  # saffron reads a `*` after the first list item as the minimum
        elif slash:
            start = spec.low
        elif first:
            return set(range(spec.low, spec.high + 1))
        else:
            return {spec.low}
        end = spec.high
    else:
        start = _parse_number(start_token, spec)
        end = spec.high if (slash and not dash) else start
    if dash:
        end = _parse_number(end_token, spec)
    values = _wrapped_range(start, end, spec) if (dash or slash) else [start]
    if slash:
        values = values[:: _parse_step(step_token, spec)]
    return set(values)


def _parse_list(text: str, spec: _Field) -> set[int]:
    items = text.split(",")
    if items[0] == "*" and len(items) > 1:
        raise ValueError(f"{spec.name} field {text!r}: a bare '*' cannot be part of a list")
    out: set[int] = set()
    for index, item in enumerate(items):
        out |= _parse_item(item, spec, first=index == 0)
    return out


def _parse_plain(text: str, spec: _Field) -> set[int]:
    # Month names hold letters (JUL has an L), so only digit-only fields are checked for L/W.
    if "#" in text or (spec.names is None and ("L" in text or "W" in text)):
        raise ValueError(f"{spec.name} field {text!r}: L, W and # are only for the day fields")
    if "?" in text:
        raise ValueError(f"{spec.name} field {text!r}: '?' is not supported by Cloudflare")
    return _parse_list(text, spec)


def _parse_day_of_month(text: str) -> _DaysOfMonth | None:
    spec = _DAY_OF_MONTH
    if text == "*":
        return None
    if "?" in text:
        raise ValueError(f"{spec.name} field {text!r}: '?' is not supported by Cloudflare")
    if text.startswith("L"):
        rest = text[1:]
        weekday = rest.endswith("W")
        if weekday:
            rest = rest[:-1]
        offset = 0
        if rest:
            if not (rest.startswith("-") and rest[1:].isdigit() and rest[1:].isascii()):
                raise ValueError(f"{spec.name} field {text!r}: expected L, LW, L-n or L-nW")
            offset = int(rest[1:])
            if not 1 <= offset <= 30:
                raise ValueError(f"{spec.name} field {text!r}: the L offset must be 1-30")
        return _DaysOfMonth("last_weekday" if weekday else "last", offset=offset)
    if text.endswith("W"):
        day = _parse_number(text[:-1], spec)
        return _DaysOfMonth("nearest_weekday", day=day)
    if "L" in text or "W" in text or "#" in text:
        raise ValueError(f"{spec.name} field {text!r}: L and W must stand alone (L, L-3, 15W)")
    return _DaysOfMonth("set", days=frozenset(_parse_list(text, spec)))


def _parse_day_of_week(text: str) -> _DaysOfWeek | None:
    spec = _DAY_OF_WEEK
    if text == "*":
        return None
    if "?" in text:
        raise ValueError(f"{spec.name} field {text!r}: '?' is not supported by Cloudflare")
    if text == "L":
        return _DaysOfWeek("set", weekdays=frozenset({7}))  # saffron: Saturday
    if "#" in text:
        day_token, _, nth_token = text.partition("#")
        weekday = _parse_number(day_token, spec)
        if not (nth_token.isdigit() and nth_token.isascii() and 1 <= int(nth_token) <= 5):
            raise ValueError(f"{spec.name} field {text!r}: the # ordinal must be 1-5")
        return _DaysOfWeek("nth", weekday=weekday, nth=int(nth_token))
    if text.endswith("L") and len(text) > 1:
        return _DaysOfWeek("last", weekday=_parse_number(text[:-1], spec))
    if "L" in text:
        raise ValueError(f"{spec.name} field {text!r}: L must stand alone (L, 6L, FRIL)")
    return _DaysOfWeek("set", weekdays=frozenset(_parse_list(text, spec)))
