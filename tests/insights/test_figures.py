"""Day figures: the dashboards read from them exactly what they would compute from the facts."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights.models import DayFigure
from insights.selectors import daily, pipeline, quality, seniors
from insights.selectors.scope import Scope, local_date, local_midnight
from insights.selectors.sql import hour_percentiles
from insights.services import facts_refresh
from insights.services.figures import day_figures_refresh, hour_hundredths
from reviews.models import Change, Repository, Review, Service, Team
from tests.insights.builders import change, confirm, verdict

H = timedelta(hours=1)
S = timedelta(seconds=1)
ZONE = "Europe/Paris"  # an hour or two off UTC, so a UTC day and a local day differ


@pytest.fixture
def zone(settings):
    settings.TIME_ZONE = ZONE


def _local(day: int, hour: float = 0) -> datetime:
    """Local midnight of 2026-11-<day> plus hours, as an aware datetime."""
    return local_midnight(datetime(2026, 11, day, tzinfo=UTC).date()) + timedelta(hours=hour)


@pytest.fixture
def org(db, zone, make_engineer):
    """Two teams and a team-less author, two repositories, a service owned by one team, two weeks of history with
    empty days, verdicts either side of local midnight, durations on the hundredths' halves, every verdict kind."""
    red, blue = Team.objects.create(name="Red", slug="red"), Team.objects.create(name="Blue", slug="blue")
    shop = Repository.objects.create(name="acme/shop", clone_url="/nowhere")
    docs = Repository.objects.create(name="acme/docs", clone_url="/nowhere")
    Service.objects.create(name="core", repository=shop, path_prefixes=["src/"], team=red)
    authors = [make_engineer(4, team=red), make_engineer(4, team=blue), make_engineer(4, team=None)]
    reviewers = [make_engineer(6, team=red), make_engineer(7, team=blue), make_engineer(6, team=red)]
    rng = random.Random(20)
    # 54 s is 0.015 h, which rounds down (binary value); 450 s is 0.125 h, a true half (to even: 0.12).
    waits = [54 * S, 450 * S, 18 * S, 3 * H + 54 * S, 59 * 60 * S, 2 * H, 30 * H + 7 * S]
    for i in range(60):
        day = 2 + (i % 14)
        if day in (7, 8):  # an empty weekend
            continue
        # Opened just before or after local midnight (23:59:30 and 00:00:30), or mid-day.
        opened = _local(day, [-0.5 / 60, 0.5 / 60, 10.25][i % 3])
        c = change(
            [shop, docs][i % 2],
            author=authors[i % 3],
            opened=opened,
            merged=opened + 8 * H if i % 5 else None,
            deployed=opened + 9 * H if i % 5 and i % 4 else None,
            ai=i % 3 == 0,
            lines=[5, 150, 700][i % 3],
            needs=0 if i % 11 == 0 else 1,
            review_minutes=10 + i,
            ai_undeclared=i % 6 == 0,
            requires_owner=i % 4 == 0,
            owner_paths=["src/a.py"] if i % 4 == 0 else [],
            **({"state": Change.State.CLOSED} if i % 10 == 0 else {}),  # never merged, closed
        )
        if i % 7 == 0:
            continue  # never reviewed
        first = opened + waits[i % len(waits)]
        who = reviewers[i % 3]
        if i % 2:
            verdict(c, who, first, verdict="request_changes", head_sha="a" * 40, seconds=rng.randint(30, 900))
            verdict(c, reviewers[(i + 1) % 3], first + 2 * H, verdict="comment")
        approval = first + (3 * H if i % 2 else 0 * H)
        verdict(
            c,
            who,
            approval,
            seconds=rng.randint(5, 900),
            rubber_stamp=i % 4 == 1,
            source=[Review.Source.PORTAL, Review.Source.HOST, Review.Source.HISTORY][i % 3],
            dismissed_at=approval + H if i % 9 == 0 else None,
        )
        if i % 6 == 1:
            verdict(c, reviewers[(i + 2) % 3], approval - 30 * H)  # before the change was opened (imported)
        if i % 8 == 3:
            confirm(c, opened + 20 * H)
    facts_refresh()
    return {"red": red, "blue": blue, "shop": shop, "docs": docs, "reviewers": reviewers, "authors": authors}


def _scopes(org) -> list[Scope]:
    start, end = _local(1), _local(20)
    return [
        Scope(start, end),
        Scope(_local(3), _local(10)),
        Scope(start, end, team_id=org["red"].pk),
        Scope(start, end, repository_id=org["shop"].pk),
        Scope(_local(4), _local(12), team_id=org["blue"].pk, repository_id=org["docs"].pk),
        Scope(_local(9), _local(10)),  # a single day
        Scope(_local(2), _local(16)),  # two whole ISO weeks
        Scope(_local(4), _local(17), repository_id=org["docs"].pk),  # a whole week and days either side
        Scope(_local(7), _local(9)),  # the empty weekend
        Scope(start + 5 * H, end),  # not whole days: read from the facts either way
    ]


def _sections(scope: Scope) -> dict:
    return {
        "pipeline": pipeline.pipeline_section(scope),
        "seniors": seniors.seniors_section(scope, per_person=True),
        "quality": quality.quality_section(scope),
        "trend": quality.failure_trend(scope, weeks=4),
    }


def _of_facts(scope: Scope) -> dict:
    with mock.patch.object(daily, "has_figures", return_value=False):
        return _sections(scope)


def test_dashboards_read_from_day_figures_what_the_facts_give(org):
    for scope in _scopes(org):
        assert _sections(scope) == _of_facts(scope)


