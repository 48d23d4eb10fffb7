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
