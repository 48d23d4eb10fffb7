"""Read queries of the assignment app: the what-if runs and what the what-if form offers; a senior's load.

A senior's load, as the assignment engine reads it: the minutes of their open assignments, and of their
verdicts in the last LOAD_DAYS days (against the weekly capacity) and BALANCE_DAYS days (the band). On
PostgreSQL the verdicts' seconds are read from the rollups the review trigger keeps (reviews_reviewerweek,
reviews_reviewerday) and only the window's first, partial day from the reviews; elsewhere from the reviews.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from assignment.picking import BALANCE_DAYS
from reviews.models import (
    Assignment,
    Engineer,
    PolicyVersion,
    Repository,
    Review,
    ReviewerDay,
    ReviewerWeek,
    WhatIfRun,
)

LOAD_DAYS = 7


def whatif_runs_recent(limit: int = 10) -> QuerySet[WhatIfRun]:
    """The latest what-if runs, newest first, with their senior hours but not their whole results (one query)."""
    return (
        WhatIfRun.objects.select_related("policy_version", "created_by")
        .defer("result", "proposed_policy")
        .annotate(
            senior_hours=KT("result__chosen__metrics__senior_hours"),
            current_hours=KT("result__current__metrics__senior_hours"),
        )[:limit]
    )


def whatif_run(run_id: int) -> WhatIfRun | None:
    """One what-if run with its policy version and who asked."""
    return WhatIfRun.objects.select_related("policy_version", "created_by").filter(pk=run_id).first()


def whatif_choices() -> dict[str, object]:
    """What the what-if form offers: the stored policy versions, the repositories, and the seniors (three queries)."""
    seniors = list(
        Engineer.objects.filter(level__gte=settings.PORTAL_SENIOR_LEVEL)
        .select_related("team")
        .order_by("team__name", "display_name")
        .only("display_name", "level", "weekly_capacity_minutes", "team__name")
    )
    teams: dict[str, dict[str, object]] = {}
    for senior in seniors:
        name = senior.team.name if senior.team else "No team"
        row = teams.setdefault(name, {"team": name, "seniors": 0, "hours": 0.0})
        row["seniors"] += 1
        row["hours"] += senior.weekly_capacity_minutes / 60
    return {
        "versions": list(PolicyVersion.objects.order_by("-number").values_list("number", "note")[:50]),
        "repositories": list(Repository.objects.order_by("name").values_list("pk", "name")),
        "seniors": seniors,
        "senior_teams": [{**t, "hours": round(t["hours"], 1)} for t in teams.values()],
    }


def _reviewed_seconds(since: datetime, until: datetime | None = None) -> QuerySet:
    """Seconds a senior (the outer row) spent on verdicts since `since` (before `until`), a correlated subquery."""
    reviews = Review.objects.filter(reviewer=OuterRef("pk"), created_at__gte=since)
    if until is not None:
        reviews = reviews.filter(created_at__lt=until)
    return reviews.values("reviewer").annotate(seconds=Sum("seconds_spent")).values("seconds")


def _reviewed_seconds_long(since: datetime) -> Coalesce:
    """Seconds a senior spent on verdicts since `since`, over a long window: on PostgreSQL the whole weeks from the
    weekly rollup (reviews_reviewerweek, kept by a trigger) and the days before the first of them from the daily
    one (_reviewed_seconds_rolled), so the cost follows the number of weeks, not of reviews; elsewhere from the
    reviews alone."""
    if connection.vendor != "postgresql":
        return Coalesce(Subquery(_reviewed_seconds(since), output_field=IntegerField()), 0)
    day = since.astimezone(UTC).date()
    first_week = day + timedelta(days=(7 - day.weekday()) % 7)  # the first Monday on or after `since`
    boundary = datetime.combine(first_week, time.min, tzinfo=UTC)
    weeks = (
        ReviewerWeek.objects.filter(reviewer_id=OuterRef("pk"), week__gte=first_week)
        .values("reviewer_id")
        .annotate(seconds=Sum("seconds"))
        .values("seconds")
    )
    seconds = Coalesce(Subquery(weeks, output_field=IntegerField()), 0)
    if boundary <= since:
        return seconds
    return seconds + _reviewed_seconds_rolled(since, until=first_week)


def _reviewed_seconds_rolled(since: datetime, until: date | None = None) -> Coalesce:
    """Seconds a senior spent on verdicts since `since` (before the UTC day `until`), on PostgreSQL: the rest of
    since's day from the reviews, the whole days after it from the daily rollup (reviews_reviewerday, kept by
    the trigger of the weekly one), so a week's window reads seven rows per senior, not every verdict."""
    day = since.astimezone(UTC).date()
    midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    days = ReviewerDay.objects.filter(reviewer_id=OuterRef("pk"), day__gt=day)
    if until is not None:
        days = days.filter(day__lt=until)
    days = days.values("reviewer_id").annotate(seconds=Sum("seconds")).values("seconds")
    return Coalesce(Subquery(days, output_field=IntegerField()), 0) + Coalesce(
        Subquery(_reviewed_seconds(since, midnight), output_field=IntegerField()), 0
    )


def seniors_with_load(*, senior_level: int, now: datetime) -> QuerySet:
    """The seniors by id, each with the minutes of their open assignments and of their verdicts (7 days, balance)."""
    since = now - timedelta(days=LOAD_DAYS)
    if connection.vendor == "postgresql":
        reviewed_7d = _reviewed_seconds_rolled(since)
    else:
        reviewed_7d = Coalesce(Subquery(_reviewed_seconds(since), output_field=IntegerField()), 0)
    # Per-senior subqueries on (reviewer, state): a join of every assignment ever made, grouped, grew with all
    # history (and ran the 7-day subquery once per joined row).
    active = (
        Assignment.objects.filter(reviewer=OuterRef("pk"), state=Assignment.State.ACTIVE).order_by().values("reviewer")
    )
    return (
        Engineer.objects.filter(level__gte=senior_level)
        .annotate(
            open_minutes=Coalesce(
                Subquery(active.annotate(m=Sum("estimated_minutes")).values("m"), output_field=IntegerField()), 0
            ),
            open_count=Coalesce(Subquery(active.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
            reviewed_seconds_7d=reviewed_7d,
            reviewed_seconds_balance=_reviewed_seconds_long(now - timedelta(days=BALANCE_DAYS)),
        )
        .order_by("pk")
    )
