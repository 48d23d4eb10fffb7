"""Resolving what AI review bots said about a change: only a person does, with an optional note."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.access.rules import may
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.models import AiFinding, Engineer


def ai_finding_resolve(*, finding: AiFinding, engineer: Engineer, note: str = "") -> AiFinding:
    """Mark an AI review bot's finding resolved by a senior or the change's author; recorded in the ledger."""
    if not may(engineer.user, "reviews.resolve_ai_finding", finding.change):
        raise NotAllowed("Only a senior or the change's author can resolve an AI reviewer's finding.")
    if len(note) > 500:
        raise ServiceError("The note may be at most 500 characters.")
    with transaction.atomic():
        locked = AiFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.resolved_at is not None:
            raise ServiceError("This finding is already resolved.")
        locked.resolved_at = timezone.now()
        locked.resolved_by = engineer
        locked.resolution = note.strip()
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(
            actor=engineer.user,
            action="change.ai_finding_resolved",
            target=locked.change,
            payload={"finding_id": locked.pk, "account": locked.account, "note": locked.resolution},
        )
    return locked
