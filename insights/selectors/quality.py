"""Quality: change failure rate of AI-assisted against other changes, by size; sign-off quality; policy gaps.

- change failure rate (CFR): changes deployed in the period that were confirmed as causing an incident, over the
  changes deployed in the period. Suspected or ruled-out links do not count. 95% Wilson intervals; a rate on
  fewer than {min_n} changes is "not enough data", never 0%.
- size buckets by changed lines (added + removed): {buckets}.
- rubber-stamp rate: timed approvals in the period flagged as rubber stamps (signed off faster than the floor for
  the size, or with files not viewed), over all timed approvals in the period. Verdicts imported with history
  were never checked against the floor here: they count when their time is under the floor for the size.
  Approvals dismissed on the git host are left out.
- approved on the host (time unknown): approvals given on the git host in the period. Nobody measured how long
  they took, so they are neither timed reviews nor rubber stamps: they are counted on their own, with the changes
  they were on.
- sign-offs by non-owners on owned paths: approvals in the period on changes whose policy requires an owner, by
  someone who does not own the paths (CODEOWNERS where known, else the teams of the services), and the changes
  they were on.
- AI-assisted changes merged without the required sign-off: merged in the period, AI-assisted, with fewer
  approvals by others before the merge than the policy required. Should be zero; each one is listed.
- undeclared but detected AI: changes opened in the period detected as AI-assisted that their author had not
  declared, over all changes opened in the period detected as AI-assisted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from insights.models import ChangeFact, DayFigure, ReviewFact
from insights.selectors import daily
from insights.selectors import scope as sc
from insights.selectors.daily import BY_NON_OWNER, OWNER_REQUIRED, RUBBER_STAMP, TIME_UNKNOWN
from insights.stats import MIN_N, SIZE_BUCKETS, rate, size_bucket_label
from portal.charts import Chart, Series, weekly_labels
from reviews.models import Change, Review

LIST_LIMIT = 50
M = DayFigure.Metric


def deployed(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(deployed_at__gte=scope.start, deployed_at__lt=scope.end)


def failed(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return deployed(scope).filter(failed=True)


def approvals(scope: sc.Scope) -> QuerySet[ReviewFact]:
    """Approvals given in the period and still standing (not dismissed on the host)."""
    return sc.reviews(scope).filter(
        verdict=Review.Verdict.APPROVE, dismissed=False, created_at__gte=scope.start, created_at__lt=scope.end
    )


def _of_approvals(scope: sc.Scope, condition: Q) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(change_id__in=approvals(scope).filter(condition).values("change_id"))


def _count_of_approvals(scope: sc.Scope, condition: Q) -> int:
    """The number of changes `_of_approvals` lists, counted from the period's verdicts alone.

    Every verdict fact's change has its fact (facts_refresh writes both together, with the same team and
    repository), so the distinct changes of the verdicts are the changes of the list; counting them so reads the
    period's verdicts only, not every change fact.
    """
    return approvals(scope).filter(condition).aggregate(n=Count("change_id", distinct=True))["n"]


def rubber_stamped(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return _of_approvals(scope, Q(rubber_stamp=True))


def host_approved(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return _of_approvals(scope, Q(time_unknown=True))


def non_owner(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return _of_approvals(scope, Q(by_non_owner=True))


def merged_without_sign_off(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(
        sc.NEEDS_SIGN_OFF,
        ai_assisted=True,
        merged_at__gte=scope.start,
        merged_at__lt=scope.end,
        approvals_before_merge__lt=F("approvals_needed"),
    )


def ai_detected(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return sc.changes(scope).filter(ai_assisted=True, opened_at__gte=scope.start, opened_at__lt=scope.end)


def undeclared(scope: sc.Scope) -> QuerySet[ChangeFact]:
    return ai_detected(scope).filter(ai_undeclared=True)


def _counts(queryset: QuerySet[ChangeFact]) -> dict[tuple[bool, str], tuple[int, int]]:
    """(ai, bucket) -> (deployed, failed), in one grouped query."""
    grouped = queryset.values("ai_assisted", "bucket").annotate(n=Count("pk"), k=Count("pk", filter=Q(failed=True)))
    return {(row["ai_assisted"], row["bucket"]): (row["n"], row["k"]) for row in grouped}


def _cfr_row(label: str, counts: list[tuple[int, int]], scope: sc.Scope, **params: Any) -> dict[str, Any]:
    n = sum(c[0] for c in counts)
    k = sum(c[1] for c in counts)
    return {
        "label": label,
        **rate(k, n),
        "deployed_url": sc.drill_url("deployed", scope, **params),
        "failed_url": sc.drill_url("failed", scope, **params),
    }


def _deployed_counts(scope: sc.Scope) -> dict[tuple[bool, str], tuple[int, int]]:
    """(ai, bucket) -> (deployed, failed) over the period, from the day figures where they answer."""
    if not daily.has_figures(scope, [M.DEPLOYED]):
        return _counts(deployed(scope))
    return {
        (key >= 100, SIZE_BUCKETS[key % 100][0]): (n, failed)
        for key, (n, failed, _) in daily.by_key(scope, M.DEPLOYED).items()
    }


def cfr_table(scope: sc.Scope) -> dict[str, Any]:
    """CFR for AI-assisted and other changes, overall and per size bucket."""
    counts = _deployed_counts(scope)
    ai_rows = []
    for ai, label, flag in ((True, "AI-assisted", "yes"), (False, "other", "no")):
        ai_rows.append(_cfr_row(label, [v for (a, _), v in counts.items() if a is ai], scope, ai=flag))
    buckets = []
    for name, _low, _high in SIZE_BUCKETS:
        buckets.append(
            {
                "bucket": size_bucket_label(name),
                "ai": _cfr_row("AI-assisted", [counts.get((True, name), (0, 0))], scope, ai="yes", bucket=name),
                "other": _cfr_row("other", [counts.get((False, name), (0, 0))], scope, ai="no", bucket=name),
            }
        )
    return {
        "all": _cfr_row("all changes", list(counts.values()), scope),
        "by_ai": ai_rows,
        "by_bucket": buckets,
    }


def _weekly_deployed(period: sc.Scope, slices: list[tuple[datetime, datetime]]) -> dict[str, int]:
    """Deployed (n) and failed (k) changes, AI-assisted (a) and other (o), per slice i: keys like na3."""
    totals = {f"{x}{flag}{i}": 0 for x in "nk" for flag in "ao" for i in range(len(slices))}
    if daily.has_figures(period, [M.DEPLOYED]):
        rows = daily.by_day(period, [M.DEPLOYED])[M.DEPLOYED]
        for flag, ai in (("a", True), ("o", False)):
            sums = daily.in_slices([r for r in rows if (r[1] >= 100) is ai], slices)
            for i, (n, k, _) in enumerate(sums):
                totals[f"n{flag}{i}"], totals[f"k{flag}{i}"] = n, k
        return totals
    grouped = (
        sc.changes(period)
        .filter(deployed_at__gte=period.start, deployed_at__lt=period.end)
        .annotate(week=TruncWeek("deployed_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "ai_assisted")
        .annotate(n=Count("pk"), k=Count("pk", filter=Q(failed=True)))
    )
    # Weeks start on Monday at midnight in the portal's time zone, as the slices do.
    index = {timezone.localtime(a).date(): i for i, (a, _) in enumerate(slices)}
    for row in grouped:
        i = index.get(timezone.localtime(row["week"]).date())
        if i is None:  # pragma: no cover - the filter keeps every row inside the slices
            continue
        flag = "a" if row["ai_assisted"] else "o"
        totals[f"n{flag}{i}"], totals[f"k{flag}{i}"] = row["n"], row["k"]
    return totals


def failure_trend(scope: sc.Scope, *, weeks: int = 13) -> dict[str, Any]:
    """CFR AI-assisted against other for each of the `weeks` ISO weeks up to the one the scope ends in (the
    week so far, if it has not ended); one grouped query."""
    slices = sc.weeks_ending(sc.week_end_after(scope.end), weeks)
    totals = _weekly_deployed(scope.with_period(slices[0][0], slices[-1][1]), slices)
    rows = []
    for i, (a, b) in enumerate(slices):
        part = scope.with_period(a, b)
        rows.append(
            {
                "label": sc.slice_label(a, b),
                "ai": {
                    **rate(totals[f"ka{i}"], totals[f"na{i}"]),
                    "deployed_url": sc.drill_url("deployed", part, ai="yes"),
                    "failed_url": sc.drill_url("failed", part, ai="yes"),
                },
                "other": {
                    **rate(totals[f"ko{i}"], totals[f"no{i}"]),
                    "deployed_url": sc.drill_url("deployed", part, ai="no"),
                    "failed_url": sc.drill_url("failed", part, ai="no"),
                },
            }
        )

    return {
        "min_n": MIN_N,
        "weeks": rows,
        "this_week": rows[-1],
        "chart": Chart(
            title="Change failure rate by week: AI-assisted and other",
            kind="line",
            x_labels=weekly_labels([r["label"] for r in rows]),
            series=(
                _rate_series("AI-assisted", [r["ai"] for r in rows]),
                _rate_series("other", [r["other"] for r in rows]),
            ),
            y_title="% of deployed changes (95% CI)",
            unit="%",
        ).as_dict(),
    }


def _listed(queryset: QuerySet[ChangeFact]) -> list[dict[str, Any]]:
    facts = list(queryset.order_by("-merged_at", "change_id")[:LIST_LIMIT])
    changes = Change.objects.select_related("repository", "author").in_bulk([f.change_id for f in facts])
    return [
        {
            "id": f.change_id,
            "title": changes[f.change_id].title,
            "repository": changes[f.change_id].repository.name,
            "author": changes[f.change_id].author.display_name
            if changes[f.change_id].author
            else changes[f.change_id].author_name,
            "merged_at": f.merged_at.isoformat() if f.merged_at else None,
            "approvals": f.approvals_before_merge,
            "needed": f.approvals_needed,
            "url": reverse("reviews:change-detail", args=[f.change_id]),
        }
        for f in facts
    ]


def _approval_counts(scope: sc.Scope) -> dict[str, int]:
    """Standing approvals of the period: timed (n), timed stamps (k), on the host, on owned paths, by non-owners."""
    if not daily.has_figures(scope, [M.APPROVALS]):
        return approvals(scope).aggregate(
            n=Count("pk", filter=Q(time_unknown=False)),
            k=Count("pk", filter=Q(rubber_stamp=True, time_unknown=False)),
            host=Count("pk", filter=Q(time_unknown=True)),
            owned=Count("pk", filter=Q(owner_required=True)),
            by_non_owner=Count("pk", filter=Q(by_non_owner=True)),
        )
    by_flags = {flags: n for flags, (n, _, _) in daily.by_key(scope, M.APPROVALS).items()}

    def count(has: int, lacks: int = 0) -> int:
        return sum(n for flags, n in by_flags.items() if flags & has == has and not flags & lacks)

    return {
        "n": count(0, lacks=TIME_UNKNOWN),
        "k": count(RUBBER_STAMP, lacks=TIME_UNKNOWN),
        "host": count(TIME_UNKNOWN),
        "owned": count(OWNER_REQUIRED),
        "by_non_owner": count(BY_NON_OWNER),
    }


def _detected_counts(scope: sc.Scope) -> dict[str, int]:
    """Changes opened in the period detected as AI-assisted (n), and of those undeclared (k)."""
    if not daily.has_figures(scope, [M.AI_DETECTED]):
        return ai_detected(scope).aggregate(n=Count("pk"), k=Count("pk", filter=Q(ai_undeclared=True)))
    (n, k, _) = daily.by_key(scope, M.AI_DETECTED).get(0, (0, 0, 0))
    return {"n": n, "k": k}


def quality_section(scope: sc.Scope) -> dict[str, Any]:
    """Everything the quality panel shows, as plain values."""
    stamp = _approval_counts(scope)
    non_owner_changes = _count_of_approvals(scope, Q(by_non_owner=True))
    host_changes = _count_of_approvals(scope, Q(time_unknown=True)) if stamp["host"] else 0
    missing = merged_without_sign_off(scope)
    missing_list = _listed(missing)
    detected = _detected_counts(scope)
    cfr = cfr_table(scope)
    chart = Chart(
        title="Change failure rate by size: AI-assisted and other",
        kind="bar",
        x_labels=tuple(b["bucket"] for b in cfr["by_bucket"]),
        series=(
            _rate_series("AI-assisted", [b["ai"] for b in cfr["by_bucket"]]),
            _rate_series("other", [b["other"] for b in cfr["by_bucket"]]),
        ),
        y_title="% of deployed changes (95% CI)",
        unit="%",
    )
    return {
        "definitions": __doc__.split("\n\n", 1)[1]
        .strip()
        .format(min_n=MIN_N, buckets=", ".join(size_bucket_label(name) for name, _, _ in SIZE_BUCKETS)),
        "min_n": MIN_N,
        "cfr": cfr,
        "trend": failure_trend(scope),
        "cfr_chart": chart.as_dict(),
        "rubber_stamp": {**rate(stamp["k"], stamp["n"]), "url": sc.drill_url("rubber_stamped", scope)},
        "host_approved": {
            "approvals": stamp["host"],
            "changes": host_changes,
            "url": sc.drill_url("host_approved", scope),
        },
        "non_owner": {
            "approvals": stamp["owned"],
            "by_non_owner": stamp["by_non_owner"],
            "changes": non_owner_changes,
            "url": sc.drill_url("non_owner", scope),
        },
        "missing_sign_off": {
            "count": missing.count() if len(missing_list) == LIST_LIMIT else len(missing_list),
            "changes": missing_list,
            "url": sc.drill_url("missing_sign_off", scope),
        },
        "undeclared": {**rate(detected["k"], detected["n"]), "url": sc.drill_url("undeclared", scope)},
    }


def _pct(r: dict[str, Any]) -> float | None:
    return round(100 * r["value"], 1) if r["value"] is not None else None


def _rate_series(name: str, rates: list[dict[str, Any]]) -> Series:
    """Rates in percent with their 95% intervals (drawn as error bars); none where there is not enough data."""
    return Series(
        name,
        tuple(_pct(r) for r in rates),
        tuple((round(100 * r["low"], 1), round(100 * r["high"], 1)) if r["value"] is not None else None for r in rates),
    )
