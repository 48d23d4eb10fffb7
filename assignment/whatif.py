"""What a replay costs the seniors: hours needed against capacity per week, per team and per senior (pure).

The replay (assignment.simulation) gives every review it handed out: when the change arrived, who took it and its
estimated minutes. Here those are summed into consecutive 7-day periods ending at the replay's end (so every
period holds exactly one week of capacity), per team of the reviewing senior, and per senior, and drawn as the
charts of the what-if page (insights.charts, as data).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assignment.history import ReplayReview
from assignment.metrics import percentile_nearest_rank
from portal.charts import Chart, Series

NO_TEAM = "No team"


@dataclass(frozen=True)
class Reviewer:
    """A senior of the replay with their team and weekly review capacity."""

    key: str
    name: str
    team: str
    capacity_minutes: int


def week_starts(end: datetime, weeks: int) -> list[datetime]:
    """The starts of `weeks` consecutive 7-day periods that end at `end`, oldest first."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    return [end - timedelta(weeks=weeks - i) for i in range(weeks)]


def _period_of(at: datetime, starts: Sequence[datetime]) -> int | None:
    """Index of the period `at` falls in; None before the first or at or after the end."""
    if not starts or at < starts[0] or at >= starts[-1] + timedelta(weeks=1):
        return None
    return min(int((at - starts[0]) / timedelta(weeks=1)), len(starts) - 1)


def weekly_hours(reviews: Sequence[ReplayReview], starts: Sequence[datetime]) -> list[float]:
    """Review hours of the changes that arrived in each period."""
    minutes = [0] * len(starts)
    for review in reviews:
        index = _period_of(review.at, starts)
        if index is not None:
            minutes[index] += review.minutes
    return [round(m / 60, 1) for m in minutes]


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def team_table(
    reviews: Sequence[ReplayReview], reviewers: Sequence[Reviewer], starts: Sequence[datetime]
) -> list[dict[str, object]]:
    """Per team of the reviewing seniors: hours needed and capacity over the period, utilisation, over or under.

    Sorted by utilisation, the most loaded first (teams with no capacity last).
    """
    weeks = len(starts)
    team_of = {r.key: r.team for r in reviewers}
    capacity: dict[str, int] = defaultdict(int)
    seniors: dict[str, int] = defaultdict(int)
    for r in reviewers:
        capacity[r.team] += r.capacity_minutes * weeks
        seniors[r.team] += 1
    needed: dict[str, int] = defaultdict(int)
    peak: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for review in reviews:
        team = team_of.get(review.reviewer, NO_TEAM)
        index = _period_of(review.at, starts)
        if index is None:
            continue
        needed[team] += review.minutes
        peak[team][index] += review.minutes
    rows = []
    for team in sorted(set(capacity) | set(needed)):
        need_h, cap_h = needed[team] / 60, capacity[team] / 60
        weekly_cap = cap_h / weeks if weeks else 0.0
        rows.append(
            {
                "team": team,
                "seniors": seniors[team],
                "needed_hours": round(need_h, 1),
                "capacity_hours": round(cap_h, 1),
                "utilisation": _share(need_h, cap_h),
                "over_hours": round(need_h - cap_h, 1),
                "peak_week_hours": round(max(peak[team], default=0) / 60, 1),
                "weeks_over": sum(1 for m in peak[team] if m / 60 > weekly_cap),
            }
        )
    return sorted(rows, key=lambda r: (r["utilisation"] is None, -(r["utilisation"] or 0), r["team"]))


def senior_table(reviews: Sequence[ReplayReview], reviewers: Sequence[Reviewer], weeks: int) -> list[dict[str, object]]:
    """Per senior: reviews, hours, hours a week against their capacity, and the 90th percentile wait."""
    minutes: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    waits: dict[str, list[float]] = defaultdict(list)
    for review in reviews:
        minutes[review.reviewer] += review.minutes
        count[review.reviewer] += 1
        waits[review.reviewer].append(review.wait_hours)
    rows = []
    for r in reviewers:
        per_week = minutes[r.key] / 60 / weeks if weeks else 0.0
        rows.append(
            {
                "name": r.name,
                "team": r.team,
                "reviews": count[r.key],
                "hours": round(minutes[r.key] / 60, 1),
                "hours_per_week": round(per_week, 1),
                "capacity_hours_per_week": round(r.capacity_minutes / 60, 1),
                "utilisation": _share(per_week, r.capacity_minutes / 60),
                "p90_wait_hours": round(percentile_nearest_rank(waits[r.key], 0.9), 1),
            }
        )
    return sorted(rows, key=lambda r: (-(r["utilisation"] or 0), r["name"]))


def period_label(start: datetime) -> str:
    """'14 Oct': the first day of a 7-day period."""
    return f"{start.day} {start:%b}"


def weekly_chart(
    starts: Sequence[datetime],
    series: Sequence[tuple[str, Sequence[float]]],
    capacity_hours: float,
) -> Chart:
    """Senior hours needed each week under each policy, against the seniors' weekly capacity (a dashed line)."""
    labels = tuple(period_label(s) for s in starts)
    return Chart(
        title="Senior hours needed per week against capacity",
        kind="line",
        x_labels=labels,
        series=tuple(Series(name, tuple(values)) for name, values in series),
        markers=(Series("Capacity", tuple(round(capacity_hours, 1) for _ in labels)),),
        y_title="hours",
        unit="h",
    )


def team_chart(rows: Sequence[dict[str, object]]) -> Chart:
    """Hours needed against capacity over the period, one pair of bars per team."""
    return Chart(
        title="Senior hours per team over the period",
        kind="bar",
        x_labels=tuple(str(r["team"]) for r in rows),
        series=(
            Series("Needed", tuple(float(r["needed_hours"]) for r in rows)),
            Series("Capacity", tuple(float(r["capacity_hours"]) for r in rows)),
        ),
        y_title="hours",
        unit="h",
    )


_METRICS = (
    ("changes", "Changes that need a senior", ""),
    ("senior_hours", "Senior hours", "h"),
    ("expertise", "A reviewer knew a touched file", "%"),
    ("workload_gini", "Workload Gini (0 even, 1 on one senior)", ""),
    ("max_share", "Largest share on one senior", "%"),
    ("files_at_risk", "Files known by at most one active person", "%"),
    ("p90_queue_hours", "90th percentile wait for a reviewer", "h"),
)
_SHARES = {"expertise", "max_share", "files_at_risk"}


def comparison(chosen: dict[str, object], current: dict[str, object]) -> list[dict[str, object]]:
    """The replay's metrics under the chosen policy and the one in force, side by side with the difference."""
    rows = []
    for key, label, unit in _METRICS:
        a, b = float(chosen[key]), float(current[key])
        if key in _SHARES:
            a, b = a * 100, b * 100
        digits = {"changes": 0, "workload_gini": 3}.get(key, 1)

        def shown(x: float, digits: int = digits) -> float | int:
            return int(round(x)) if digits == 0 else round(x, digits)

        rows.append(
            {
                "metric": key,
                "label": label,
                "unit": unit,
                "chosen": shown(a),
                "current": shown(b),
                "delta": shown(a - b),
            }
        )
    return rows
