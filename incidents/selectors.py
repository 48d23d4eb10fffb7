"""Read queries of the incidents app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from incidents.models import Incident, IncidentChangeLink
from reviews.models import Change, Review


def _links_with_review_record() -> Prefetch:
    reviews = Prefetch(
        "change__reviews",
        queryset=Review.objects.select_related("reviewer").order_by("created_at"),
    )
    return Prefetch(
        "links",
        queryset=IncidentChangeLink.objects.select_related(
            "change", "change__repository", "change__author", "decided_by"
        ).prefetch_related(reviews),
    )


def incident_list(limit: int = 200) -> QuerySet[Incident]:
    """Recent incidents with their services."""
    return Incident.objects.prefetch_related("services").order_by("-started_at")[:limit]


def incident_detail(incident_id: int) -> Incident | None:
    """An incident with its services and linked changes and their review records."""
    return Incident.objects.prefetch_related("services", _links_with_review_record()).filter(pk=incident_id).first()


def incidents_between(start: datetime, end: datetime) -> list[Incident]:
    """Incidents that started in [start, end), with linked changes and review records."""
    return list(
        Incident.objects.filter(started_at__gte=start, started_at__lt=end)
        .prefetch_related("services", _links_with_review_record())
        .order_by("started_at")
    )


def find_change(repository_name: str, sha_or_id: str) -> Change | None:
    """A change by repository and head SHA prefix (at least 7 characters), or by id."""
    value = sha_or_id.strip().lower()
    if value.isdigit() and len(value) < 7:
        return Change.objects.filter(pk=int(value)).first()
    if len(value) < 7 or len(value) > 40 or any(c not in "0123456789abcdef" for c in value):
        return None
    matches = list(
        Change.objects.filter(repository__name=repository_name, head_sha__startswith=value).order_by("-opened_at")[:2]
    )
    return matches[0] if len(matches) == 1 else None
