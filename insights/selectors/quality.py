"""Quality: change failure rate of AI-assisted against other changes, by size; sign-off quality; policy gaps.

- change failure rate (CFR): changes deployed in the period that were confirmed as causing an incident, over the
  changes deployed in the period. Suspected or ruled-out links do not count. 95% Wilson intervals; a rate on
  fewer than {min_n} changes is "not enough data", never 0%.
- size buckets by changed lines (added + removed): {buckets}.
- rubber-stamp rate: approvals in the period flagged as rubber stamps (signed off faster than the floor for the
  size, or with files not viewed), over all approvals in the period. Verdicts recorded on the git host or
  imported with history were never timed here: they count when their time is under the floor for the size.
- sign-offs by non-owners on owned paths: approvals in the period on changes whose policy requires an owner, by
  someone who does not own the paths (CODEOWNERS where known, else the teams of the services).
- AI-assisted changes merged without the required sign-off: merged in the period, AI-assisted, with fewer
  approvals by others before the merge than the policy required. Should be zero; each one is listed.
- undeclared but detected AI: changes opened in the period detected as AI-assisted that their author had not
  declared, over all changes opened in the period detected as AI-assisted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.urls import reverse

from insights.charts import Chart, Series, weekly_labels
from insights.selectors import scope as sc
from insights.stats import MIN_N, SIZE_BUCKETS, rate, size_bucket_label
from reviews.codeowners_file import resolve_owner
from reviews.models import Change, ChangeFile, Engineer, Review, Service

LIST_LIMIT = 50


def _bucket_case() -> Case:
    whens = [When(lines__lte=high, then=Value(name)) for name, _low, high in SIZE_BUCKETS if high is not None]
    return Case(*whens, default=Value(SIZE_BUCKETS[-1][0]))


def with_bucket(queryset: QuerySet[Change]) -> QuerySet[Change]:
    return queryset.annotate(lines=F("lines_added") + F("lines_removed")).annotate(bucket=_bucket_case())


def deployed(scope: sc.Scope) -> QuerySet[Change]:
    return sc.changes(scope).filter(deployed_at__gte=scope.start, deployed_at__lt=scope.end)


def failed(scope: sc.Scope) -> QuerySet[Change]:
    return deployed(scope).filter(sc.caused_incident())


def approvals(scope: sc.Scope) -> QuerySet[Review]:
    return sc.reviews(scope).filter(
        verdict=Review.Verdict.APPROVE, created_at__gte=scope.start, created_at__lt=scope.end
    )


def floor_seconds_sql() -> Greatest:
    """reviews.rubberstamp.floor_seconds of the change's size, in SQL, with the portal's floor settings."""
    per_10 = settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES
    lines = F("change__lines_added") + F("change__lines_removed")
    return Greatest(
        Value(settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS),
        (lines * Value(per_10) + Value(9)) / Value(10),
        output_field=IntegerField(),
    )


def stamp_condition() -> Q:
    """A rubber stamp: flagged when signed off in the portal; for verdicts recorded elsewhere (the git host, or
    imported history), which were never timed against the floor here, active time under the floor."""
    return Q(rubber_stamp=True) | (~Q(source=Review.Source.PORTAL) & Q(seconds_spent__lt=F("floor")))


def stamped_approvals(scope: sc.Scope) -> QuerySet[Review]:
    return approvals(scope).annotate(floor=floor_seconds_sql())


def rubber_stamped(scope: sc.Scope) -> QuerySet[Change]:
    return sc.changes(scope).filter(pk__in=stamped_approvals(scope).filter(stamp_condition()).values("change_id"))


def merged_without_sign_off(scope: sc.Scope) -> QuerySet[Change]:
    before_merge = Q(reviews__verdict=Review.Verdict.APPROVE, reviews__created_at__lte=F("merged_at")) & ~Q(
        reviews__reviewer_id=F("author_id")
    )
    return (
        sc.changes(scope)
        .filter(sc.NEEDS_SIGN_OFF, ai_assisted=True, state=Change.State.MERGED)
        .filter(merged_at__gte=scope.start, merged_at__lt=scope.end)
        .annotate(
            approvals_before_merge=Count("reviews", filter=before_merge),
            approvals_needed=Greatest(
                F("required_sign_offs"), Case(When(requires_owner=True, then=1), default=0, output_field=IntegerField())
            ),
        )
        .filter(approvals_before_merge__lt=F("approvals_needed"))
    )


def ai_detected(scope: sc.Scope) -> QuerySet[Change]:
    return sc.changes(scope).filter(ai_assisted=True, opened_at__gte=scope.start, opened_at__lt=scope.end)


def undeclared(scope: sc.Scope) -> QuerySet[Change]:
    return ai_detected(scope).filter(ai_undeclared=True)


def non_owner_sign_offs(scope: sc.Scope) -> tuple[int, list[int]]:
    """Approvals in the period on changes that need an owner, and the changes whose approvals include one by a
    non-owner. Four queries, then work over the period's owner-required approvals only."""
    rows = list(
        approvals(scope)
        .filter(change__requires_owner=True)
        .values_list("reviewer_id", "change_id", "change__owner_paths", "change__path_owners", "change__repository_id")
    )
    if not rows:
        return 0, []
    without_paths = {change_id for _, change_id, owner_paths, _, _ in rows if not owner_paths}
    files: dict[int, list[str]] = {}
    for change_id, path in ChangeFile.objects.filter(change_id__in=without_paths).values_list("change_id", "path"):
        files.setdefault(change_id, []).append(path)
    services = list(Service.objects.values_list("repository_id", "path_prefixes", "team_id"))
    by_login: dict[str, int] = {}
    by_email: dict[str, int] = {}
    members: dict[str, list[int]] = {}
    team_of: dict[int, int | None] = {}
    for pk, github, gitlab, email, team_slug, team_id in Engineer.objects.values_list(
        "pk", "github_login", "gitlab_username", "email", "team__slug", "team_id"
    ):
        for login in (github, gitlab):
            if login:
                by_login[login.lower()] = pk
        by_email[email.lower()] = pk
        team_of[pk] = team_id
        if team_slug:
            members.setdefault(team_slug.lower(), []).append(pk)
    flagged: list[int] = []
    for reviewer_id, change_id, owner_paths, path_owners, repository_id in rows:
        paths = list(owner_paths or ()) or files.get(change_id, [])
        tokens = {t for p in paths for t in (path_owners or {}).get(p, ())}
        if tokens:
            owners: set[int] = set()
            for token in tokens:
                owners |= resolve_owner(
                    token, engineers_by_login=by_login, engineers_by_email=by_email, team_members=members
                )
            is_owner = reviewer_id in owners
        else:
            teams = {
                team_id
                for repo_id, prefixes, team_id in services
                if repo_id == repository_id and team_id and any(p.startswith(tuple(prefixes or ())) for p in paths)
            }
            # As the sign-off rules do: with no owner on record for the paths, any senior's sign-off counts.
            is_owner = not teams or team_of.get(reviewer_id) in teams
        if not is_owner and change_id not in flagged:
            flagged.append(change_id)
    return len(rows), flagged


