"""The weekly report's beat schedule (incidents.report.beat, report.weeks.next_weekly_run): Monday 06:00 local."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from incidents.report.beat import WeeklyAt
from incidents.report.weeks import next_weekly_run, previous_week_of

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # Wednesday: next Monday 06:00 Berlin, winter time (UTC+1).
        (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), BERLIN, datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),
        # Monday 05:59 Berlin: later the same morning.
        (datetime(2026, 11, 30, 4, 59, tzinfo=UTC), BERLIN, datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),
        # Monday 06:00 Berlin exactly: strictly after, so a week later.
        (datetime(2026, 11, 30, 5, 0, tzinfo=UTC), BERLIN, datetime(2026, 12, 7, 5, 0, tzinfo=UTC)),
        # Summer time (UTC+2): 06:00 Berlin is 04:00 UTC.
        (datetime(2026, 7, 1, 0, 0, tzinfo=UTC), BERLIN, datetime(2026, 7, 6, 4, 0, tzinfo=UTC)),
        # Across the spring change (29 March 2026): the Monday after keeps 06:00 local.
        (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), BERLIN, datetime(2026, 3, 30, 4, 0, tzinfo=UTC)),
        # Sunday evening in New York is already Monday in UTC; the run is Monday 06:00 New York (11:00 UTC).
        (datetime(2026, 11, 30, 2, 0, tzinfo=UTC), NEW_YORK, datetime(2026, 11, 30, 11, 0, tzinfo=UTC)),
    ],
)
def test_next_run_is_monday_six_in_the_organisations_zone(now, tz, expected):
    assert next_weekly_run(now, tz=tz, weekday=1, hour=6) == expected


def test_next_run_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"):
        next_weekly_run(datetime(2026, 11, 25, 12, 0), tz=BERLIN, weekday=1, hour=6)


def test_schedule_is_not_due_before_monday_and_says_how_long_to_wait():
    now = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin
    schedule = WeeklyAt(weekday=1, hour=6, zone="Europe/Berlin", nowfun=lambda: now)

    due, wait = schedule.is_due(last_run_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))

    assert not due
    assert wait == timedelta(hours=6).total_seconds()


def test_schedule_is_due_on_monday_morning_and_next_waits_a_week():
    now = datetime(2026, 11, 30, 5, 0, 30, tzinfo=UTC)  # 06:00:30 Berlin
    schedule = WeeklyAt(weekday=1, hour=6, zone="Europe/Berlin", nowfun=lambda: now)

    due, wait = schedule.is_due(last_run_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC))

    assert due
    assert wait == timedelta(days=7).total_seconds() - 30


def test_schedule_that_missed_its_time_runs_once_at_once():
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # beat was down over Monday
    schedule = WeeklyAt(weekday=1, hour=6, zone="Europe/Berlin", nowfun=lambda: now)

    assert schedule.is_due(last_run_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC)).is_due
    assert not schedule.is_due(last_run_at=now).is_due


def test_schedule_survives_the_beat_shelf_and_compares_by_its_fields():
    schedule = WeeklyAt(weekday=1, hour=6, zone="Europe/Berlin")

    copy = pickle.loads(pickle.dumps(schedule))  # noqa: S301 - our own object, as beat stores it

    assert copy == schedule
    assert copy != WeeklyAt(weekday=1, hour=7, zone="Europe/Berlin")


@pytest.mark.parametrize(("weekday", "hour"), [(0, 6), (8, 6), (1, 24), (1, -1)])
def test_schedule_refuses_an_impossible_time(weekday, hour):
    with pytest.raises(ValueError):
        WeeklyAt(weekday=weekday, hour=hour)


def test_beat_drafts_the_report_on_monday_at_six_in_the_configured_zone():
    entry = settings.CELERY_BEAT_SCHEDULE["incidents.weekly_report_draft"]

    assert entry["task"] == "incidents.weekly_report_draft"
    assert entry["schedule"] == WeeklyAt(weekday=1, hour=6, zone=settings.PORTAL_REPORT_TIME_ZONE)


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2026-11-30", "2026-W48"), ("2026-11-23", "2026-W47"), ("2026-01-05", "2026-W01"), ("2026-01-04", "2025-W52")],
)
def test_previous_week_is_the_week_before_the_day(day, expected):
    from datetime import date

    assert previous_week_of(date.fromisoformat(day)) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORTAL_REPORT_TIME_ZONE", "Mars/Olympus_Mons"), ("PORTAL_REPORT_WEEKDAY", "8"), ("PORTAL_REPORT_HOUR", "24")],
)
def test_a_bad_report_schedule_stops_start_up_with_a_message(name, value):
    import os
    import subprocess
    import sys

    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "PORTAL_REPORT_TIME_ZONE must name an IANA zone" in result.stderr
