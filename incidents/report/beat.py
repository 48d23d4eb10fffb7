"""A Celery beat schedule that fires at a wall-clock time of one weekday in a given time zone.

Celery's crontab reads its fields in the app's time zone (CELERY_TIMEZONE, the portal's TIME_ZONE); the
weekly report belongs to the organisation's own zone, which may differ, and must stay at 06:00 local time
across daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from celery.schedules import BaseSchedule, schedstate

from incidents.report.weeks import next_weekly_run


class WeeklyAt(BaseSchedule):
    """Due once a week at weekday (1 is Monday) hour:minute in the time zone named `zone`."""

    def __init__(self, *, weekday: int, hour: int, minute: int = 0, zone: str = "UTC", nowfun=None, app=None):
        if not 1 <= weekday <= 7 or not 0 <= hour <= 23 or not 0 <= minute <= 59:
            raise ValueError("weekday is 1 to 7, hour 0 to 23, minute 0 to 59")
        self.weekday, self.hour, self.minute, self.zone = weekday, hour, minute, zone
        self.zoneinfo = ZoneInfo(zone)
        super().__init__(nowfun=nowfun or (lambda: datetime.now(UTC)), app=app)

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after a moment."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return next_weekly_run(moment, tz=self.zoneinfo, weekday=self.weekday, hour=self.hour, minute=self.minute)

    def remaining_estimate(self, last_run_at: datetime):
        return self.next_after(last_run_at) - self.now()

    def is_due(self, last_run_at: datetime) -> schedstate:
        now = self.now()
        if now >= self.next_after(last_run_at):
            return schedstate(True, (self.next_after(now) - now).total_seconds())
        return schedstate(False, (self.next_after(last_run_at) - now).total_seconds())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WeeklyAt):
            return (self.weekday, self.hour, self.minute, self.zone) == (
                other.weekday,
                other.hour,
                other.minute,
                other.zone,
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.weekday, self.hour, self.minute, self.zone))

    def __reduce__(self):
        return (_weekly_at, (self.weekday, self.hour, self.minute, self.zone))

    def __repr__(self) -> str:
        return f"<WeeklyAt weekday={self.weekday} {self.hour:02d}:{self.minute:02d} {self.zone}>"


def _weekly_at(weekday: int, hour: int, minute: int, zone: str) -> WeeklyAt:
    return WeeklyAt(weekday=weekday, hour=hour, minute=minute, zone=zone)