def _counts(queryset: QuerySet[Change]) -> dict[tuple[bool, str], tuple[int, int]]:
    """(ai, bucket) -> (deployed, failed), in one grouped query."""
    grouped = (
        with_bucket(queryset)
        .annotate(failed=sc.caused_incident())
        .values("ai_assisted", "bucket")
        .annotate(n=Count("pk"), k=Count("pk", filter=Q(failed=True)))
    )
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


def cfr_table(scope: sc.Scope) -> dict[str, Any]:
    """CFR for AI-assisted and other changes, overall and per size bucket."""
    counts = _counts(deployed(scope))
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


def failure_trend(scope: sc.Scope, *, weeks: int = 13) -> dict[str, Any]:
    """CFR AI-assisted against other for each of the `weeks` ISO weeks up to the one the scope ends in (the
    week so far, if it has not ended); one query."""
    slices = sc.weeks_ending(sc.week_end_after(scope.end), weeks)
    queryset = sc.changes(scope).filter(deployed_at__gte=slices[0][0], deployed_at__lt=slices[-1][1])
    aggregates = {}
    for i, (a, b) in enumerate(slices):
        for flag, ai in (("a", True), ("o", False)):
            when = Q(deployed_at__gte=a, deployed_at__lt=b, ai_assisted=ai)
            aggregates[f"n{flag}{i}"] = Count("pk", filter=when)
            aggregates[f"k{flag}{i}"] = Count("pk", filter=when & Q(failed=True))
    totals = queryset.annotate(failed=sc.caused_incident()).aggregate(**aggregates)
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

    def pct(r: dict[str, Any]) -> float | None:
        return round(100 * r["value"], 1) if r["value"] is not None else None

    return {
        "min_n": MIN_N,
        "weeks": rows,
        "this_week": rows[-1],
        "chart": Chart(
            title="Change failure rate by week: AI-assisted and other",
            kind="line",
            x_labels=weekly_labels([r["label"] for r in rows]),
            series=(
                Series("AI-assisted", tuple(pct(r["ai"]) for r in rows)),
                Series("other", tuple(pct(r["other"]) for r in rows)),
            ),
            y_title="% of deployed changes",
            unit="%",
        ).as_dict(),
    }


def _listed(queryset: QuerySet[Change]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "title": c.title,
            "repository": c.repository.name,
            "author": c.author.display_name if c.author else c.author_name,
            "merged_at": c.merged_at.isoformat() if c.merged_at else None,
            "approvals": c.approvals_before_merge,
            "needed": c.approvals_needed,
            "url": reverse("reviews:change-detail", args=[c.pk]),
        }
        for c in queryset.select_related("repository", "author").order_by("-merged_at", "pk")[:LIST_LIMIT]
    ]


def quality_section(scope: sc.Scope) -> dict[str, Any]:
    """Everything the quality panel shows, as plain values."""
    stamp = stamped_approvals(scope).aggregate(n=Count("pk"), k=Count("pk", filter=stamp_condition()))
    owner_n, owner_flagged = non_owner_sign_offs(scope)
    missing = merged_without_sign_off(scope)
    missing_list = _listed(missing)
    detected = ai_detected(scope).aggregate(n=Count("pk"), k=Count("pk", filter=Q(ai_undeclared=True)))
    cfr = cfr_table(scope)
    chart = Chart(
        title="Change failure rate by size: AI-assisted and other",
        kind="bar",
        x_labels=tuple(b["bucket"] for b in cfr["by_bucket"]),
        series=(
            Series("AI-assisted", tuple(_pct(b["ai"]) for b in cfr["by_bucket"])),
            Series("other", tuple(_pct(b["other"]) for b in cfr["by_bucket"])),
        ),
        y_title="% of deployed changes",
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
        "non_owner": {
            "approvals": owner_n,
            "changes": len(owner_flagged),
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
