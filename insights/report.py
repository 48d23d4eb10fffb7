"""The weekly report's metric sections, as a JSON-ready snapshot (the report freezes it when finalised).

`templates/insights/_report_sections.html` renders the snapshot with the dashboards' own partials, from the
snapshot alone: a final report shows the same figures later without reading the database again.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from insights.selectors import knowledge, pipeline, quality, seniors
from insights.selectors.scope import Scope
from insights.services import facts_refresh
from reviews.models import Team

TREND_WEEKS = 13  # the week ending at `end` and the 12 before it


def team_dashboard(scope: Scope) -> dict[str, Any]:
    """The sections of one team's dashboard (team figures only: no per-person rows)."""
    return {
        "scope": scope.describe(),
        "pipeline": pipeline.pipeline_section(scope),
        "seniors": seniors.seniors_section(scope, per_person=False),
        "quality": quality.quality_section(scope),
        "knowledge": knowledge.knowledge_section(scope, per_person=False),
    }


def pick_team(seed: str) -> Team | None:
    """One team, picked at random but the same for the same seed (the ISO week)."""
    teams = list(Team.objects.order_by("slug"))
    return random.Random(seed).choice(teams) if teams else None  # noqa: S311 - not for security


def report_sections(*, start: datetime, end: datetime, seed: str) -> dict[str, Any]:
    """Failure trend, pipeline health and one team's dashboard for [start, end), as plain JSON values.

    The change and verdict facts are brought up to date first (only what changed since the last refresh), so a
    report built right after an incident was confirmed counts it.
    """
    facts_refresh()
    scope = Scope(start=start, end=end)
    team = pick_team(seed)
    team_section = None
    if team is not None:
        team_scope = Scope(start=start, end=end, team_id=team.pk, team_name=team.name, team_slug=team.slug)
        team_section = {"name": team.name, "seed": seed, **team_dashboard(team_scope)}
    return {
        "failure_trend": quality.failure_trend(scope, weeks=TREND_WEEKS),
        "pipeline": {
            **pipeline.pipeline_section(scope),
            "scope": scope.describe(),
            "senior_load": seniors.seniors_section(scope, per_person=False),
        },
        "team": team_section,
    }
