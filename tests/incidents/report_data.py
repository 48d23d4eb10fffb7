"""A week of incidents for the weekly report's tests: incidents, a confirmed AI-assisted cause, action items."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from incidents.models import ActionItem, CorrectionOfError, Incident, IncidentChangeLink
from reviews.models import Change, Engineer, GateResult, Review, Service

WEEK = "2026-W47"
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


def sha_of(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - a stand-in commit id, not security


def make_change(repository, author: Engineer, **fields) -> Change:
    n = next(_ids)
    values = {
        "repository": repository,
        "external_id": sha_of(f"report change {n}"),
        "head_sha": sha_of(f"report change {n}"),
        "title": f"Retry payment calls, part {n}",
        "author": author,
        "state": Change.State.MERGED,
        "review_state": Change.ReviewState.APPROVED,
        "diff_state": Change.DiffState.DONE,
        "required_sign_offs": 1,
        "opened_at": datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
        "merged_at": datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
        "risk_score": 0.72,
        "lines_added": 640,
    }
    values.update(fields)
    return Change.objects.create(**values)


def make_incident(title: str, *, hours: float = 34, **fields) -> Incident:
    start = MONDAY + timedelta(hours=hours)
    return Incident.objects.create(
        title=title,
        severity=fields.pop("severity", Incident.Severity.SEV2),
        started_at=start,
        detected_at=start + timedelta(minutes=fields.pop("detect", 6)),
        resolved_at=start + timedelta(minutes=fields.pop("resolve", 95)),
        **fields,
    )


@dataclass
class Week:
    incident: Incident
    change: Change
    author: Engineer
    senior: Engineer
    service: Service


def seed_week(repository, make_engineer) -> Week:
    """One SEV1 caused by an AI-assisted, rubber-stamped change with a failing gate; a SEV3 with no cause."""
    author = make_engineer(4, username="ada")
    senior = make_engineer(7, username="grace")
    service = Service.objects.create(name="checkout-api", repository=repository, path_prefixes=["checkout/"])
    change = make_change(
        repository, author, title="Rewrite tax rounding", ai_assisted=True, ai_evidence=["Co-authored-by: Claude"]
    )
    GateResult.objects.create(change=change, head_sha=change.head_sha, name="size", status="warn", message="640 lines")
    Review.objects.create(
        change=change,
        reviewer=senior,
        verdict=Review.Verdict.APPROVE,
        head_sha=change.head_sha,
        seconds_spent=41,
        rubber_stamp=True,
        created_at=datetime(2026, 11, 11, 15, 0, tzinfo=UTC),
    )
    incident = make_incident("Checkout charges the wrong tax", severity=Incident.Severity.SEV1)
    incident.services.add(service)
    IncidentChangeLink.objects.create(
        incident=incident, change=change, state=IncidentChangeLink.State.CONFIRMED, reason="the rounding it rewrote"
    )
    CorrectionOfError.objects.create(incident=incident, summary="Tax off by a cent", root_cause="No test")
    make_incident("Search is slow", hours=80, severity=Incident.Severity.SEV3)
    make_incident("Last week's outage", hours=-30)
    item = ActionItem.objects.create(incident=incident, title="Add a tax rounding test", owner=author)
    ActionItem.objects.filter(pk=item.pk).update(created_at=MONDAY + timedelta(days=2))
    old = ActionItem.objects.create(incident=incident, title="Canary the checkout", due_date=date(2026, 11, 19))
    ActionItem.objects.filter(pk=old.pk).update(created_at=MONDAY - timedelta(days=20))
    return Week(incident, change, author, senior, service)
