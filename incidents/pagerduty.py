"""PagerDuty v3 webhooks: verify the signature and read an event into a plain value (pure).

Shapes follow PagerDuty's developer documentation (webhooks v3 overview, signatures, behaviour): one
`event` per payload, `event.data` an `incident` or an `incident_note` reference, signatures `v1=<hex>`
comma-separated in X-PagerDuty-Signature, one per signing secret during a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.hostevents import parse_time

INCIDENT_EVENTS = frozenset(
    {
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
        "incident.reopened",
        "incident.priority_updated",
        "incident.annotated",
    }
)
SEVERITY_BY_PRIORITY = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
MAX_TEXT = 5000


class PayloadError(ValueError):
    """The payload does not have the shape PagerDuty documents."""


@dataclass(frozen=True)
class PagerDutyEvent:
    """What one webhook says about one PagerDuty incident."""

    event_id: str
    event_type: str
    occurred_at: datetime | None
    agent: str = ""
    incident_id: str = ""
    number: int | None = None
    title: str = ""
    status: str = ""  # triggered, acknowledged, resolved
    html_url: str = ""
    created_at: datetime | None = None
    service_id: str = ""
    service_name: str = ""
    priority: str = ""  # P1..P5 as the account names them, or ""
    urgency: str = ""  # high, low
    assignees: tuple[str, ...] = ()
    note: str = ""  # the text of an annotation
    is_full_incident: bool = False  # data is the incident itself, not a reference to it

    @property
    def action(self) -> str:
        return self.event_type.split(".", 1)[-1]

    @property
    def is_supported(self) -> bool:
        return self.event_type in INCIDENT_EVENTS


def verify_signature(secrets: Iterable[str], body: bytes, header: str) -> bool:
    """True when any v1 signature in the header is the HMAC-SHA256 hex of the raw body under any secret."""
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    if not offered:
        return False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        # Compare every offered signature so that timing says nothing about which one matched.
        if any([hmac.compare_digest(expected, candidate.lower()) for candidate in offered]):
            return True
    return False


def severity_for(priority: str, urgency: str) -> str:
    """SEV1-SEV4 from the priority's name, else from the urgency (high SEV2, low SEV3)."""
    if priority.strip().upper() in SEVERITY_BY_PRIORITY:
        return SEVERITY_BY_PRIORITY[priority.strip().upper()]
    return "SEV2" if urgency == "high" else "SEV3"


def _obj(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{name} must be an object")
    return value


def _text(container: dict, key: str, *, required: bool = False, limit: int = 1000) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PayloadError(f"{key} must be {'a non-empty' if required else 'a'} string")
    return value[:limit]


def _summary(value: Any) -> str:
    return value.get("summary", "")[:300] if isinstance(value, dict) and isinstance(value.get("summary"), str) else ""


def _time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise PayloadError(f"{name} is not an ISO 8601 time")
    return parsed


def parse_event(payload: Any) -> PagerDutyEvent:
    """Read a v3 webhook payload; raise PayloadError when it is not shaped like one."""
    event = _obj(_obj(payload, "payload").get("event"), "event")
    event_type = _text(event, "event_type", required=True, limit=100)
    base = {
        "event_id": _text(event, "id", required=True, limit=200),
        "event_type": event_type,
        "occurred_at": _time(event.get("occurred_at"), "occurred_at"),
        "agent": _summary(event.get("agent")),
    }
    if event_type not in INCIDENT_EVENTS:
        return PagerDutyEvent(**base)
    data = _obj(event.get("data"), "data")
    kind = data.get("type")
    if kind == "incident":
        service = data.get("service") if isinstance(data.get("service"), dict) else {}
        assignees = data.get("assignees") if isinstance(data.get("assignees"), list) else []
        number = data.get("number")
        return PagerDutyEvent(
            **base,
            incident_id=_text(data, "id", required=True, limit=100),
            number=number if isinstance(number, int) and not isinstance(number, bool) else None,
            title=_text(data, "title", limit=300),
            status=_text(data, "status", limit=50),
            html_url=_url(_text(data, "html_url", limit=1000)),
            created_at=_time(data.get("created_at"), "created_at"),
            service_id=_text(service, "id", limit=50),
            service_name=_summary(service),
            priority=_summary(data.get("priority")),
            urgency=_text(data, "urgency", limit=20),
            assignees=tuple(a for a in (_summary(x) for x in assignees) if a),
            is_full_incident=True,
        )
    if kind == "incident_note":
        incident = _obj(data.get("incident"), "data.incident")
        return PagerDutyEvent(
            **base,
            incident_id=_text(incident, "id", required=True, limit=100),
            title=_summary(incident),
            html_url=_url(_text(incident, "html_url", limit=1000)),
            note=_text(data, "content", limit=MAX_TEXT),
        )
    raise PayloadError(f"{event_type} carries data of type {kind!r}, not an incident or a note")


def _url(value: str) -> str:
    """Only web addresses are kept: the link is shown to people."""
    return value if value.startswith(("https://", "http://")) else ""
