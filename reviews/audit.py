"""Errors and the audit ledger shared by every domain's services (the bottom layer, beside the models)."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from reviews.ledger.chain import CURRENT_VERSION, GENESIS_HASH, canonical_entry, entry_hash
from reviews.models import AuditEvent, LedgerHead


class ServiceError(Exception):
    """A request the portal refuses, with a message fit for the person who made it."""


class NotAllowed(ServiceError):
    """The actor may not do this."""


class AlreadyRecorded(ServiceError):
    """This host review is already on record (another delivery of it)."""

    def __init__(self, review: Any) -> None:
        super().__init__("review already recorded")
        self.review = review


def audit_record(*, actor: Any, action: str, target: Any, payload: dict[str, Any]) -> AuditEvent:
    """Append one entry to the hash-chained ledger; must run inside the caller's transaction."""
    head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "get_username", lambda: "")() if actor_id else ""
    # Hash what the database will give back when the ledger is verified, not the caller's Python objects.
    stored_payload = json.loads(json.dumps(payload))
    event = AuditEvent(
        created_at=timezone.now(),
        version=CURRENT_VERSION,
        actor=actor if actor_id else None,
        actor_label=actor_label,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        payload=stored_payload,
        prev_hash=head.last_hash,
    )
    entry = canonical_entry(
        version=event.version,
        created_at=event.created_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=event.target_type,
        target_id=event.target_id,
        payload=stored_payload,
    )
    event.hash = entry_hash(head.last_hash, entry)
    event.save(force_insert=True)
    head.last_hash = event.hash
    head.save(update_fields=["last_hash"])
    return event
