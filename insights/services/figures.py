"""Day figures: the facts summed per day (in the portal's time zone), per team, repository, both and neither.

A 90-day dashboard of a large organisation covers some 300,000 change facts; summing them on every page view
grows with the organisation. The facts refresh sums the days it touched into insights.DayFigure instead (one
INSERT … SELECT … GROUP BY GROUPING SETS per figure), and the dashboards read a row per day and key.

Durations are kept as histograms by hundredths of an hour, rounded exactly as the pages round a duration
(Python's round(seconds / 3600, 2): half to even on the binary value), so a percentile read from the histogram
is the percentile the facts give, rounded.

PostgreSQL only: the embedded SQLite set-up reads the facts themselves (insights.selectors.daily.has_figures).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.db import connection

from insights.models import DayFigure
from insights.selectors.daily import BY_NON_OWNER, GRAINS, OWNER_REQUIRED, RUBBER_STAMP, TIME_UNKNOWN, WEEKLY
from insights.selectors.scope import local_midnight
from insights.stats import SIZE_BUCKETS

M = DayFigure.Metric
G = DayFigure.Grain
SETS = {
    G.TEAM_AND_REPOSITORY: "(day, team_id, repository_id, key, band)",
    G.TEAM: "(day, team_id, key, band)",
    G.REPOSITORY: "(day, repository_id, key, band)",
    G.ORGANISATION: "(day, key, band)",
}


@dataclass(frozen=True)
class Figure:
    """How one metric is summed from one fact table: the moment that dates it, which facts, key and sums."""

    metric: str
    table: str
    moment: str
    where: str
    key: str = "0"
    amount: str = "0"
    extra: str = "0"
    seconds: str = "0"  # a duration, for the hour histograms
    band: str = "NULL::smallint"
    first: bool = False  # the amount is the least, not the sum
    weekly: bool = False  # summed per ISO week, dated by its Monday
    # Days as (midnight, midnight]: a change that joins the queue at midnight is not in it at that midnight.
    shifted: bool = False


def hour_hundredths(seconds: str) -> str:
    """SQL: the hundredths of an hour that Python's round(seconds / 3600, 2) gives, for float8 `seconds`.

    round() rounds the binary value half to even; PostgreSQL's numeric rounding would see 54 s as 0.015 h and
    give 0.02 where the page says 0.01. p = h * 100 is off the exact product by at most half a unit; only when p
    lands on a half is the side decided by that error, found exactly with Dekker's product (split h in halves).
    """
    h = f"(({seconds}) / 3600::float8)"
    p = f"({h} * 100::float8)"
    c = f"(134217729::float8 * {h})"
    hi = f"({c} - ({c} - {h}))"
    error = f"(({hi} * 100::float8 - {p}) + ({h} - {hi}) * 100::float8)"
    floor = f"floor({p})::bigint"
    return (
        f"CASE WHEN {p} - floor({p}) <> 0.5 THEN round({p})::bigint ELSE {floor} + "
        f"CASE WHEN {error} > 0 THEN 1 WHEN {error} < 0 THEN 0 ELSE {floor} %% 2 END END"
    )


# When a change left the queue (merged or approved, not before it was opened); NULL while it is in it.
GONE = (
    "CASE WHEN f.merged_at IS NULL AND f.first_approval_at IS NULL THEN NULL"
    " ELSE GREATEST(f.opened_at, LEAST(f.merged_at, f.first_approval_at)) END"
)


def _day(moment: str, shifted: bool, weekly: bool = False) -> str:
    """SQL: the local day of a moment, as [midnight, midnight) or shifted as (midnight, midnight); or the Monday
    of its ISO week."""
    moment = f"({moment} - interval '1 microsecond')" if shifted else moment
    if weekly:
        return f"date_trunc('week', {moment} AT TIME ZONE f.zone)::date"
    return f"({moment} AT TIME ZONE f.zone)::date"


def hour_band(hundredths: str) -> str:
    """SQL: the band of a duration in hundredths of an hour, each some 18% wider than the one before (monotonic)."""
    return f"floor(ln(({hundredths}) + 1) * {BANDS_PER_E})::smallint"


BANDS_PER_E = 6


def _bucket_key() -> str:
    whens = " ".join(f"WHEN '{name}' THEN {i}" for i, (name, _, _) in enumerate(SIZE_BUCKETS))
    return f"(CASE WHEN f.ai_assisted THEN 100 ELSE 0 END + CASE f.bucket {whens} ELSE 0 END)"


CHANGES = "insights_changefact"
REVIEWS = "insights_reviewfact"
FIGURES = [
    Figure(M.INFLOW, CHANGES, "opened_at", "f.needs_sign_off", amount="f.review_minutes"),
    Figure(
        M.SIGNED_OFF, CHANGES, "first_approval_at", "f.needs_sign_off", key="LEAST(GREATEST(f.rounds, 1), 3)",
        amount="f.review_minutes", extra="GREATEST(f.rounds, 1)",
    ),
    *[
        Figure(
            metric, CHANGES, moment, f"f.needs_sign_off AND f.{moment} >= f.opened_at",
            key=hour_band(hour_hundredths("f.seconds")) if banded else hour_hundredths("f.seconds"),
            seconds=f"DATE_PART('epoch', (f.{moment} - f.opened_at))",
            band="NULL::smallint" if banded else hour_band(hour_hundredths("f.seconds")),
        )
        for metric, banded, moment in (
            (M.FIRST_REVIEW_HOURS, False, "first_review_at"),
            (M.FIRST_REVIEW_BANDS, True, "first_review_at"),
            (M.SIGN_OFF_HOURS, False, "first_approval_at"),
            (M.SIGN_OFF_BANDS, True, "first_approval_at"),
        )
    ],
    Figure(M.DEPLOYED, CHANGES, "deployed_at", "TRUE", key=_bucket_key(), amount="f.failed::int"),
    Figure(M.AI_DETECTED, CHANGES, "opened_at", "f.ai_assisted", amount="f.ai_undeclared::int"),
    Figure(
        M.APPROVALS, REVIEWS, "created_at", "f.verdict = 'approve' AND NOT f.dismissed",
        key=f"{TIME_UNKNOWN} * f.time_unknown::int + {RUBBER_STAMP} * f.rubber_stamp::int"
        f" + {OWNER_REQUIRED} * f.owner_required::int + {BY_NON_OWNER} * f.by_non_owner::int",
    ),
    Figure(
        M.QUEUE, CHANGES, "opened_at", "f.needs_sign_off AND NOT f.is_closed",
        key=f"COALESCE({_day(GONE, True)} - DATE '0001-01-01' + 1, 0)",
        amount="(EXTRACT(EPOCH FROM f.opened_at) * 1000000)::bigint", first=True, shifted=True,
    ),
    Figure(
        M.VERDICTS, REVIEWS, "created_at", "f.verdict <> 'comment'", key="f.reviewer_id",
        amount="f.estimated_minutes", extra="f.seconds_spent",
    ),
]  # fmt: skip


FIGURES += [replace(f, metric=WEEKLY[f.metric], weekly=True) for f in FIGURES if f.metric in WEEKLY]
WEEKLY_METRICS = [str(m) for m in WEEKLY.values()]


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days [first, last + 1)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


def _insert(figure: Figure, runs: list[tuple[date, date]] | None) -> None:
    params: list = [settings.TIME_ZONE]
    within = ""
    if runs is not None:
        ranges = []
        after_first, before_last = (">", "<=") if figure.shifted else (">=", "<")
        for first, after in runs:
            ranges.append(f"(f.{figure.moment} {after_first} %s AND f.{figure.moment} {before_last} %s)")
            params += [local_midnight(first), local_midnight(after)]
        within = " AND (" + " OR ".join(ranges) + ")"
    grains = GRAINS[figure.metric]
    sets = ", ".join(SETS[g] for g in grains)
    by_team = any(g in (G.TEAM, G.TEAM_AND_REPOSITORY) for g in grains)
    by_repository = any(g in (G.REPOSITORY, G.TEAM_AND_REPOSITORY) for g in grains)
    # GROUPING() of a column that no set groups by is an error: the grain is told by the columns that are.
    if by_team and by_repository:
        grain = "GROUPING(team_id, repository_id)"
    elif by_repository:
        grain = f"{G.REPOSITORY} + GROUPING(repository_id)"
    elif by_team:
        grain = f"{G.TEAM} + 2 * GROUPING(team_id)"
    else:
        grain = str(G.ORGANISATION.value)
    team = "team_id" if by_team else "NULL::bigint"
    repository = "repository_id" if by_repository else "NULL::bigint"
    sql = (
        "INSERT INTO insights_dayfigure (day, metric, grain, team_id, repository_id, key, band, n, amount, extra) "  # noqa: S608 - fixed SQL
        f"SELECT day, '{figure.metric}', {grain}, {team}, {repository}, key, band, COUNT(*), "
        f"{'MIN' if figure.first else 'SUM'}(amount), SUM(extra) "
        f"FROM (SELECT {_day('f.' + figure.moment, figure.shifted, figure.weekly)} AS day, f.team_id, f.repository_id, "
        f"{figure.key} AS key, {figure.band} AS band, {figure.amount} AS amount, {figure.extra} AS extra "
        f"FROM (SELECT f.*, {figure.seconds} AS seconds, %s::text AS zone FROM {figure.table} f "
        f"WHERE f.{figure.moment} IS NOT NULL AND {figure.where}{within}) f) s "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def day_figures_refresh(*, days: Iterable[date] | None = None) -> int:
    """Recompute the day figures of `days` (every day when None) from the facts; the caller owns the transaction."""
    if connection.vendor != "postgresql":
        return 0
    runs = None if days is None else _runs(days)
    if runs == []:
        return 0
    # The weekly sums of the weeks these days fall in are summed again from their whole weeks.
    mondays = None if runs is None else {d - timedelta(days=d.weekday()) for a, b in runs for d in _days(a, b)}
    week_runs = None if mondays is None else _runs(m + timedelta(days=i) for m in mondays for i in range(7))
    with connection.cursor() as cursor:
        if runs is None:
            cursor.execute("DELETE FROM insights_dayfigure")
        else:
            cursor.execute(
                "DELETE FROM insights_dayfigure WHERE (metric <> ALL(%s) AND day = ANY(%s::date[]))"
                " OR (metric = ANY(%s) AND day = ANY(%s::date[]))",
                [WEEKLY_METRICS, [d for a, b in runs for d in _days(a, b)], WEEKLY_METRICS, sorted(mondays)],
            )
    for figure in FIGURES:
        _insert(figure, week_runs if figure.weekly else runs)
    if runs is None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE insights_dayfigure")  # a fresh table: plan its reads on what is in it
    return sum(after.toordinal() - first.toordinal() for first, after in runs or [])


def _days(first: date, after: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((after - first).days)]


def fact_days(change_ids: Iterable[int], review_ids: Iterable[int]) -> set[date]:
    """The local days the facts of these changes and verdicts are dated on, by any figure's moment."""
    changes, reviews = sorted(set(change_ids)), sorted(set(review_ids))
    if connection.vendor != "postgresql" or not (changes or reviews):
        return set()
    moments = sorted({(f.table, f.moment, f.shifted) for f in FIGURES})
    union = " UNION ".join(
        f"SELECT {_day('f.' + moment, shifted)} FROM (SELECT *, %s::text AS zone FROM {table}"  # noqa: S608
        f" WHERE {'change_id' if table == CHANGES else 'review_id'} = ANY(%s) AND {moment} IS NOT NULL) f"
        for table, moment, shifted in moments
    )
    params: list = []
    for table, _, _ in moments:
        params += [settings.TIME_ZONE, changes if table == CHANGES else reviews]
    with connection.cursor() as cursor:
        cursor.execute(union, params)
        return {row[0] for row in cursor.fetchall()}