def test_whole_days_of_one_grain_are_read_from_the_figures(org):
    whole, part = _scopes(org)[0], _scopes(org)[-1]
    assert daily.has_figures(whole, [DayFigure.Metric.INFLOW, DayFigure.Metric.SIGN_OFF_HOURS])
    assert not daily.has_figures(part, [DayFigure.Metric.INFLOW])
    team = Scope(whole.start, whole.end, team_id=org["red"].pk)
    assert daily.has_figures(team, [DayFigure.Metric.INFLOW, DayFigure.Metric.VERDICTS])
    assert not daily.has_figures(team, [DayFigure.Metric.FIRST_REVIEW_HOURS])  # kept for the organisation only


def test_figures_count_each_local_day(org):
    # A change opened at 23:59:30 local time counts on that day, not on the UTC day before or after.
    rows = DayFigure.objects.filter(metric=DayFigure.Metric.INFLOW, grain=DayFigure.Grain.ORGANISATION)
    by_day = {r.day: r.n for r in rows}
    opened = [f.opened_at for f in pipeline.inflow(Scope(_local(1), _local(20)))]
    assert by_day == dict(Counter(local_date(at) for at in opened))
    assert by_day != dict(Counter(at.astimezone(UTC).date() for at in opened))
    assert date(2026, 11, 7) not in by_day  # an empty day


FIELDS = ["day", "metric", "grain", "team_id", "repository_id", "key", "n", "amount", "extra"]


def _figures() -> list[tuple]:
    return sorted(DayFigure.objects.values_list(*FIELDS), key=repr)


def test_incremental_refresh_keeps_the_figures_a_rebuild_gives(org, make_engineer):
    red_change = pipeline.inflow(Scope(_local(1), _local(20), team_id=org["red"].pk)).order_by("opened_at").first()
    c = Change.objects.get(pk=red_change.change_id)
    # A first approval that moves to another day, a new cause, a change on a new day, a verdict on an old one.
    verdict(c, org["reviewers"][1], c.opened_at + 5 * S)
    confirm(c, c.opened_at + 30 * H)
    new = change(org["shop"], author=org["authors"][0], opened=_local(18, 23.99), needs=1)
    verdict(new, org["reviewers"][0], _local(19, 0.01))
    facts_refresh()
    incremental = _figures()
    for scope in _scopes(org):
        assert _sections(scope) == _of_facts(scope)
    day_figures_refresh()
    assert _figures() == incremental


def test_hundredths_of_an_hour_round_as_the_pages_do(db):
    rng = random.Random(7)
    seconds = [float(s) for s in range(0, 20000)] + [18.0 * s for s in range(20000)]
    seconds += [rng.uniform(0, 3e6) for _ in range(20000)] + [round(rng.uniform(0, 3e6), 6) for _ in range(20000)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s, {hour_hundredths('s')} FROM unnest(%s::float8[]) s", [seconds])  # noqa: S608
        rows = cursor.fetchall()
    assert [k / 100 for _, k in rows] == [round(s / 3600, 2) for s, _ in rows]


@pytest.mark.parametrize("seed", range(4))
def test_percentiles_from_the_bands_are_the_nearest_rank_ones(db, zone, make_engineer, seed):
    rng = random.Random(seed)
    repo = Repository.objects.create(name="acme/api", clone_url="/nowhere")
    author, senior = make_engineer(4), make_engineer(6)
    for _ in range(rng.randint(1, 80)):
        opened = _local(rng.randint(2, 12), rng.uniform(0, 24))
        wait = timedelta(
            seconds=rng.choice([18 * rng.randint(0, 2000), rng.randint(0, 400_000), 60 * rng.randint(0, 90)])
        )
        verdict(change(repo, author=author, opened=opened), senior, opened + wait)
    facts_refresh()
    for scope in (Scope(_local(1), _local(14)), Scope(_local(5), _local(8))):
        assert pipeline.pipeline_section(scope)["sign_off"] == _of_facts(scope)["pipeline"]["sign_off"]
        assert pipeline.pipeline_section(scope)["first_review"] == _of_facts(scope)["pipeline"]["first_review"]


def test_percentiles_of_nothing_are_none(db, zone):
    scope = Scope(_local(1), _local(14))
    assert daily.has_figures(scope, [DayFigure.Metric.SIGN_OFF_HOURS])
    assert pipeline.pipeline_section(scope)["sign_off"]["p50"] is None


@pytest.mark.parametrize("section", ["pipeline", "seniors", "quality"])
def test_section_queries_do_not_grow_with_the_data(org, section, django_assert_num_queries):
    scope = Scope(_local(1), _local(20), team_id=org["red"].pk)
    run = {
        "pipeline": lambda: pipeline.pipeline_section(scope),
        "seniors": lambda: seniors.seniors_section(scope, per_person=True),
        "quality": lambda: quality.quality_section(scope),
    }[section]
    with CaptureQueriesContext(connection) as few:
        run()
    for i in range(30):
        c = change(org["shop"], author=org["authors"][0], opened=_local(3 + i % 10, 9), merged=_local(4 + i % 10))
        verdict(c, org["reviewers"][0], _local(3 + i % 10, 11))
    facts_refresh()
    with django_assert_num_queries(len(few)):
        run()


def test_open_ages_over_the_two_index_ranges_are_those_of_the_queue(org):
    for scope in _scopes(org):
        parts = pipeline.queued_parts(scope)
        assert hour_percentiles(parts, "opened_at", scope.end) == hour_percentiles(
            pipeline.queued(scope), "opened_at", scope.end
        )
        assert sum(p.count() for p in parts) == pipeline.queued(scope).count()
