"""The review pipeline: inflow of changes needing sign-off against sign-offs, the queue, latency, rounds.

Definitions (stated on the page too):

- needing sign-off: the policy asked for at least one sign-off or an owner's.
- inflow of a week: changes needing sign-off opened in it; their estimated review minutes are the work.
- sign-offs of a week: changes needing sign-off that got their first approval in it.
- capacity: the weekly review minutes of the scope's seniors; inflow over capacity is said, with by how much.
- in the queue at a moment: opened, needing sign-off, not approved yet, not merged yet; changes closed without
  merging are left out (no close time is recorded).
- time to first review / to sign-off: from opening to the first verdict / approval by anyone but the author,
  over the changes whose first verdict / approval fell in the period; nearest-rank p50 and p90 in hours.
  Verdicts dated before the change was opened (imported history: a commit's pull request is not known) are
  left out of the latencies, which n says.
- review rounds: distinct revisions that got a verdict, over the changes first approved in the period.
- the headline follows from the figures: weeks over capacity, the queue's growth from the start of the period to
  its end, and the oldest wait against the review due time ({due_hours} h); estimated hours within capacity alone
  never make it say that the pipeline keeps up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest

from insights.headline import figures_from_section, pipeline_headline
from insights.models import ChangeFact, DayFigure
from insights.selectors import daily
from insights.selectors import scope as sc
from insights.selectors.sql import hour_percentiles
from portal.charts import Chart, Series, weekly_labels

M = DayFigure.Metric


def inflow(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(sc.NEEDS_SIGN_OFF, opened_at__gte=scope.start, opened_at__lt=scope.end)


def signed_off(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(
        sc.NEEDS_SIGN_OFF, first_approval_at__gte=scope.start, first_approval_at__lt=scope.end
    )


def signed_off_timed(scope: sc.Scope) -> QuerySet[ChangeFact]:
    """The changes whose time to sign-off is measured: first approved in the period, not before opening."""
    return signed_off(scope).filter(first_approval_at__gte=F("opened_at"))


def first_reviewed(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return (
        sc.changes(scope)
        .filter(
            sc.NEEDS_SIGN_OFF,
            first_review_at__gte=scope.start,
            first_review_at__lt=scope.end,
        )
        .filter(first_review_at__gte=F("opened_at"))
    )


def _queued_at(moment: datetime) -> Q:
    return (
        Q(opened_at__lte=moment)
        & (Q(merged_at__isnull=True) | Q(merged_at__gt=moment))
        & (Q(first_approval_at__isnull=True) | Q(first_approval_at__gt=moment))
    )


def _queue_candidates(scope: sc.Scope, first: datetime, last: datetime) -> QuerySet[ChangeFact]:
    """Changes that may be in the queue at some moment in [first, last]: a period's worth, not all history."""
    return (
        sc.changes(scope)
        .filter(sc.NEEDS_SIGN_OFF, opened_at__lte=last, is_closed=False)
        .filter(Q(merged_at__isnull=True) | Q(merged_at__gt=first))
    )


def queued(scope: sc.Scope) -> QuerySet[ChangeFact]:
    """The changes in the queue at the end of the period."""
    return _queue_candidates(scope, scope.end, scope.end).filter(_queued_at(scope.end))


def queued_parts(scope: sc.Scope) -> list[QuerySet[ChangeFact]]:
    """queued(scope) as its two disjoint parts, never merged and merged after the end: each is one range of
    fact_signoff_open_idx, where the two together would scan the table."""
    candidates = sc.changes(scope).filter(sc.NEEDS_SIGN_OFF, opened_at__lte=scope.end, is_closed=False)
    return [
        part.filter(_queued_at(scope.end))
        for part in (candidates.filter(merged_at__isnull=True), candidates.filter(merged_at__gt=scope.end))
    ]


def _queue_depths(scope: sc.Scope, ends: list[datetime]) -> dict[str, Any]:
    """The queue's depth at the start and at each end, and its oldest opening at each end.

    Counted apart over the never-merged changes and over those merged after the start: each part is one range of
    fact_signoff_open_idx, read from the index alone, where the two together would scan the table.
    """
    if daily.has_figures(scope, [M.QUEUE]):
        at = daily.queue_at(scope, [scope.start, *ends])
        return {
            "start": at[0][0],
            **{f"d{i}": n for i, (n, _) in enumerate(at[1:])},
            **{f"o{i}": oldest for i, (_, oldest) in enumerate(at[1:])},
        }
    # _queue_candidates(scope, scope.start, scope.end), as its two disjoint parts.
    candidates = sc.changes(scope).filter(sc.NEEDS_SIGN_OFF, opened_at__lte=scope.end, is_closed=False)
    parts = [
        part.aggregate(
            start=Count("pk", filter=_queued_at(scope.start)),
            **{f"d{i}": Count("pk", filter=_queued_at(t)) for i, t in enumerate(ends)},
            **{f"o{i}": Min("opened_at", filter=_queued_at(t)) for i, t in enumerate(ends)},
        )
        for part in (
            candidates.filter(merged_at__isnull=True),
            candidates.filter(merged_at__gt=scope.start),
        )
    ]
    return {
        key: (
            min((p[key] for p in parts if p[key] is not None), default=None)
            if key.startswith("o")
            else sum(p[key] for p in parts)
        )
        for key in parts[0]
    }


