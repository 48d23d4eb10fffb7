"""Small hand-built histories for the metric tests: changes, verdicts, deployments and confirmed causes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from incidents.models import Incident, IncidentChangeLink
from reviews.models import Change, Engineer, Repository, Review

_ids = itertools.count(1)


def change(
    repository: Repository,
    *,
    author: Engineer | None = None,
    opened: datetime,
    merged: datetime | None = None,
    deployed: datetime | None = None,
    ai: bool = False,
    lines: int = 10,
    needs: int = 1,
    **extra,
) -> Change:
    n = next(_ids)
    return Change.objects.create(
        repository=repository,
        external_id=f"c{n}",
        title=extra.pop("title", f"Change {n}"),
        head_sha=f"{n:040x}",
        author=author,
        opened_at=opened,
        merged_at=merged,
        deployed_at=deployed,
        state=Change.State.MERGED if merged else extra.pop("state", Change.State.OPEN),
        ai_assisted=ai,
        lines_added=lines,
        required_sign_offs=needs,
        **extra,
    )


def verdict(
    c: Change, reviewer: Engineer, at: datetime, *, verdict: str = "approve", seconds: int = 600, **extra
) -> Review:
    return Review.objects.create(
        change=c,
        reviewer=reviewer,
        verdict=verdict,
        head_sha=extra.pop("head_sha", c.head_sha),
        seconds_spent=seconds,
        created_at=at,
        **extra,
    )


def confirm(c: Change, at: datetime, *, state: str = IncidentChangeLink.State.CONFIRMED) -> IncidentChangeLink:
    incident = Incident.objects.create(title=f"Outage after {c.title}", severity="SEV2", started_at=at)
    return IncidentChangeLink.objects.create(incident=incident, change=c, state=state)


# Monday of ISO week 2026-W47, 00:00 UTC (the tests' time zone).
W47 = datetime(2026, 11, 16, tzinfo=UTC)
W48 = W47 + timedelta(days=7)


def refresh() -> None:
    """Bring the dashboards' fact rollups up to date, as the beat job would."""
    from insights.services import facts_refresh

    facts_refresh()
