"""Knowledge: files and directories only one person knows, the bus factor, and their trend (from rollups).

- a person knows a file they authored (a merged change touching it) or reviewed (a verdict on a change
  touching it); they count while active: they authored or reviewed something in the 90 days before.
- known by one person: exactly one active person knows it. Generated files are left out.
- bus factor: the fewest active people whose leaving would leave more than half of the files with nobody who
  knows them (the greedy estimate of Avelino et al.).
- figures come from snapshots that a worker takes every night (`insights.rebuild_knowledge`, or
  `manage.py rebuild_insights`); the page says when the newest was taken.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from incidents.report.weeks import iso_week_of
from insights.models import KnowledgeSnapshot, SoleKnowledge
from insights.selectors import scope as sc
from portal.charts import Chart, Series, weekly_labels
from reviews.models import Service

TOP_PEOPLE = 10
TREND_WEEKS = 13


def _snapshots(scope: sc.Scope) -> QuerySet[KnowledgeSnapshot]:
    rows = KnowledgeSnapshot.objects.filter(as_of__lte=scope.end)
    rows = rows.filter(team_id=scope.team_id) if scope.team_id is not None else rows.filter(team__isnull=True)
    if scope.repository_id is not None:
        rows = rows.filter(repository_id=scope.repository_id)
    return rows.order_by()


def sole_knowledge(scope: sc.Scope, *, directories: bool | None = None) -> QuerySet[SoleKnowledge]:
    """The newest list of files (and directories) only one person knows, in the scope's repository and team."""
    rows = SoleKnowledge.objects.all()
    if directories is not None:
        rows = rows.filter(is_directory=directories)
    if scope.repository_id is not None:
        rows = rows.filter(repository_id=scope.repository_id)
    if scope.team_id is not None:
        condition = Q(pk__in=[])
        for repository_id, prefixes in Service.objects.filter(team_id=scope.team_id).values_list(
            "repository_id", "path_prefixes"
        ):
            for prefix in prefixes or []:
                condition |= Q(repository_id=repository_id, path__startswith=prefix)
                # The directory a prefix names ("src/" names "src") is the team's too.
                condition |= Q(repository_id=repository_id, is_directory=True, path=prefix.rstrip("/"))
        rows = rows.filter(condition)
    return rows


def knowledge_section(scope: sc.Scope, *, per_person: bool = True) -> dict[str, Any]:
    """Newest figures per repository, the weekly trend, and who holds the most sole knowledge."""
    snapshots = _snapshots(scope)
    newest = snapshots.values("repository_id").annotate(at=Max("as_of"))
    latest_at = {row["repository_id"]: row["at"] for row in newest}
    latest = [
        s
        for s in snapshots.filter(as_of__in=set(latest_at.values())).select_related("repository")
        if latest_at.get(s.repository_id) == s.as_of
    ]
    repositories = [
        {
            "repository": s.repository.name,
            "files": s.files,
            "files_single": s.files_single,
            "files_none": s.files_none,
            "single_pct": round(100 * s.files_single / s.files) if s.files else None,
            "directories": s.directories,
            "directories_single": s.directories_single,
            "people": s.people,
            "bus_factor": s.bus_factor,
            "as_of": s.as_of.isoformat(),
            "files_url": f"{reverse('insights:sole-list')}?{_query(scope, s.repository_id, directories='no')}",
            "directories_url": f"{reverse('insights:sole-list')}?{_query(scope, s.repository_id, directories='yes')}",
        }
        for s in sorted(latest, key=lambda s: s.repository.name)
    ]
    weekly: dict[datetime, dict[str, int]] = defaultdict(lambda: {"files": 0, "single": 0, "none": 0})
    bus: dict[datetime, list[int]] = defaultdict(list)
    history = snapshots.filter(as_of__gte=scope.end - timedelta(days=7 * TREND_WEEKS))
    for as_of, files, single, none, factor in history.order_by("as_of").values_list(
        "as_of", "files", "files_single", "files_none", "bus_factor"
    ):
        weekly[as_of]["files"] += files
        weekly[as_of]["single"] += single
        weekly[as_of]["none"] += none
        if files:
            bus[as_of].append(factor)
    moments = sorted(weekly)
    labels = [_label(m) for m in moments]
    holders = (
        sole_knowledge(scope, directories=False)
        .values("person_name", "engineer_id")
        .annotate(files=Count("pk"))
        .order_by("-files", "person_name")[:TOP_PEOPLE]
    )
    newest_at = max(latest_at.values()) if latest_at else None
    return {
        "definitions": __doc__.split("\n\n", 1)[1].strip(),
        "as_of": newest_at.isoformat() if newest_at else None,
        "repositories": repositories,
        "files_single": sum(r["files_single"] for r in repositories),
        "files": sum(r["files"] for r in repositories),
        "holders": [{"name": h["person_name"], "files": h["files"]} for h in holders] if per_person else [],
        "chart": Chart(
            title="Files known by one active person, and by none",
            kind="line",
            x_labels=tuple(labels),
            series=(
                Series(
                    "% known by one",
                    tuple(
                        round(100 * weekly[x]["single"] / weekly[x]["files"], 1) if weekly[x]["files"] else None
                        for x in moments
                    ),
                ),
                Series(
                    "% known by none",
                    tuple(
                        round(100 * weekly[x]["none"] / weekly[x]["files"], 1) if weekly[x]["files"] else None
                        for x in moments
                    ),
                ),
            ),
            unit="%",
        ).as_dict(),
        "bus_chart": Chart(
            title="Bus factor (lowest over the repositories)",
            kind="line",
            x_labels=tuple(labels),
            series=(Series("bus factor", tuple(float(min(bus[x])) if bus[x] else None for x in moments)),),
        ).as_dict(),
    }


def _label(moment: datetime) -> str:
    """'W47' for a snapshot taken as week 47 ended (Monday 00:00), else the day it was taken ('25 Nov')."""
    local = timezone.localtime(moment)
    if local.weekday() == 0 and local.time() == time.min:
        return weekly_labels([iso_week_of(local.date() - timedelta(days=1))])[0]
    return f"{local.day} {local:%b}"


def _query(scope: sc.Scope, repository_id: int, **extra: str) -> str:
    params = scope.query(**extra)
    params["repository"] = str(repository_id)
    return urlencode(params)