def _flows(scope: sc.Scope, slices: list[tuple[datetime, datetime]]) -> tuple[dict, dict, dict]:
    """Inflow and sign-offs per slice (count n<i>, review minutes m<i>), and the sign-offs' review rounds."""
    if not daily.has_figures(scope, [M.INFLOW, M.SIGNED_OFF]):
        return _flows_of_facts(scope, slices)
    rows = daily.by_day(scope, [M.INFLOW, M.SIGNED_OFF])
    flows = []
    for metric in (M.INFLOW, M.SIGNED_OFF):
        sums = daily.in_slices(rows[metric], slices)
        # As Sum over no rows: None, which the page shows as 0.
        flows.append({**{f"n{i}": n for i, (n, _, _) in enumerate(sums)},
                      **{f"m{i}": m if n else None for i, (n, m, _) in enumerate(sums)}})  # fmt: skip
    signed = defaultdict(int)
    total = 0
    for _day, key, n, _minutes, rounds in rows[M.SIGNED_OFF]:
        signed[key] += n
        total += rounds
    rounds = {"one": signed[1], "two": signed[2], "more": signed[3], "total": total or None}
    return flows[0], flows[1], rounds


def _flows_of_facts(scope: sc.Scope, slices: list[tuple[datetime, datetime]]) -> tuple[dict, dict, dict]:
    flow_in = inflow(scope).aggregate(
        **{f"n{i}": Count("pk", filter=Q(opened_at__gte=a, opened_at__lt=b)) for i, (a, b) in enumerate(slices)},
        **{
            f"m{i}": Sum("review_minutes", filter=Q(opened_at__gte=a, opened_at__lt=b))
            for i, (a, b) in enumerate(slices)
        },
    )
    flow_out = signed_off(scope).aggregate(
        **{
            f"n{i}": Count("pk", filter=Q(first_approval_at__gte=a, first_approval_at__lt=b))
            for i, (a, b) in enumerate(slices)
        },
        **{
            f"m{i}": Sum("review_minutes", filter=Q(first_approval_at__gte=a, first_approval_at__lt=b))
            for i, (a, b) in enumerate(slices)
        },
    )
    rounds = signed_off(scope).aggregate(
        one=Count("pk", filter=Q(rounds__lte=1)),
        two=Count("pk", filter=Q(rounds=2)),
        more=Count("pk", filter=Q(rounds__gte=3)),
        total=Sum(Greatest(F("rounds"), Value(1))),
    )
    return flow_in, flow_out, rounds


def _latencies(scope: sc.Scope) -> dict[str, dict[str, Any]]:
    """Count, p50 and p90 in hours of the time to first review and to sign-off over the period."""
    if not daily.has_figures(scope, [M.FIRST_REVIEW_HOURS, M.SIGN_OFF_HOURS]):
        return {
            "first_review": hour_percentiles(first_reviewed(scope), "opened_at", "first_review_at"),
            "sign_off": hour_percentiles(signed_off_timed(scope), "opened_at", "first_approval_at"),
        }
    percentiles = daily.hour_percentiles(scope, [M.FIRST_REVIEW_HOURS, M.SIGN_OFF_HOURS])
    return {"first_review": percentiles[M.FIRST_REVIEW_HOURS], "sign_off": percentiles[M.SIGN_OFF_HOURS]}


