"""Every write of the incidents app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from incidents.models import Incident, IncidentChangeLink
from reviews.models import Change, Service
from reviews.services import ServiceError, audit_record


def incident_create(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime,
    services: list[Service],
    summary: str = "",
    detected_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> Incident:
    """Record an incident and audit it."""
    if severity not in Incident.Severity.values:
        raise ServiceError(f"unknown severity {severity!r}")
    for label, moment in (("detected", detected_at), ("resolved", resolved_at)):
        if moment is not None and moment < started_at:
            raise ServiceError(f"{label} time is before the start")
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title.strip()[:300],
            severity=severity,
            started_at=started_at,
            detected_at=detected_at,
            resolved_at=resolved_at,
            status=Incident.Status.RESOLVED if resolved_at else Incident.Status.OPEN,
            summary=summary,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        incident.services.set(services)
        audit_record(actor=actor, action="incident.created", target=incident, payload={"title": incident.title})
    return incident


def incident_link_change(
    *, actor: Any, incident: Incident, change: Change, state: str, reason: str = ""
) -> IncidentChangeLink:
    """Suspect, confirm or rule out a change as a cause of an incident; audited, latest decision wins."""
    if state not in IncidentChangeLink.State.values:
        raise ServiceError(f"unknown link state {state!r}")
    with transaction.atomic():
        link, created = IncidentChangeLink.objects.select_for_update().get_or_create(
            incident=incident,
            change=change,
            defaults={
                "state": state,
                "reason": reason[:5000],
                "decided_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        previous = None if created else link.state
        if not created:
            link.state = state
            link.reason = reason[:5000]
            link.decided_by = actor if getattr(actor, "pk", None) else None
            link.save(update_fields=["state", "reason", "decided_by", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.link",
            target=incident,
            payload={"change_id": change.pk, "from": previous, "to": state, "reason": reason[:500]},
        )
    return link
