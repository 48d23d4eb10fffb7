"""Errors and the audit ledger shared by every domain's services (the bottom layer, beside the models)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from reviews.ledger import GENESIS_HASH, entry_hash
from reviews.models import AuditEvent, LedgerHead


class ServiceError(Exception):
    """A request the portal refuses, with a message fit for the person who made it."""


class NotAllowed(ServiceError):
    """The actor may not do this."""


def audit_record(*, actor: Any, action: str, target: Any, payload: dict[str, Any]) -> AuditEvent:
    """Append one entry to the hash-chained ledger; must run inside the caller's transaction."""
    head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    created_at = timezone.now()
    entry = {
        "created_at": created_at.isoformat(),
        "actor_id": getattr(actor, "pk", None),
        "action": action,
        "target_type": target._meta.label_lower,
        "target_id": str(target.pk),
        "payload": payload,
    }
    digest = entry_hash(head.last_hash, entry)
    event = AuditEvent.objects.create(
        created_at=created_at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=entry["target_type"],
        target_id=entry["target_id"],
        payload=payload,
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    return event
