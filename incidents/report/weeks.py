"""ISO week arithmetic (pure)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_iso_week(value: str) -> tuple[int, int]:
    """Parse '2026-W47' into (2026, 47); raise ValueError with a clear message otherwise."""
    match = _WEEK_RE.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO week like 2026-W47")
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {week}") from None
    return year, week


def week_bounds(year: int, week: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """Start (Monday 00:00) and end (next Monday 00:00) of an ISO week in a time zone."""
    monday = date.fromisocalendar(year, week, 1)
    start = datetime.combine(monday, time.min, tzinfo=tz)
    return start, start + timedelta(days=7)


def iso_week_of(moment: date) -> str:
    """The ISO week label of a date, like '2026-W47'."""
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


def previous_week_of(moment: date) -> str:
    """The ISO week label of the week before the one holding this date."""
    return iso_week_of(moment - timedelta(days=7))


def next_weekly_run(after: datetime, *, tz: tzinfo, weekday: int, hour: int, minute: int = 0) -> datetime:
    """The first moment strictly after `after` that falls on an ISO weekday (1 is Monday) at hour:minute in tz.

    The wall-clock time is kept across daylight-saving changes: 06:00 in Europe/Berlin is 05:00 UTC in
    winter and 04:00 UTC in summer.
    """
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    local = after.astimezone(tz)
    day = local.date() + timedelta(days=(weekday - local.isoweekday()) % 7)
    candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
    if candidate <= after:
        candidate = datetime.combine(day + timedelta(days=7), time(hour, minute), tzinfo=tz)
    return candidate
