"""Errors, the audit ledger, git access and task enqueueing shared by every service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reviews.gitrepo import GitConfig, Mirror
from reviews.ledger import GENESIS_HASH, entry_hash
from reviews.models import AuditEvent, LedgerHead, Repository

log = logging.getLogger(__name__)


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


def git_config() -> GitConfig:
    """The git limits configured for this portal."""
    return GitConfig(
        timeout_seconds=settings.PORTAL_GIT_TIMEOUT_SECONDS,
        max_output_bytes=settings.PORTAL_GIT_MAX_OUTPUT_BYTES,
        allowed_protocols=tuple(settings.PORTAL_GIT_ALLOWED_PROTOCOLS),
    )


def repository_mirror(repository: Repository) -> Mirror:
    """The bare mirror the portal keeps for a repository (named by id, never by a user's text)."""
    return Mirror(Path(settings.DATA_DIR) / "mirrors" / f"{repository.pk}.git", git_config())


def enqueue(task: Any, *args: Any) -> None:
    """Send a task once the current transaction commits; if the broker is down, log it (the sweeper resends)."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - any broker failure: the stored state is the source of truth
            log.warning("could not enqueue %s%r; the sweeper will resend it", task.name, args, exc_info=True)

    transaction.on_commit(send)
