"""PagerDuty deliveries: stored once (deduplicated on X-Webhook-Id) and applied to the incident they describe."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident, PagerDutyService, TimelineEntry
from incidents.pagerduty import PagerDutyEvent, PayloadError, parse_event, severity_for
from incidents.services.records import incident_create
from reviews.audit import audit_record
from reviews.models import Delivery, Engineer, Service

log = logging.getLogger(__name__)
SOURCE = "pagerduty"


def pagerduty_receive(*, delivery_id: str, payload: dict, event: PagerDutyEvent) -> tuple[Delivery, bool]:
    """Store a delivery once and apply it in the same transaction; returns (delivery, is_new).

    A failure while applying is recorded on the stored delivery rather than lost with it: PagerDuty drops a
    webhook it got a 4xx for, and retries a 5xx only a few times.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    provider=Delivery.Provider.PAGERDUTY,
                    delivery_id=delivery_id[:200],
                    event=event.event_type[:100],
                    action=event.action[:100],
                    payload=payload,
                )
        except IntegrityError:
            return Delivery.objects.get(provider=Delivery.Provider.PAGERDUTY, delivery_id=delivery_id[:200]), False
        try:
            with transaction.atomic():
                status, note = pagerduty_apply(event)
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the delivery; it stays stored as failed
            log.exception("PagerDuty delivery %s could not be applied", delivery_id)
            status, note = Delivery.Status.FAILED, f"{type(exc).__name__}: {exc}"
        delivery.status = status
        delivery.error = note[:5000]
        delivery.attempts = 1
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "error", "attempts", "processed_at"])
    return delivery, True


def pagerduty_redeliver(*, delivery: Delivery, actor: Any) -> Delivery:
    """Apply a stored PagerDuty delivery again (after mapping its service, say); idempotent per event."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk, provider=Delivery.Provider.PAGERDUTY)
        try:
            with transaction.atomic():
                status, note = pagerduty_apply(parse_event(delivery.payload))
        except PayloadError as exc:
            status, note = Delivery.Status.FAILED, str(exc)
        delivery.status = status
        delivery.error = note[:5000]
        delivery.attempts += 1
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "error", "attempts", "processed_at"])
        audit_record(actor=actor, action="delivery.redelivered", target=delivery, payload={"status": status})
    return delivery


def mapped_services(event: PagerDutyEvent) -> list[Service]:
    """The portal services a PagerDuty service stands for: as mapped in the admin, else by the same name."""
    if not event.service_id:
        return []
    known, created = PagerDutyService.objects.get_or_create(
        pagerduty_id=event.service_id, defaults={"name": event.service_name}
    )
    if not created and event.service_name and known.name != event.service_name:
        known.name = event.service_name
        known.save(update_fields=["name"])
    services = list(known.services.all())
    if not services and event.service_name:
        services = list(Service.objects.filter(name__iexact=event.service_name))
    return services


def _commander(event: PagerDutyEvent) -> Engineer | None:
    for name in event.assignees:
        engineer = Engineer.objects.filter(display_name__iexact=name).first()
        if engineer is not None:
            return engineer
    return None


def _incident_for(event: PagerDutyEvent) -> tuple[Incident, bool]:
    """The portal's incident for a PagerDuty incident, created from the event the first time it is seen."""
    incident = (
        Incident.objects.select_for_update().filter(external_source=SOURCE, external_id=event.incident_id).first()
    )
    if incident is not None:
        return incident, False
    started = event.created_at or event.occurred_at or timezone.now()
    title = event.title or f"PagerDuty incident {event.incident_id}"
    try:
        with transaction.atomic():
            incident = incident_create(
                actor=None,
                title=title,
                severity=severity_for(event.priority, event.urgency),
                started_at=started,
                detected_at=started,
                services=mapped_services(event),
                commander=_commander(event),
                external_source=SOURCE,
                external_id=event.incident_id,
                external_url=event.html_url,
            )
    except IntegrityError:  # created by a concurrent delivery about the same incident
        incident = Incident.objects.select_for_update().get(external_source=SOURCE, external_id=event.incident_id)
        return incident, False
    return incident, True


def _timeline(incident: Incident, event: PagerDutyEvent, text: str) -> None:
    TimelineEntry.objects.get_or_create(
        incident=incident,
        source=TimelineEntry.Source.PAGERDUTY,
        external_id=event.event_id[:200],
        defaults={"at": event.occurred_at or timezone.now(), "text": text[:5000], "author_name": event.agent[:200]},
    )


def pagerduty_apply(event: PagerDutyEvent) -> tuple[str, str]:
    """Apply one event to its incident: status, severity, times, commander, timeline; (status, note) back."""
    if not event.is_supported:
        return Delivery.Status.IGNORED, f"{event.event_type} is not an event the portal uses"
    incident, created = _incident_for(event)
    by = f" by {event.agent}" if event.agent else ""
    at = event.occurred_at or timezone.now()
    # PagerDuty orders deliveries per incident, but a retried one can arrive after a newer one.
    is_newer = incident.external_updated_at is None or at >= incident.external_updated_at
    fields: list[str] = []
    note = ""
    action = event.action
    if event.is_full_incident and not incident.services.exists():
        services = mapped_services(event)
        if services:
            incident.services.set(services)
    if incident.commander_id is None and event.assignees and (commander := _commander(event)):
        incident.commander = commander
        fields.append("commander")
    if action == "triggered":
        service = f" on {event.service_name}" if event.service_name else ""
        number = f" #{event.number}" if event.number is not None else ""
        text = f"Triggered in PagerDuty{number}{service}: {event.title}"
    elif action == "acknowledged":
        text = f"Acknowledged in PagerDuty{by}"
    elif action == "resolved":
        text = f"Resolved in PagerDuty{by}"
        if is_newer:
            incident.status = Incident.Status.RESOLVED
            incident.resolved_at = max(at, incident.started_at)
            fields += ["status", "resolved_at"]
    elif action == "reopened":
        text = f"Reopened in PagerDuty{by}"
        if is_newer:
            incident.status = Incident.Status.OPEN
            incident.resolved_at = None
            fields += ["status", "resolved_at"]
    elif action == "priority_updated":
        severity = severity_for(event.priority, event.urgency)
        text = f"Priority set to {event.priority or 'none'} in PagerDuty{by}: {severity}"
        if is_newer and severity != incident.severity:
            incident.severity = severity
            fields.append("severity")
    else:  # annotated
        text = f"Note{by}: {event.note}" if event.note else f"Empty note{by}"
    if fields and not is_newer and "commander" not in fields:
        note = "older than the incident's current state: recorded in the timeline only"
    if any(f in fields for f in ("status", "resolved_at", "severity")):
        incident.external_updated_at = at
        fields.append("external_updated_at")
    if fields:
        incident.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    _timeline(incident, event, text)
    audit_record(
        actor=None,
        action=f"incident.pagerduty.{action}",
        target=incident,
        payload={"event_id": event.event_id, "created": created, "fields": sorted(set(fields))},
    )
    if not is_newer:
        note = note or "older than the incident's current state: recorded in the timeline only"
    return Delivery.Status.PROCESSED, note
