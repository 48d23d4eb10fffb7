"""Reads of the day figures (insights.DayFigure): a period's sums per day and key, and duration histograms.

The figures hold whole days in the portal's time zone, so they answer a scope whose start and end are local
midnights (the dashboards' periods always are); any other period, and the embedded SQLite set-up, read the facts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from insights.models import DayFigure
from insights.selectors import scope as sc

Row = tuple[int, int, int]  # n, amount, extra
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Bits of an APPROVALS key.
TIME_UNKNOWN, RUBBER_STAMP, OWNER_REQUIRED, BY_NON_OWNER = 1, 2, 4, 8


def _is_midnight(moment: datetime) -> bool:
    return timezone.localtime(moment).time() == time.min


M = DayFigure.Metric
G = DayFigure.Grain
# The grains each metric is kept at. A team and a repository together are a sliver of the facts, read directly;
# duration histograms barely shrink below the whole organisation, so only that one is kept; verdicts are read
# per reviewer, whose own team the seniors dashboard filters by.
COUNTS = (G.TEAM, G.REPOSITORY, G.ORGANISATION)
GRAINS: dict[str, tuple[int, ...]] = {
    M.INFLOW: COUNTS,
    M.SIGNED_OFF: COUNTS,
    M.FIRST_REVIEW_HOURS: (G.ORGANISATION,),
    M.SIGN_OFF_HOURS: (G.ORGANISATION,),
    M.FIRST_REVIEW_BANDS: (G.ORGANISATION,),
    M.SIGN_OFF_BANDS: (G.ORGANISATION,),
    M.DEPLOYED: COUNTS,
    M.AI_DETECTED: COUNTS,
    M.APPROVALS: COUNTS,
    M.VERDICTS: (G.REPOSITORY, G.ORGANISATION),
    M.QUEUE: COUNTS,
}
# Figures with as many keys a day as a day has facts (a reviewer, a duration) are summed per ISO week too: a
# period reads its whole weeks from these and only the days at its ends day by day.
WEEKLY = {
    M.VERDICTS: M.VERDICTS_WEEK,
    M.FIRST_REVIEW_HOURS: M.FIRST_REVIEW_HOURS_WEEK,
    M.FIRST_REVIEW_BANDS: M.FIRST_REVIEW_BANDS_WEEK,
    M.SIGN_OFF_HOURS: M.SIGN_OFF_HOURS_WEEK,
    M.SIGN_OFF_BANDS: M.SIGN_OFF_BANDS_WEEK,
}
DAILY = {weekly: daily for daily, weekly in WEEKLY.items()}
GRAINS.update({weekly: GRAINS[daily] for daily, weekly in WEEKLY.items()})


# Verdicts are kept per reviewer: the seniors dashboard's team is the reviewer's own, chosen by key.
TEAM_BY_KEY = {M.VERDICTS}


def _grain(scope: sc.Scope, metric: str) -> int:
    team_id = None if metric in TEAM_BY_KEY else scope.team_id
    # GROUPING(team, repository) counts a summed-over team as 2 and a summed-over repository as 1.
    return (0 if team_id is not None else 2) + (0 if scope.repository_id is not None else 1)


def has_figures(scope: sc.Scope, metrics: Sequence[str]) -> bool:
    """Whether the day figures answer these metrics over this scope: PostgreSQL, a period of whole local days,
    and a grain the metrics are kept at."""
    return (
        connection.vendor == "postgresql"
        and _is_midnight(scope.start)
        and _is_midnight(scope.end)
        and all(_grain(scope, m) in GRAINS[m] for m in metrics)
    )


def _figures(scope: sc.Scope, metrics: Sequence[str], start: datetime, end: datetime) -> QuerySet[DayFigure]:
    grain = _grain(scope, metrics[0])
    team_id = None if metrics[0] in TEAM_BY_KEY else scope.team_id
    first, after = sc.local_date(start), sc.local_date(end)
    monday = first + timedelta(days=-first.weekday() % 7)  # the first Monday on or after the first day
    last_monday = after - timedelta(days=after.weekday())  # the last one on or before the day after
    days = Q(metric__in=metrics, day__gte=first, day__lt=after)
    weekly = [WEEKLY[m] for m in metrics if m in WEEKLY]
    if weekly and monday < last_monday:
        # Every metric here has its weekly sums, or none has (the callers ask for one kind at a time).
        days = (
            Q(metric__in=metrics, day__gte=first, day__lt=monday)
            | Q(metric__in=metrics, day__gte=last_monday, day__lt=after)
            | Q(metric__in=weekly, day__gte=monday, day__lt=last_monday)
        )
    return DayFigure.objects.filter(days, grain=grain, team_id=team_id, repository_id=scope.repository_id).order_by()


def by_day(
    scope: sc.Scope, metrics: Sequence[str], start: datetime | None = None, end: datetime | None = None
) -> dict[str, list[tuple[date, int, int, int, int]]]:
    """Each metric's rows (day, key, n, amount, extra) over [start, end) (the scope's period by default)."""
    rows: dict[str, list[tuple[date, int, int, int, int]]] = {m: [] for m in metrics}
    queryset = _figures(scope, metrics, start or scope.start, end or scope.end)
    for metric, day, key, n, amount, extra in queryset.values_list("metric", "day", "key", "n", "amount", "extra"):
        rows[metric].append((day, key, n, amount, extra))
    return rows


def by_key(scope: sc.Scope, metric: str, keys: Iterable[int] | None = None) -> dict[int, Row]:
    """A metric's sums over the scope's period, per key (only `keys` when given)."""
    queryset = _figures(scope, [metric], scope.start, scope.end)
    if keys is not None:
        queryset = queryset.filter(key__in=list(keys))
    grouped = queryset.values("key").annotate(n=Sum("n"), amount=Sum("amount"), extra=Sum("extra"))
    return {row["key"]: (row["n"], row["amount"], row["extra"]) for row in grouped}


def in_slices(rows: list[tuple[date, int, int, int, int]], slices: list[tuple[datetime, datetime]]) -> list[Row]:
    """Sums of day rows per slice [a, b) of local midnights."""
    bounds = [(sc.local_date(a), sc.local_date(b)) for a, b in slices]
    totals = [[0, 0, 0] for _ in slices]
    for day, _key, n, amount, extra in rows:
        for i, (a, b) in enumerate(bounds):
            if a <= day < b:
                totals[i][0] += n
                totals[i][1] += amount
                totals[i][2] += extra
                break
    return [(n, amount, extra) for n, amount, extra in totals]


BANDS = {M.FIRST_REVIEW_HOURS: M.FIRST_REVIEW_BANDS, M.SIGN_OFF_HOURS: M.SIGN_OFF_BANDS}


def hour_percentiles(
    scope: sc.Scope, metrics: Sequence[str], fractions: Sequence[float] = (0.5, 0.9)
) -> dict[str, dict[str, float | int | None]]:
    """Count and nearest-rank percentiles (hours, rounded to hundredths) of each duration metric over the scope's
    period: what sql.hour_percentiles gives over the facts (PostgreSQL's percentile_disc takes row ceil(f * n),
    at least 1); a query, and one more per metric that has values.

    A period's histogram by hundredths has a row per day and hundredth; summing them all grows with the
    organisation. The band counts say in which band each percentile falls and its rank there, and only the
    hundredths of those bands are read.
    """
    bands: dict[str, dict[int, int]] = {m: defaultdict(int) for m in metrics}
    by_band = {BANDS[m]: m for m in metrics}
    grouped = _figures(scope, list(by_band), scope.start, scope.end).values("metric", "key").annotate(n=Sum("n"))
    for row in grouped:
        bands[by_band[DAILY.get(row["metric"], row["metric"])]][row["key"]] += row["n"]
    wanted: dict[str, list[tuple[str, int, int]]] = {m: [] for m in metrics}  # name, band, rank in the band
    results: dict[str, dict[str, float | int | None]] = {}
    for metric in metrics:
        total = sum(bands[metric].values())
        results[metric] = {"n": total}
        for f in fractions:
            name = f"p{round(f * 100)}"
            results[metric][name] = None
            if total:
                band, rank = _rank_in(bands[metric], max(1, math.ceil(f * total)))
                wanted[metric].append((name, band, rank))
    for metric, picks in wanted.items():
        # A query per metric: one index range each, read from the index alone (an OR of the two is a bitmap scan).
        fine: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        rows = (
            _figures(scope, [metric], scope.start, scope.end)
            .filter(band__in={band for _, band, _ in picks})
            .values("band", "key")
            .annotate(n=Sum("n"))
        )
        for row in rows:
            fine[row["band"]][row["key"]] += row["n"]
        for name, band, rank in picks:
            results[metric][name] = _rank_in(fine[band], rank)[0] / 100
    return results


def _rank_in(counts: dict[int, int], rank: int) -> tuple[int, int]:
    """The key holding the rank-th value (from 1) of a histogram, and that value's rank among the key's own."""
    seen = 0
    for key, n in sorted(counts.items()):
        if seen + n >= rank:
            return key, rank - seen
        seen += n
    raise ValueError(f"rank {rank} beyond {seen} values")


def queue_at(scope: sc.Scope, moments: Sequence[datetime]) -> list[tuple[int, datetime | None]]:
    """The number of changes in the queue at each moment (local midnights within the scope's period) and the
    oldest one's opening; one query.

    A QUEUE row counts the changes that joined the queue on its day and left it on the day its key gives (the
    ordinal of the day; 0 never), both days taken as (midnight, midnight]: in the queue at midnight D are those of
    rows whose day is before D and whose key is D or later.
    """
    first = min(sc.local_date(t) for t in moments)
    rows = list(
        DayFigure.objects.filter(
            Q(key=0) | Q(key__gte=first.toordinal()),
            metric=M.QUEUE,
            grain=_grain(scope, M.QUEUE),
            team_id=scope.team_id,
            repository_id=scope.repository_id,
            day__lt=max(sc.local_date(t) for t in moments),
        ).values_list("day", "key", "n", "amount")
    )
    result = []
    for t in moments:
        day = sc.local_date(t)
        ordinal = day.toordinal()
        queued = [(n, amount) for joined, left, n, amount in rows if joined < day and (left == 0 or left >= ordinal)]
        oldest = min((amount for _, amount in queued), default=None)
        result.append((sum(n for n, _ in queued), None if oldest is None else EPOCH + timedelta(microseconds=oldest)))
    return result