def pipeline_section(scope: sc.Scope) -> dict[str, Any]:
    """Everything the pipeline panel shows, as plain values (a snapshot renders it without the database)."""
    slices = sc.week_slices(scope.start, scope.end)
    capacity_week = sc.seniors(scope).aggregate(minutes=Sum("weekly_capacity_minutes"), n=Count("pk"))
    weekly_capacity = capacity_week["minutes"] or 0
    flow_in, flow_out, rounds = _flows(scope, slices)
    weeks = []
    for i, (a, b) in enumerate(slices):
        part = scope.with_period(a, b)
        capacity = round(weekly_capacity * (b - a).total_seconds() / (7 * 86400))
        minutes_in = flow_in[f"m{i}"] or 0
        weeks.append(
            {
                "label": sc.slice_label(a, b),
                "inflow": flow_in[f"n{i}"],
                "inflow_minutes": minutes_in,
                "inflow_url": sc.drill_url("inflow", part),
                "signoffs": flow_out[f"n{i}"],
                "signoff_minutes": flow_out[f"m{i}"] or 0,
                "signoffs_url": sc.drill_url("signed_off", part),
                "capacity_minutes": capacity,
                "over_minutes": max(0, minutes_in - capacity),
                "over_pct": round(100 * (minutes_in - capacity) / capacity)
                if capacity and minutes_in > capacity
                else 0,
            }
        )
    over = [w for w in weeks if w["over_minutes"] > 0]
    ends = [b for _, b in slices]
    depth = _queue_depths(scope, ends)
    ages = hour_percentiles(queued_parts(scope), "opened_at", scope.end)
    latencies = _latencies(scope)
    round_counts = {1: rounds["one"], 2: rounds["two"], 3: rounds["more"]}
    total_rounds = rounds["total"] or 0
    signed = sum(round_counts.values())
    oldest = depth[f"o{len(ends) - 1}"]
    labels = weekly_labels([w["label"] for w in weeks])
    due_hours = settings.PORTAL_REVIEW_DUE_HOURS
    section: dict[str, Any] = {
        "definitions": __doc__.split("Definitions (stated on the page too):", 1)[1].strip().format(due_hours=due_hours),
        "senior_count": capacity_week["n"],
        "weekly_capacity_minutes": weekly_capacity,
        "due_hours": due_hours,
        "weeks": weeks,
        "over_capacity": [
            {"label": w["label"], "over_minutes": w["over_minutes"], "over_pct": w["over_pct"]} for w in over
        ],
        "inflow_total": sum(w["inflow"] for w in weeks),
        "inflow_minutes_total": sum(w["inflow_minutes"] for w in weeks),
        "signoffs_total": sum(w["signoffs"] for w in weeks),
        "capacity_total": sum(w["capacity_minutes"] for w in weeks),
        "inflow_url": sc.drill_url("inflow", scope),
        "signoffs_url": sc.drill_url("signed_off", scope),
        "queue": {
            "depth": ages["n"],
            "start_depth": depth["start"],
            "url": sc.drill_url("queued", scope),
            "p50_age_hours": ages["p50"],
            "p90_age_hours": ages["p90"],
            "oldest_hours": round((scope.end - oldest).total_seconds() / 3600, 1) if oldest else None,
        },
        "first_review": {**latencies["first_review"], "url": sc.drill_url("first_reviewed", scope)},
        "sign_off": {**latencies["sign_off"], "url": sc.drill_url("signed_off_timed", scope)},
        "rounds": {
            "n": signed,
            "one": round_counts[1],
            "two": round_counts[2],
            "three_plus": round_counts[3],
            "mean": round(total_rounds / signed, 2) if signed else None,
        },
        # Weekly series are lines; each chart has one unit on its axis (changes, hours, days).
        "chart_flow": Chart(
            title="Changes needing sign-off per week: inflow and sign-offs",
            kind="line",
            x_labels=labels,
            series=(
                Series("inflow", tuple(float(w["inflow"]) for w in weeks)),
                Series("signed off", tuple(float(w["signoffs"]) for w in weeks)),
            ),
            y_title="changes",
        ).as_dict(),
        "chart_hours": Chart(
            title="Review hours per week: estimated inflow against senior capacity",
            kind="line",
            x_labels=labels,
            series=(Series("inflow (estimated)", tuple(round(w["inflow_minutes"] / 60, 1) for w in weeks)),),
            markers=(Series("capacity", tuple(round(w["capacity_minutes"] / 60, 1) for w in weeks)),),
            y_title="hours",
            unit="h",
        ).as_dict(),
        "chart_depth": Chart(
            title="Changes in the queue at the end of each week",
            kind="line",
            x_labels=labels,
            series=(Series("in the queue", tuple(float(depth[f"d{i}"]) for i in range(len(ends)))),),
            y_title="changes",
        ).as_dict(),
        "chart_wait": Chart(
            title="Oldest wait in the queue at the end of each week",
            kind="line",
            x_labels=labels,
            series=(
                Series(
                    "oldest wait",
                    tuple(
                        # An empty queue has nobody waiting: 0 days, not a gap in the line.
                        round((t - depth[f"o{i}"]).total_seconds() / 86400, 1) if depth[f"o{i}"] else 0.0
                        for i, t in enumerate(ends)
                    ),
                ),
            ),
            y_title="days",
            unit="d",
        ).as_dict(),
    }
    section["headline"] = pipeline_headline(figures_from_section(section)).as_dict()
    return section
