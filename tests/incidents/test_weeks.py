"""ISO week arithmetic (incidents.report.weeks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.report.weeks import iso_week_of, parse_iso_week, week_bounds

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-W47", (2026, 47)),
        ("2026-W01", (2026, 1)),
        ("2026-W53", (2026, 53)),  # 2026 starts on a Thursday, so it has 53 ISO weeks
        ("2020-W53", (2020, 53)),
        ("1999-W52", (1999, 52)),
        ("  2026-W47\n", (2026, 47)),
    ],
)
def test_iso_week_is_parsed_into_year_and_week(value, expected):
    assert parse_iso_week(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-W54", "2026 has no week 54"),
        ("2027-W53", "2027 has no week 53"),
        ("2026-W00", "2026 has no week 0"),
        ("2026-W99", "2026 has no week 99"),
        ("0000-W01", "0 has no week 1"),
        ("garbage", "'garbage' is not an ISO week like 2026-W47"),
        ("", "'' is not an ISO week like 2026-W47"),
        ("2026-w47", "is not an ISO week"),
        ("2026W47", "is not an ISO week"),
        ("2026-W7", "is not an ISO week"),
        ("2026-W047", "is not an ISO week"),
        ("26-W47", "is not an ISO week"),
        ("2026-W47-1", "is not an ISO week"),
        ("2026-W47x", "is not an ISO week"),
        ("2026-11-16", "is not an ISO week"),
        ("2026 W47", "is not an ISO week"),
        ("-2026-W47", "is not an ISO week"),
    ],
)
def test_invalid_iso_week_raises_value_error_with_a_clear_message(value, message):
    with pytest.raises(ValueError, match=message):
        parse_iso_week(value)


@settings(max_examples=200)
@given(value=st.text(max_size=20))
def test_parse_iso_week_of_arbitrary_text_returns_a_real_week_or_raises_value_error(value):
    try:
        year, week = parse_iso_week(value)
    except ValueError:
        return
    assert date.fromisocalendar(year, week, 1).isocalendar()[:2] == (year, week)


@settings(max_examples=200)
@given(day=st.dates(min_value=date(1, 1, 8), max_value=date(9999, 12, 24)))
def test_iso_week_label_of_any_date_parses_back_to_the_same_week(day):
    year, week = parse_iso_week(iso_week_of(day))

    monday = date.fromisocalendar(year, week, 1)
    assert monday <= day < monday + timedelta(days=7)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 11, 16), "2026-W47"),
        (date(2026, 11, 22), "2026-W47"),
        (date(2026, 11, 23), "2026-W48"),
        (date(2026, 1, 1), "2026-W01"),
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),
        (date(2021, 1, 3), "2020-W53"),
        (datetime(2026, 11, 18, 23, 59, tzinfo=UTC), "2026-W47"),
    ],
)
def test_iso_week_of_a_date_is_its_label(day, label):
    assert iso_week_of(day) == label


@pytest.mark.parametrize("tz", [UTC, LONDON, NEW_YORK])
def test_week_bounds_run_from_monday_midnight_to_the_next_monday_midnight(tz):
    start, end = week_bounds(2026, 47, tz)

    assert start == datetime(2026, 11, 16, 0, 0, tzinfo=tz)
    assert end == datetime(2026, 11, 23, 0, 0, tzinfo=tz)
    assert start.weekday() == end.weekday() == 0
    assert start.tzinfo is tz
    assert iso_week_of(start.date()) == "2026-W47"
    assert iso_week_of((end - timedelta(microseconds=1)).date()) == "2026-W47"


def test_week_bounds_across_the_spring_clock_change_are_local_midnights_167_hours_apart():
    start, end = week_bounds(2026, 13, LONDON)  # clocks go forward on Sunday 29 March 2026

    assert (start.date(), end.date()) == (date(2026, 3, 23), date(2026, 3, 30))
    assert (start.hour, end.hour) == (0, 0)
    assert start.utcoffset() == timedelta(0)
    assert end.utcoffset() == timedelta(hours=1)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)


def test_week_bounds_across_the_autumn_clock_change_are_local_midnights_169_hours_apart():
    start, end = week_bounds(2026, 43, LONDON)  # clocks go back on Sunday 25 October 2026

    assert (start.date(), end.date()) == (date(2026, 10, 19), date(2026, 10, 26))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=169)


def test_week_bounds_of_the_53rd_week_end_in_the_next_year():
    start, end = week_bounds(2026, 53, UTC)

    assert start == datetime(2026, 12, 28, tzinfo=UTC)
    assert end == datetime(2027, 1, 4, tzinfo=UTC)


def test_consecutive_weeks_share_their_bound():
    _, end_47 = week_bounds(2026, 47, LONDON)
    start_48, _ = week_bounds(2026, 48, LONDON)

    assert end_47 == start_48
