"""The weekly and daily rollups of review seconds (reviews_reviewerweek, reviews_reviewerday, kept by a PostgreSQL
trigger) and the load band's year and the 7-day load read through them: equal to summing the reviews themselves,
whatever writes, moves or deletes them; and rebuilt from scratch, equal to what the trigger kept."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Sum

from assignment.expertise import assignment_candidates
from reviews.models import Review, ReviewerDay, ReviewerWeek
from tests.assignment.test_expertise import NOW, by_id, change, review


def rollups_match_reviews() -> None:
    """Both rollups, less their zero rows, equal the reviews' seconds grouped by reviewer and UTC week or day."""
    for model, unit, bucket in (
        (ReviewerWeek, "week", "SELECT reviewer_id, date_trunc('week', created_at AT TIME ZONE 'UTC')::date, "),
        (ReviewerDay, "day", "SELECT reviewer_id, (created_at AT TIME ZONE 'UTC')::date, "),
    ):
        with connection.cursor() as cursor:
            cursor.execute(bucket + "SUM(seconds_spent) FROM reviews_review GROUP BY 1, 2")
            expected = {(r, w): s for r, w, s in cursor.fetchall()}
        kept = {(r, w): s for r, w, s in model.objects.values_list("reviewer_id", unit, "seconds") if s}
        assert kept == {k: v for k, v in expected.items() if v}, unit


def _kept() -> dict:
    return {
        m: set(m.objects.filter(seconds__gt=0).values_list(*[f.attname for f in m._meta.concrete_fields][1:]))
        for m in (ReviewerWeek, ReviewerDay)
    }


def _weeks_match_reviews() -> None:
    """The rollups the trigger kept equal the reviews' sums, and a rebuild from scratch gives them again."""
    rollups_match_reviews()
    kept = _kept()
    with connection.cursor() as cursor:
        cursor.execute("SELECT countersign_reviewer_rollups_rebuild()")
    assert _kept() == kept


def test_the_rollup_follows_inserts_updates_and_deletes(db, make_engineer, repository):
    author, s1, s2 = make_engineer(4), make_engineer(6), make_engineer(7)
    target = change(repository, author, NOW, {"a.py": 1}, state="open")
    made = [review(target, s1, NOW - timedelta(days=d, hours=h), seconds=100 + d) for d, h in [(0, 1), (6, 2), (13, 0)]]
    made.append(review(target, s2, NOW - timedelta(days=3), seconds=50))
    _weeks_match_reviews()

    Review.objects.filter(pk=made[0].pk).update(seconds_spent=999)
    Review.objects.filter(pk=made[1].pk).update(created_at=NOW - timedelta(days=40))
    Review.objects.filter(pk=made[3].pk).update(reviewer=s1)
    _weeks_match_reviews()

    Review.objects.filter(pk=made[2].pk).delete()
    _weeks_match_reviews()
    assert not ReviewerWeek.objects.filter(reviewer_id=s2.pk).aggregate(s=Sum("seconds"))["s"]


def test_the_load_band_year_equals_the_sum_of_the_reviews_at_every_week_boundary(db, make_engineer, repository):
    author, senior = make_engineer(4), make_engineer(6)
    target = change(repository, author, NOW, {"a.py": 1}, state="open")
    rng = random.Random(7)
    for _ in range(120):
        at = NOW - timedelta(days=rng.uniform(0, 400))
        review(target, senior, at, seconds=rng.randint(1, 5000))
    # The window's first day falls on every weekday in turn, Mondays and midnights included.
    for offset in range(0, 8 * 24, 5):
        now = datetime(2026, 11, 16, tzinfo=UTC) + timedelta(hours=offset)
        since = now - timedelta(days=365)
        expected = sum(
            Review.objects.filter(reviewer=senior, created_at__gte=since).values_list("seconds_spent", flat=True)
        )
        got = by_id(assignment_candidates(target, senior_level=6, now=now)[0])[senior.pk]
        assert got.reviewed_minutes_balance == -(-expected // 60), now


def test_the_7_day_load_equals_the_sum_of_the_reviews_at_every_hour_of_a_day(db, make_engineer, repository):
    author, senior = make_engineer(4), make_engineer(6)
    target = change(repository, author, NOW, {"a.py": 1}, state="open")
    rng = random.Random(11)
    start = datetime(2026, 11, 16, tzinfo=UTC)
    for _ in range(200):
        review(target, senior, start - timedelta(days=rng.uniform(0, 12)), seconds=rng.randint(1, 5000))
    review(target, senior, start - timedelta(days=7), seconds=4321)  # on the window's first instant
    review(target, senior, start - timedelta(days=6), seconds=1234)  # at a midnight inside it
    for offset in [0, 1, 5, 11, 23, 24, 30]:
        now = start + timedelta(hours=offset) - timedelta(days=1)
        expected = sum(
            Review.objects.filter(reviewer=senior, created_at__gte=now - timedelta(days=7)).values_list(
                "seconds_spent", flat=True
            )
        )
        got = by_id(assignment_candidates(target, senior_level=6, now=now)[0])[senior.pk]
        assert got.reviewed_minutes_7d == -(-expected // 60), now
