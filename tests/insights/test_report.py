import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string

from insights.report import pick_team, report_sections
from reviews.models import Repository, Team
from tests.insights.builders import W47, W48, change, confirm, verdict

H = timedelta(hours=1)


@pytest.fixture
def week(db, team, make_engineer):
    """One week of hand-built history in team's repository; the answers are worked out in the tests."""
    repo = Repository.objects.create(name="acme/shop", clone_url="/nowhere")
    senior = make_engineer(6, weekly_capacity_minutes=240)
    author = make_engineer(4)
    common = {"author": author, "review_minutes": 60}
    c1 = change(repo, opened=W47 + H, merged=W47 + 24 * H, deployed=W47 + 25 * H, ai=True, **common)
    c2 = change(repo, opened=W47 + H, merged=W47 + 48 * H, deployed=W47 + 49 * H, ai=True, **common)
    c3 = change(repo, opened=W47 + 2 * H, merged=W47 + 30 * H, deployed=W47 + 31 * H, **common)
    c4 = change(repo, opened=W47 + 3 * H, merged=W47 + 72 * H, ai=True, **common)
    c5 = change(repo, opened=W47 + 96 * H, **common)
    verdict(c1, senior, W47 + 2 * H, verdict="request_changes", head_sha="a" * 40)
    verdict(c1, senior, W47 + 5 * H)
    verdict(c2, senior, W47 + 9 * H)
    verdict(c3, senior, W47 + 4 * H, rubber_stamp=True)
    confirm(c1, W47 + 26 * H)
    confirm(c2, W47 + 50 * H, state="suspected")
    return {"repo": repo, "senior": senior, "changes": (c1, c2, c3, c4, c5)}


def test_failure_trend_counts_only_confirmed_causes_and_hides_small_rates(week):
    sections = report_sections(start=W47, end=W48, seed="2026-W47")
    trend = sections["failure_trend"]
    assert len(trend["weeks"]) == 13
    assert trend["weeks"][-1]["label"] == "2026-W47"
    this = trend["this_week"]
    assert (this["ai"]["k"], this["ai"]["n"]) == (1, 2)
    assert (this["other"]["k"], this["other"]["n"]) == (0, 1)
    assert this["ai"]["enough"] is False and this["ai"]["value"] is None
    assert all(w["ai"]["n"] == 0 for w in trend["weeks"][:-1])
    assert trend["chart"]["series"][0]["values"][-1] is None


def test_pipeline_flow_capacity_latency_queue_and_rounds(week):
    p = report_sections(start=W47, end=W48, seed="2026-W47")["pipeline"]
    (w,) = p["weeks"]
    assert (w["inflow"], w["inflow_minutes"], w["signoffs"], w["capacity_minutes"]) == (5, 300, 3, 240)
    assert (w["over_minutes"], w["over_pct"]) == (60, 25)
    assert p["over_capacity"] == [{"label": "2026-W47", "over_minutes": 60, "over_pct": 25}]
    # First verdicts after 1, 8 and 2 hours; approvals after 4, 8 and 2 hours (nearest rank).
    assert (p["first_review"]["n"], p["first_review"]["p50"], p["first_review"]["p90"]) == (3, 2.0, 8.0)
    assert (p["sign_off"]["n"], p["sign_off"]["p50"], p["sign_off"]["p90"]) == (3, 4.0, 8.0)
    assert p["queue"]["depth"] == 1  # c5; c4 merged without a sign-off, so it left the queue
    assert p["rounds"] == {"n": 3, "one": 2, "two": 1, "three_plus": 0, "mean": 1.33}
    team_row = p["senior_load"]["teams"][0]
    assert (team_row["load_minutes"], team_row["capacity_minutes"], team_row["load_pct"]) == (240, 240, 100)
    assert p["senior_load"]["people"] == []


def test_team_of_the_week_is_seeded_and_filtered(week, team):
    Team.objects.create(name="Zeta", slug="zeta")
    picks = {pick_team(f"2026-W{n:02d}").slug for n in range(1, 30)}
    assert picks == {team.slug, "zeta"}
    assert pick_team("2026-W47") == pick_team("2026-W47")
    sections = report_sections(start=W47, end=W48, seed="2026-W47")
    picked = pick_team("2026-W47")
    assert sections["team"]["name"] == picked.name
    expected = 5 if picked == team else 0
    assert sections["team"]["pipeline"]["inflow_total"] == expected
    assert set(sections["team"]) >= {"pipeline", "seniors", "quality", "knowledge"}


def test_snapshot_is_json_and_renders_without_the_database(week, django_assert_num_queries):
    sections = report_sections(start=W47, end=W48, seed="2026-W47")
    frozen = json.loads(json.dumps(sections))
    assert frozen == sections
    with django_assert_num_queries(0):
        html = render_to_string("insights/_report_sections.html", {"sections": frozen})
    assert "<svg " in html and "Table view" in html
    assert 'href="/dashboards/changes/?metric=failed' in html
    assert "Inflow exceeds senior capacity" in html
    assert "not enough data" in html
    assert "format=csv" not in html
    assert "{'" not in html and "[{" not in html  # no raw dicts or lists leak into the page


def test_report_sections_on_an_empty_organisation(db):
    sections = report_sections(start=W47, end=W48, seed="2026-W47")
    assert sections["team"] is None
    assert sections["pipeline"]["queue"]["depth"] == 0
    assert sections["pipeline"]["first_review"] == {**sections["pipeline"]["first_review"], "n": 0, "p50": None}
    render_to_string("insights/_report_sections.html", {"sections": json.loads(json.dumps(sections))})


def test_pipeline_charts_keep_one_unit_per_axis_and_draw_capacity_as_a_line(week):
    from insights.selectors.pipeline import pipeline_section
    from insights.selectors.scope import Scope
    from portal.charts import Chart, render_svg

    p = pipeline_section(Scope(start=W47 - timedelta(days=7), end=W48))
    hours, depth, wait = (Chart.from_dict(p[k]) for k in ("chart_hours", "chart_depth", "chart_wait"))
    assert "chart_queue" not in p  # queue depth (changes) and oldest wait (days) no longer share an axis
    assert (depth.y_title, depth.unit, wait.y_title, wait.unit) == ("changes", "", "days", "d")
    assert hours.kind == "line" and [m.name for m in hours.markers] == ["capacity"]
    assert 'class="rect' not in render_svg(hours)  # capacity is a line, not a bar
    # The queue at the start of the period is recorded, and the headline reads it.
    assert p["queue"]["start_depth"] == 0 and p["headline"]["title"]
    html = render_to_string("insights/_pipeline.html", {"p": json.loads(json.dumps(p))})
    assert html.count('<figure class="chart">') == 4
    assert "Changes in the queue at the end of each week" in html and "Oldest wait in the queue" in html


def test_failure_rate_charts_carry_the_intervals_of_their_tables(week):
    from portal.charts import Chart, render_svg

    sections = report_sections(start=W47, end=W48, seed="2026-W47")
    trend = sections["failure_trend"]
    chart = Chart.from_dict(trend["chart"])
    ai = chart.series[0]
    for week_row, value, interval in zip(trend["weeks"], ai.values, ai.intervals, strict=True):
        rate = week_row["ai"]
        assert (value is None) == (not rate["enough"])
        if rate["enough"]:
            assert interval == (round(100 * rate["low"], 1), round(100 * rate["high"], 1))
    drawn = sum(1 for s in chart.series for v in s.values if v is not None)
    assert render_svg(chart).count('class="ci"') == drawn
