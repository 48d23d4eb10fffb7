"""SQL pieces the sections share: first-review subqueries and percentiles (PostgreSQL, with a SQLite fallback)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from insights.stats import percentile_nearest_rank
from reviews.models import Review


class PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc: the nearest-rank percentile, as assignment.simulation computes it."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=f"{float(fraction):.6f}", **extra)


class EpochSeconds(Func):
    """Seconds in an interval (PostgreSQL)."""

    # date_part gives double precision: sorting floats for a percentile is cheaper than EXTRACT's numeric.
    template = "DATE_PART('epoch', %(expressions)s)"
    output_field = FloatField()


def first_review_at(*, approvals_only: bool = False) -> Subquery:
    """The time of a change's first verdict (or first approval) by anyone but its author."""
    # An author-less change (a commit by someone the portal does not know) has no author to leave out.
    verdicts = Review.objects.filter(change_id=OuterRef("pk")).exclude(
        reviewer_id=Coalesce(OuterRef("author_id"), Value(0))
    )
    if approvals_only:
        # An approval dismissed on the host was withdrawn: the change was not approved then.
        verdicts = verdicts.filter(verdict=Review.Verdict.APPROVE, dismissed_at__isnull=True)
    return Subquery(verdicts.order_by("created_at").values("created_at")[:1])


def wait(start_field: str, end: str | datetime) -> ExpressionWrapper:
    """end - start, where the end is a field or one moment for every row."""
    until = Value(end, output_field=DateTimeField()) if isinstance(end, datetime) else F(end)
    return ExpressionWrapper(until - F(start_field), output_field=DurationField())


def hour_percentiles(
    queryset: QuerySet | Sequence[QuerySet],
    start_field: str,
    end_field: str | datetime,
    fractions: Sequence[float] = (0.5, 0.9),
) -> dict[str, float | int | None]:
    """Count and nearest-rank percentiles (in hours) of end - start over a queryset, or over the disjoint
    querysets together (the end a field, or one moment for every row); one query.

    PostgreSQL computes them in SQL; the embedded SQLite default has no percentile aggregate and reads the
    durations of the (period-bounded) rows instead.
    """
    names = [f"p{round(f * 100)}" for f in fractions]
    if not isinstance(queryset, QuerySet):
        if connection.vendor == "postgresql":
            return _union_hour_percentiles(queryset, start_field, end_field, fractions)
        queryset = queryset[0].union(*queryset[1:], all=True)
    if connection.vendor == "postgresql":
        seconds = EpochSeconds(wait(start_field, end_field))
        row = queryset.aggregate(
            n=Count("pk"), **{name: PercentileDisc(seconds, f) for name, f in zip(names, fractions, strict=True)}
        )
        return {"n": row["n"], **{name: _hours(row[name]) for name in names}}
    if isinstance(end_field, datetime):
        pairs = ((start, end_field) for start in queryset.values_list(start_field, flat=True))
    else:
        pairs = queryset.values_list(start_field, end_field)
    durations = [(end - start).total_seconds() for start, end in pairs if start is not None and end is not None]
    result: dict[str, float | int | None] = {"n": len(durations)}
    for name, f in zip(names, fractions, strict=True):
        result[name] = _hours(percentile_nearest_rank(durations, f)) if durations else None
    return result


def _union_hour_percentiles(
    querysets: Sequence[QuerySet], start_field: str, end_field: str | datetime, fractions: Sequence[float]
) -> dict[str, float | int | None]:
    """hour_percentiles over UNION ALL of the querysets: each part keeps its own index range, where one OR of
    their conditions would scan the table. Django aggregates no union, so the outer query is written here."""
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = (
            queryset.annotate(s=EpochSeconds(wait(start_field, end_field))).values("s").query.sql_with_params()
        )
        parts.append(f"({sql})")
        params.extend(part_params)
    names = [f"p{round(f * 100)}" for f in fractions]
    percentiles = ", ".join(f"PERCENTILE_DISC({float(f):.6f}) WITHIN GROUP (ORDER BY s)" for f in fractions)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), {percentiles} FROM ({' UNION ALL '.join(parts)}) u", params)  # noqa: S608
        n, *values = cursor.fetchone()
    return {"n": n, **{name: _hours(v) for name, v in zip(names, values, strict=True)}}


def _hours(seconds: float | timedelta | None) -> float | None:
    if seconds is None:
        return None
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    return round(float(seconds) / 3600, 2)
