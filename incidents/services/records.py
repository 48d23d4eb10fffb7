"""Writes of incidents themselves: record, edit, link changes, add to the timeline."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, IncidentChangeLink, TimelineEntry
from notifications.services.events import tell_incident
from portal.access.rules import may
from portal.enqueue import enqueue
from reviews.audit import ServiceError, audit_record
from reviews.models import Change, Engineer, Repository, Service

_FIX_RE = re.compile(r"^[0-9a-f]{7,40}$")
MAX_PATHS = 100


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def is_incident_reviewer(user: Any) -> bool:
    """Superusers and engineers marked as incident reviewers record incidents and decide their causes."""
    return bool(getattr(user, "is_authenticated", False)) and may(user, "incidents.record_incident")


def clean_paths(paths: Iterable[str]) -> list[str]:
    """Path prefixes as stored: no leading './' or '/', no empties, no duplicates, no '..'."""
    result: list[str] = []
    for raw in paths:
        path = str(raw).strip()
        while path.startswith(("./", "/")):
            path = path[2:] if path.startswith("./") else path[1:]
        if not path:
            continue
        if ".." in path.split("/") or "\0" in path or len(path) > 1000:
            raise ServiceError(f"{raw!r} is not a usable path prefix")
        if path not in result:
            result.append(path)
    if len(result) > MAX_PATHS:
        raise ServiceError(f"at most {MAX_PATHS} paths")
    return result


def clean_fix_sha(value: str) -> str:
    """A commit SHA, full or abbreviated to 7 or more hex digits, in lower case; '' for none."""
    value = (value or "").strip().lower()
    if value and not _FIX_RE.fullmatch(value):
        raise ServiceError(f"{value[:60]!r} is not a commit SHA (7 to 40 hex digits)")
    return value


def _check_times(started_at: datetime, **moments: datetime | None) -> None:
    for label, moment in moments.items():
        if moment is not None and moment < started_at:
            raise ServiceError(f"{label} time is before the start")


def _check_known_good(started_at: datetime, known_good_at: datetime | None) -> None:
    if known_good_at is not None and known_good_at > started_at:
        raise ServiceError("the last known-good time is after the start")


def _status_for(resolved_at: datetime | None, mitigated_at: datetime | None) -> str:
    if resolved_at:
        return Incident.Status.RESOLVED
    return Incident.Status.MITIGATED if mitigated_at else Incident.Status.OPEN


def _fix_repository(repository: Repository | None, services: list[Service], fix_sha: str) -> Repository | None:
    if repository is not None or not fix_sha:
        return repository
    repositories = {s.repository_id: s.repository for s in services}
    if len(repositories) != 1:
        raise ServiceError("a fix commit needs its repository when the services span several repositories (or none)")
    return next(iter(repositories.values()))


def _enqueue_trace(incident: Incident) -> None:
    if incident.fix_sha:
        enqueue("incidents.fix_trace", incident.pk)


def incident_create(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime,
    services: list[Service],
    summary: str = "",
    detected_at: datetime | None = None,
    mitigated_at: datetime | None = None,
    resolved_at: datetime | None = None,
    known_good_at: datetime | None = None,
    paths: Iterable[str] = (),
    repository: Repository | None = None,
    fix_sha: str = "",
    commander: Engineer | None = None,
    external_source: str = "",
    external_id: str = "",
    external_url: str = "",
) -> Incident:
    """Record an incident, start its timeline, audit it, and trace its fix commit when one is given."""
    title = title.strip()[:300]
    if not title:
        raise ServiceError("an incident needs a title")
    if severity not in Incident.Severity.values:
        raise ServiceError(f"unknown severity {severity!r}")
    _check_times(started_at, detected=detected_at, mitigated=mitigated_at, resolved=resolved_at)
    _check_known_good(started_at, known_good_at)
    fix_sha = clean_fix_sha(fix_sha)
    repository = _fix_repository(repository, services, fix_sha)
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            severity=severity,
            started_at=started_at,
            detected_at=detected_at,
            mitigated_at=mitigated_at,
            resolved_at=resolved_at,
            known_good_at=known_good_at,
            status=_status_for(resolved_at, mitigated_at),
            summary=summary[:20000],
            paths=clean_paths(paths),
            repository=repository,
            fix_sha=fix_sha,
            commander=commander,
            external_source=external_source[:20],
            external_id=external_id[:200],
            external_url=external_url[:1000],
            created_by=_user(actor),
        )
        incident.services.set(services)
        audit_record(
            actor=actor,
            action="incident.created",
            target=incident,
            payload={"title": incident.title, "severity": severity, "services": sorted(s.name for s in services)},
        )
        _enqueue_trace(incident)
    return incident


EDITABLE = (
    "title",
    "severity",
    "status",
    "summary",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "known_good_at",
    "paths",
    "repository",
    "fix_sha",
    "commander",
    "external_url",
)


def incident_update(
    *, actor: Any, incident: Incident, services: list[Service] | None = None, **fields: Any
) -> Incident:
    """Edit an incident's record; audited with what changed; a new fix commit is traced again."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"cannot edit {', '.join(sorted(unknown))}")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = {name: getattr(incident, name) for name in fields}
        if "title" in fields:
            fields["title"] = (fields["title"] or "").strip()[:300]
            if not fields["title"]:
                raise ServiceError("an incident needs a title")
        if "severity" in fields and fields["severity"] not in Incident.Severity.values:
            raise ServiceError(f"unknown severity {fields['severity']!r}")
        if "status" in fields and fields["status"] not in Incident.Status.values:
            raise ServiceError(f"unknown status {fields['status']!r}")
        if "paths" in fields:
            fields["paths"] = clean_paths(fields["paths"] or [])
        if "fix_sha" in fields:
            fields["fix_sha"] = clean_fix_sha(fields["fix_sha"])
        for name, value in fields.items():
            setattr(incident, name, value)
        _check_times(
            incident.started_at,
            detected=incident.detected_at,
            mitigated=incident.mitigated_at,
            resolved=incident.resolved_at,
        )
        _check_known_good(incident.started_at, incident.known_good_at)
        current_services = services if services is not None else list(incident.services.all())
        incident.repository = _fix_repository(incident.repository, current_services, incident.fix_sha)
        incident.save()
        if services is not None:
            incident.services.set(services)
        changed = sorted(name for name in fields if before[name] != getattr(incident, name))
        if services is not None:
            changed.append("services")
        audit_record(actor=actor, action="incident.updated", target=incident, payload={"fields": changed})
        if "fix_sha" in changed:
            _enqueue_trace(incident)
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
                "decided_by": _user(actor),
            },
        )
        previous = None if created else link.state
        if not created:
            link.state = state
            link.reason = reason[:5000]
            link.decided_by = _user(actor)
            link.save(update_fields=["state", "reason", "decided_by", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.link",
            target=incident,
            payload={"change_id": change.pk, "from": previous, "to": state, "reason": reason[:500]},
        )
        if state != previous and state in (IncidentChangeLink.State.SUSPECTED, IncidentChangeLink.State.CONFIRMED):
            _tell_link(incident, change, state, reason)
    return link


def _tell_link(incident: Incident, change: Change, state: str, reason: str) -> None:
    """The change's author and signers hear that it is suspected of, or confirmed as causing, the incident."""
    evidence = [f"Why: {reason.strip()[:400]}"] if reason.strip() else []
    evidence.append(f"Severity {incident.get_severity_display()}, started {incident.started_at:%a %d %b %H:%M} UTC")
    services = ", ".join(s.name for s in incident.services.all()[:5])
    if services:
        evidence.append(f"Affected services: {services}")
    if change.merged_at:
        evidence.append(f"Your change merged {change.merged_at:%a %d %b %H:%M} UTC")
    kind = "suspect" if state == IncidentChangeLink.State.SUSPECTED else "confirmed"
    tell_incident(
        kind=kind,
        key=f"incident:{kind}:{incident.pk}:{change.pk}",
        change=change,
        incident_title=incident.title,
        incident_url=reverse("incidents:incident-detail", args=[incident.pk]),
        evidence=evidence,
    )


def timeline_add(
    *, actor: Any, incident: Incident, at: datetime | None, text: str, source: str = TimelineEntry.Source.PORTAL
) -> TimelineEntry:
    """Add a dated line to an incident's timeline; audited."""
    text = text.strip()[:5000]
    if not text:
        raise ServiceError("a timeline entry needs text")
    with transaction.atomic():
        entry = TimelineEntry.objects.create(
            incident=incident,
            at=at or timezone.now(),
            text=text,
            source=source,
            author=_user(actor),
            author_name=getattr(actor, "get_full_name", lambda: "")() or getattr(actor, "username", ""),
        )
        audit_record(actor=actor, action="incident.timeline", target=incident, payload={"entry_id": entry.pk})
    return entry
