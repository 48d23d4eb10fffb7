"""When an outgoing message may leave: after a burst settles, outside quiet hours, at the digest hour.

Pure: `now`, the person's zone and hours come in; a UTC datetime goes out.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    """Whether a local time of day falls in [start, end); a span may cross midnight (22:00 to 07:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _after_quiet(moment: datetime, zone: ZoneInfo, start: time | None, end: time | None) -> datetime:
    local = moment.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return moment
    assert end is not None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    # Built on the wall clock and resolved by the zone, so a daylight-saving change keeps the hour people chose.
    return datetime.combine(day, end, tzinfo=zone)


def send_at(
    *,
    now: datetime,
    mode: str,
    zone: ZoneInfo,
    quiet_start: time | None,
    quiet_end: time | None,
    digest_hour: int,
    burst_seconds: int,
) -> datetime:
    """When a message started now may be sent: instant ones after the burst window, digests at the next digest
    hour; either moved to the end of the person's quiet hours."""
    if mode == "digest":
        local = now.astimezone(zone)
        at = datetime.combine(local.date(), time(hour=digest_hour), tzinfo=zone)
        if at <= local:
            at = datetime.combine(local.date() + timedelta(days=1), time(hour=digest_hour), tzinfo=zone)
    else:
        at = now + timedelta(seconds=burst_seconds)
    return _after_quiet(at, zone, quiet_start, quiet_end).astimezone(ZoneInfo("UTC"))


def backoff_seconds(attempts: int, *, base: int, cap: int) -> int:
    """Wait before the next try after `attempts` failures: doubling from base, at most cap."""
    return min(cap, base * 2 ** max(0, attempts - 1))
