"""Seniors: review load against capacity per team (and per person for those allowed), concentration, away time.

- load: the estimated review minutes of each verdict a senior gave in the period (the estimate the assignment
  engine uses); time spent: the minutes they actually had the change open, as recorded with each verdict.
- capacity: weekly review minutes times the period's length in weeks.
- top 10% share: the share of all review minutes spent by the busiest tenth of the seniors (at least one);
  Gini: 0 when every senior spent the same, towards 1 when one did it all.
- away: marked away now, with the date they said they will be back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Sum

from insights.models import DayFigure, ReviewFact
from insights.selectors import daily
from insights.selectors import scope as sc
from insights.stats import gini, top_share
from portal.charts import Chart, Series

M = DayFigure.Metric


def senior_rows(scope: sc.Scope) -> list[dict[str, Any]]:
    """One row per senior with load, time spent and verdicts in the period; two queries."""
    people = list(sc.seniors(scope).select_related("team").order_by("team__name", "display_name"))
    work = _work(scope, [e.pk for e in people])
    weeks = scope.days / 7
    rows = []
    for e in people:
        done = work.get(e.pk, {})
        rows.append(
            {
                "id": e.pk,
                "name": e.display_name,
                "level": e.level,
                "team": e.team.name if e.team else "(no team)",
                "team_id": e.team_id,
                "capacity_minutes": round(e.weekly_capacity_minutes * weeks),
                "load_minutes": done.get("load") or 0,
                "spent_minutes": round((done.get("spent") or 0) / 60),
                "verdicts": done.get("verdicts") or 0,
                "away": bool(e.is_away),
                "away_until": e.away_until.isoformat() if e.away_until else None,
                "url": sc.drill_url("reviewed", scope, reviewer=e.pk),
            }
        )
    return rows


def _work(scope: sc.Scope, reviewer_ids: list[int]) -> dict[int, dict[str, int]]:
    """Estimated minutes (load), seconds spent and verdicts (comments aside) of each of these reviewers in the
    period, on the scope's repository; the scope's team is theirs, so it filters nothing more."""
    if daily.has_figures(scope, [M.VERDICTS]):
        return {
            reviewer: {"load": load, "spent": spent, "verdicts": n}
            for reviewer, (n, load, spent) in daily.by_key(scope, M.VERDICTS, reviewer_ids).items()
        }
    verdicts = ReviewFact.objects.filter(
        created_at__gte=scope.start, created_at__lt=scope.end, reviewer_id__in=reviewer_ids
    ).exclude(verdict="comment")
    if scope.repository_id is not None:
        verdicts = verdicts.filter(repository_id=scope.repository_id)
    return {
        row["reviewer_id"]: row
        for row in verdicts.order_by()
        .values("reviewer_id")
        .annotate(load=Sum("estimated_minutes"), spent=Sum("seconds_spent"), verdicts=Count("pk"))
    }


CHART_MAX = 25


def _pct(part: float, whole: float) -> int | None:
    return round(100 * part / whole) if whole else None


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def seniors_section(scope: sc.Scope, *, per_person: bool) -> dict[str, Any]:
    """Team totals always; per-senior rows only when `per_person` (the team's own manager, or staff)."""
    people = senior_rows(scope)
    teams: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"seniors": 0, "capacity_minutes": 0, "load_minutes": 0, "spent_minutes": 0, "verdicts": 0, "away": 0}
    )
    for p in people:
        t = teams[p["team"]]
        t["seniors"] += 1
        t["away"] += p["away"]
        for key in ("capacity_minutes", "load_minutes", "spent_minutes", "verdicts"):
            t[key] += p[key]
    team_rows = []
    for name, t in sorted(teams.items()):
        team_rows.append({"team": name, **t, "load_pct": _pct(t["load_minutes"], t["capacity_minutes"])})
    for p in people:
        p["load_pct"] = _pct(p["load_minutes"], p["capacity_minutes"])
    spent = [float(p["spent_minutes"]) for p in people]
    shown = people if per_person else team_rows
    label = "name" if per_person else "team"
    # A bar per senior of a 2,000-person organisation is 300 unreadable bars (and seconds of SVG): the chart shows
    # the most loaded, the table below lists everyone.
    charted = (
        sorted(shown, key=lambda r: (-r["load_minutes"], str(r[label])))[:CHART_MAX]
        if len(shown) > CHART_MAX
        else shown
    )
    whom = " per senior" if per_person else " per team"
    if len(charted) < len(shown):
        whom = f": the {len(charted)} most loaded of {len(shown)} {'seniors' if per_person else 'teams'}"
    return {
        "definitions": __doc__.split("\n\n", 1)[1].strip(),
        "per_person": per_person,
        "teams": team_rows,
        "people": people if per_person else [],
        "away": [{"name": p["name"], "until": p["away_until"]} for p in people if p["away"]] if per_person else [],
        "away_count": sum(p["away"] for p in people),
        "seniors": len(people),
        "top10_share_pct": round(100 * top_share(spent, 0.1)) if sum(spent) else None,
        "gini": round(gini(spent), 2) if sum(spent) else None,
        "reviewed_url": sc.drill_url("reviewed", scope),
        # Load and time spent as a share of each one's capacity: capacity drawn as a bar of its own dwarfed them.
        "chart": Chart(
            title="Review load as a share of capacity" + whom,
            kind="hbar",
            x_labels=tuple(str(r[label]) for r in charted),
            series=(
                Series("load (estimated)", tuple(_share(r["load_minutes"], r["capacity_minutes"]) for r in charted)),
                Series("time spent", tuple(_share(r["spent_minutes"], r["capacity_minutes"]) for r in charted)),
            ),
            y_title="% of capacity",
            unit="%",
        ).as_dict(),
    }
