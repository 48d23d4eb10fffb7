"""Figures of the weekly report (incidents.report.reporting) and its Markdown (report.markdown): pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidents.report import reporting
from incidents.report.markdown import report_markdown

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
END = START + timedelta(days=7)
T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def test_incident_times_are_minutes_from_the_start_and_none_when_not_reached():
    times = reporting.incident_times(T0, T0 + timedelta(minutes=7), None, T0 + timedelta(hours=2, seconds=30))

    assert times == {"detect": 7.0, "mitigate": None, "resolve": 120.5}


def test_time_summary_gives_nearest_rank_percentiles_over_the_incidents_that_reached_each_step():
    rows = [{"detect": d, "mitigate": None, "resolve": r} for d, r in [(5, 60), (10, None), (15, 90), (40, 300)]]

    summary = reporting.time_summary(rows)

    assert summary["detect"] == {"count": 4, "p50": 10, "p90": 40, "max": 40}
    assert summary["resolve"] == {"count": 3, "p50": 90, "p90": 300, "max": 300}
    assert summary["mitigate"] == {"count": 0, "p50": None, "p90": None, "max": None}


def test_severity_counts_list_every_severity():
    assert reporting.severity_counts(["SEV2", "SEV2", "SEV1"]) == {"SEV1": 1, "SEV2": 2, "SEV3": 0, "SEV4": 0}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (None, "none"),
        ({"summary": "  ", "root_cause": ""}, "none"),
        ({"summary": "Bad deploy", "root_cause": ""}, "started"),
        ({"summary": "Bad deploy", "root_cause": "No canary"}, "written"),
    ],
)
def test_coe_status(texts, expected):
    assert reporting.coe_status(texts) == expected


@pytest.mark.parametrize(
    ("created", "completed", "due", "expected"),
    [
        (START + timedelta(days=1), None, None, ("opened",)),
        (START + timedelta(days=1), START + timedelta(days=2), None, ("opened", "closed")),
        (START - timedelta(days=9), START + timedelta(days=3), date(2026, 11, 10), ("closed",)),
        # Open at the end of the week, due before its end date: overdue.
        (START - timedelta(days=9), None, date(2026, 11, 20), ("overdue",)),
        # Due on the Sunday and still open on Monday 00:00: overdue.
        (START - timedelta(days=9), None, date(2026, 11, 22), ("overdue",)),
        # Due on the Monday after: not yet.
        (START - timedelta(days=9), None, date(2026, 11, 23), ()),
        # Closed after the week ended: it was still open, so overdue for this week.
        (START - timedelta(days=9), END + timedelta(days=1), date(2026, 11, 18), ("overdue",)),
        # Opened after the week: not in it at all.
        (END + timedelta(hours=1), None, date(2026, 11, 18), ()),
    ],
)
def test_action_items_count_as_opened_closed_and_overdue_in_the_week(created, completed, due, expected):
    buckets = reporting.action_buckets(
        created_at=created, completed_at=completed, due_date=due, start=START, end=END, end_date=END.date()
    )

    assert buckets == expected


def test_sign_off_record_adds_the_seconds_and_flags_any_rubber_stamp():
    record = reporting.sign_off_record([{"seconds_spent": 30, "rubber_stamp": True}, {"seconds_spent": 400}])

    assert record == {"seconds": 430, "rubber_stamp": True}


def test_charts_carry_the_figures_they_draw():
    rows = [{"id": 3, "title": "Checkout returns 502", "minutes": {"detect": 7.0, "mitigate": None, "resolve": 90.0}}]

    times = reporting.times_chart(rows).as_dict()
    severity = reporting.severity_chart({"SEV1": 0, "SEV2": 1, "SEV3": 0, "SEV4": 0}).as_dict()

    assert times["x_labels"] == ["#3 Checkout returns 502"]
    assert [s["values"] for s in times["series"]] == [[0.12], [None], [1.5]]
    assert [s["name"] for s in times["series"]] == ["to detect", "to mitigate", "to resolve"]
    assert severity["series"][0]["values"] == [0.0, 1.0, 0.0, 0.0]


SNAPSHOT = {
    "week": "2026-W47",
    "incidents": {
        "count": 1,
        "by_severity": {"SEV1": 0, "SEV2": 1, "SEV3": 0, "SEV4": 0},
        "rows": [
            {
                "id": 3,
                "title": "Checkout | returns 502",
                "severity": "SEV2",
                "status": "Resolved",
                "services": ["checkout"],
                "started_at": "2026-11-17T10:00:00+00:00",
                "minutes": {"detect": 7.0, "mitigate": None, "resolve": 90.0},
                "causes": 1,
                "coe": "written",
            }
        ],
        "times": reporting.time_summary([{"detect": 7.0, "mitigate": None, "resolve": 90.0}]),
    },
    "causes": [
        {
            "incident_id": 3,
            "change": {
                "title": "Retry payment calls",
                "repository": {"name": "acme/shop"},
                "short_sha": "abcdef1234",
                "author": {"display_name": "Ada", "level": 4},
                "author_name": "",
                "ai_assisted": True,
                "ai_evidence": ["Co-authored-by trailer"],
                "approvals": [{"reviewer": {"display_name": "Grace"}, "seconds_spent": 31, "rubber_stamp": True}],
                "required_sign_offs": 1,
                "risk_score": 0.8123,
                "gates": [{"name": "size", "status": "warn"}],
                "seconds": 31,
                "rubber_stamp": True,
            },
        }
    ],
    "actions": {"counts": {"opened": 0, "closed": 0, "overdue": 0}, "opened": [], "closed": [], "overdue": []},
    "insights": {"failure_trend": {"rate": 0.12, "chart": {"title": "CFR", "kind": "line", "x_labels": ["W47"],
                 "series": [{"name": "AI", "values": [0.2]}]}}},
}  # fmt: skip


def test_markdown_has_the_incident_the_causing_change_and_its_review_record():
    text = report_markdown(SNAPSHOT, {"summary": "A *quiet* week."}, {"status": "Final", "revision": "2"})

    assert text.startswith("# Weekly operations report 2026-W47\n")
    assert "Final · revision 2" in text
    assert "## Summary\n\nA *quiet* week." in text
    assert "#3 Checkout \\| returns 502" in text  # a pipe in a title does not break the table
    assert (
        "| Retry payment calls (acme/shop abcdef1234) | Ada (L4) | yes: Co-authored-by trailer | size: warn |" in text
    )
    assert "Grace (31 s) | 31 | Rubber stamp |" in text
    assert "| AI |" in text and "0.2" in text  # an insights chart becomes its table


def test_markdown_narrative_loses_raw_html():
    narrative = {"summary": "Fine <script>alert(1)</script> week <img src=x onerror=alert(2)>"}

    text = report_markdown(SNAPSHOT, narrative, {})

    assert "<script" not in text and "onerror" not in text and "<img" not in text
    assert "Fine" in text and "week" in text


def _pipeline(**rounds: int) -> dict:
    return {
        "headline": {
            "tone": "warn",
            "title": "Sign-offs are not keeping up",
            "details": ["The queue grew from 0 to 26: 103 needed sign-off, 67 signed off."],
            "text": "…",
        },
        "rounds": {"mean": 1.0, "two": 0, "three_plus": 0, "n": 67, **rounds},
        "queue": {},
        "first_review": {},
        "sign_off": {},
    }


def test_markdown_pipeline_leads_with_the_headline_and_says_rounds_as_the_page_does():
    snapshot = {**SNAPSHOT, "insights": {"pipeline": _pipeline()}}
    text = report_markdown(snapshot, {}, {})
    assert "**Sign-offs are not keeping up.** The queue grew from 0 to 26" in text
    assert "- Review rounds: mean 1.0; all 67 signed off in one round" in text
    assert "0 took two" not in text

    text = report_markdown({**SNAPSHOT, "insights": {"pipeline": _pipeline(two=2)}}, {}, {})
    assert "2 took two, 0 three or more, of 67" in text


def test_markdown_says_an_empty_chart_in_one_line():
    empty = {"title": "CFR by size", "kind": "bar", "x_labels": ["small", "large"],
             "series": [{"name": "AI", "values": [None, None]}]}  # fmt: skip
    text = report_markdown({**SNAPSHOT, "insights": {"failure_trend": {"chart": empty}}}, {}, {})
    assert "**CFR by size**: no data for this period." in text
    assert "| small | – |" not in text
