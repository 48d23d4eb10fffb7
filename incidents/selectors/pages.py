"""Read queries behind the incident pages and the API, each in a fixed number of SQL queries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from incidents.models import (
    ActionItem,
    FixTrace,
    Incident,
    IncidentChangeLink,
    SuspectModel,
    TimelineEntry,
    WhyChain,
)
from reviews.models import Change, Engineer, GateOverride, GateResult, Review, Service


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


def _links_with_full_record() -> Prefetch:
    """Links with everything the correction-of-error review shows of each change: reviews, gates, overrides."""
    return Prefetch(
        "links",
        queryset=IncidentChangeLink.objects.select_related(
            "change", "change__repository", "change__author", "decided_by"
        ).prefetch_related(
            Prefetch("change__reviews", queryset=Review.objects.select_related("reviewer").order_by("created_at")),
            Prefetch("change__gate_results", queryset=GateResult.objects.order_by("name")),
            Prefetch("change__gate_overrides", queryset=GateOverride.objects.select_related("senior")),
        ),
    )


def incident_list(limit: int = 200) -> QuerySet[Incident]:
    """Recent incidents with their services."""
    return Incident.objects.prefetch_related("services").order_by("-started_at")[:limit]


def incident_detail(incident_id: int) -> Incident | None:
    """An incident with its services, timeline, linked changes and their full review records, and its review."""
    return (
        Incident.objects.select_related("commander", "repository", "coe", "coe__updated_by")
        .prefetch_related(
            "services",
            _links_with_full_record(),
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("author").order_by("at", "id")),
            Prefetch("why_chains", queryset=WhyChain.objects.order_by("position", "id")),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("due_date", "id")),
        )
        .filter(pk=incident_id)
        .first()
    )


def incident_for_update(incident_id: int) -> Incident | None:
    """An incident with its services, for the edit form and the API."""
    return (
        Incident.objects.select_related("repository", "commander")
        .prefetch_related("services")
        .filter(pk=incident_id)
        .first()
    )


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


def link_states(incident: Incident) -> dict[int, str]:
    """Change id to the state of its link to the incident."""
    return dict(IncidentChangeLink.objects.filter(incident=incident).values_list("change_id", "state"))


def fix_trace(incident: Incident) -> FixTrace | None:
    """The SZZ trace of the incident's current fix commit, if one was started."""
    if not incident.fix_sha:
        return None
    return FixTrace.objects.filter(incident=incident, fix_sha=incident.fix_sha).first()


def suspect_model() -> SuspectModel | None:
    """The newest stored suspect model (fitted weights), if any."""
    return SuspectModel.objects.order_by("-created_at", "-pk").first()


def engineers_for_choice() -> QuerySet[Engineer]:
    """Engineers to pick as an owner or commander."""
    return Engineer.objects.order_by("display_name").only("id", "display_name", "level")


def action_items(incident: Incident) -> list[ActionItem]:
    """An incident's action items with their owners."""
    return list(ActionItem.objects.filter(incident=incident).select_related("owner").order_by("due_date", "id"))


def why_chains(incident: Incident) -> list[WhyChain]:
    """An incident's "5 whys" chains in order."""
    return list(WhyChain.objects.filter(incident=incident).order_by("position", "id"))


def incidents_filtered(
    *,
    q: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    service: Service | str | None = None,
    repository: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> QuerySet[Incident]:
    """Incidents matching every filter given (words or INC-n, state, severity, a service or its name, repository,
    start), newest first, with their services and repository (the incidents list and the API)."""
    rows = Incident.objects.select_related("repository").prefetch_related("services").order_by("-started_at", "-pk")
    if q:
        match = Q(title__icontains=q) | Q(summary__icontains=q)
        digits = q.upper().removeprefix("INC-").removeprefix("INC")
        if digits.isdigit() and len(digits) < 10:
            match |= Q(pk=int(digits))
        rows = rows.filter(match)
    if status:
        rows = rows.filter(status=status)
    if severity:
        rows = rows.filter(severity=severity)
    if isinstance(service, str) and service:
        rows = rows.filter(services__name=service)
    elif service is not None and not isinstance(service, str):
        rows = rows.filter(services=service)
    if repository:
        rows = rows.filter(repository__name=repository)
    if started_after is not None:
        rows = rows.filter(started_at__gte=started_after)
    if started_before is not None:
        rows = rows.filter(started_at__lt=started_before)
    return rows
