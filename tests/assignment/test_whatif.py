"""The what-if's sums (reviews.whatif): hours per 7-day period, per team and per senior, and the comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assignment.history import ReplayReview
from assignment.whatif import (
    NO_TEAM,
    Reviewer,
    comparison,
    period_label,
    senior_table,
    team_chart,
    team_table,
    week_starts,
    weekly_chart,
    weekly_hours,
)

END = datetime(2026, 11, 25, 12, tzinfo=UTC)
REVIEWERS = [
    Reviewer("a", "Ann", "Payments", 240),  # 4 hours a week
    Reviewer("b", "Bo", "Payments", 120),
    Reviewer("c", "Cy", "Platform", 600),
]


def ago(days: float) -> datetime:
    return END - timedelta(days=days)


# Two weeks: the older week [END-14d, END-7d), the last [END-7d, END).
REVIEWS = [
    ReplayReview(ago(13), "a", 300, 0.0),  # older week, 5 h
    ReplayReview(ago(8), "b", 60, 2.0),  # older week, 1 h
    ReplayReview(ago(2), "a", 240, 4.0),  # last week, 4 h
    ReplayReview(ago(1), "c", 120, 0.0),  # last week, 2 h
    ReplayReview(ago(30), "a", 999, 0.0),  # before the period: not counted per week or team
    ReplayReview(ago(1), "someone", 30, 0.0),  # a reviewer not in the list (top:K stand-in): no team
]


def test_periods_are_whole_weeks_ending_at_the_end():
    assert week_starts(END, 2) == [ago(14), ago(7)]
    with pytest.raises(ValueError):
        week_starts(END, 0)


def test_hours_per_week_count_the_changes_that_arrived_in_it():
    assert weekly_hours(REVIEWS, week_starts(END, 2)) == [6.0, 6.5]


def test_the_end_itself_is_outside_the_last_week():
    assert weekly_hours([ReplayReview(END, "a", 60, 0.0)], week_starts(END, 1)) == [0.0]


def test_team_table_sets_needed_against_capacity_most_loaded_first():
    rows = team_table(REVIEWS, REVIEWERS, week_starts(END, 2))

    assert rows == [
        {
            "team": "Payments",
            "seniors": 2,
            "needed_hours": 10.0,  # 5 + 1 + 4
            "capacity_hours": 12.0,  # (4 + 2) h a week, two weeks
            "utilisation": 83.3,
            "over_hours": -2.0,
            "peak_week_hours": 6.0,
            "weeks_over": 0,
        },
        {
            "team": "Platform",
            "seniors": 1,
            "needed_hours": 2.0,
            "capacity_hours": 20.0,
            "utilisation": 10.0,
            "over_hours": -18.0,
            "peak_week_hours": 2.0,
            "weeks_over": 0,
        },
        {
            "team": NO_TEAM,
            "seniors": 0,
            "needed_hours": 0.5,
            "capacity_hours": 0.0,
            "utilisation": None,
            "over_hours": 0.5,
            "peak_week_hours": 0.5,
            "weeks_over": 1,
        },
    ]


def test_a_team_over_capacity_in_one_week_says_so():
    reviews = [ReplayReview(ago(3), "b", 180, 0.0)]  # 3 h against Bo's 2 h a week

    (payments, _) = team_table(reviews, REVIEWERS, week_starts(END, 2))[:2]

    assert payments["team"] == "Payments" and payments["weeks_over"] == 0  # 3 h < 6 h of the team's week
    solo = team_table(reviews, [REVIEWERS[1]], week_starts(END, 2))
    assert solo[0]["weeks_over"] == 1 and solo[0]["over_hours"] == -1.0 and solo[0]["utilisation"] == 75.0


def test_senior_table_gives_hours_a_week_against_capacity():
    rows = senior_table(REVIEWS, REVIEWERS, weeks=2)

    by_name = {r["name"]: r for r in rows}
    # Ann: 300 + 240 + 999 minutes over the replay = 25.65 h, 12.8 h a week against 4 h.
    assert by_name["Ann"]["reviews"] == 3
    assert by_name["Ann"]["hours"] == 25.6
    assert by_name["Ann"]["hours_per_week"] == 12.8
    assert by_name["Ann"]["utilisation"] == 320.6
    assert by_name["Bo"]["p90_wait_hours"] == 2.0
    assert [r["name"] for r in rows] == ["Ann", "Bo", "Cy"]


def test_comparison_shows_shares_in_percent_and_the_difference():
    chosen = {
        "changes": 12,
        "expertise": 0.5,
        "workload_gini": 0.1234,
        "max_share": 0.4,
        "files_at_risk": 0.25,
        "senior_hours": 10.0,
        "p90_queue_hours": 3.0,
    }
    current = {**chosen, "changes": 8, "senior_hours": 6.5, "expertise": 0.75}

    rows = {r["metric"]: r for r in comparison(chosen, current)}

    assert rows["changes"]["delta"] == 4 and isinstance(rows["changes"]["chosen"], int)
    assert rows["senior_hours"]["delta"] == 3.5
    assert rows["expertise"]["chosen"] == 50.0 and rows["expertise"]["delta"] == -25.0
    assert rows["workload_gini"]["chosen"] == 0.123


def test_charts_carry_capacity_as_a_marker_and_teams_as_pairs_of_bars():
    starts = week_starts(END, 2)
    weekly = weekly_chart(starts, [("Needed under v2", [6.0, 6.5]), ("Needed under v1 (in force)", [3.0, 2.0])], 14.0)
    teams = team_chart(team_table(REVIEWS, REVIEWERS, starts))

    assert weekly.x_labels == (period_label(ago(14)), period_label(ago(7))) == ("11 Nov", "18 Nov")
    assert weekly.markers[0].values == (14.0, 14.0)
    assert [s.name for s in weekly.series] == ["Needed under v2", "Needed under v1 (in force)"]
    assert teams.x_labels == ("Payments", "Platform", NO_TEAM)
    assert teams.series[0].values == (10.0, 2.0, 0.5) and teams.series[1].values == (12.0, 20.0, 0.0)
