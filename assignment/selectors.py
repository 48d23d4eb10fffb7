"""Read queries of the assignment app: the what-if runs and what the what-if form offers."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.json import KT

from reviews.models import Engineer, PolicyVersion, Repository, WhatIfRun


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
