"""Errors, the audit ledger, git access and task enqueueing shared by every service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
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


def _sent_key(task: Any, args: tuple[Any, ...]) -> str:
    return "sent:" + task.name + ":" + ":".join(str(a) for a in args)


def send_task(task: Any, *args: Any) -> bool:
    """Send a task now and note it as in flight for a while; False (logged) when the broker is down."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure: the stored state is the source of truth
        log.warning("could not enqueue %s%r; the sweeper will resend it", task.name, args, exc_info=True)
        return False
    try:
        cache.set(_sent_key(task, args), 1, timeout=settings.PORTAL_TASK_LEASE_SECONDS)
    except Exception:  # noqa: BLE001 - without the note the sweeper merely sends the task once more
        log.warning("could not note %s%r as sent", task.name, args, exc_info=True)
    return True


def not_in_flight(task: Any, ids: list[int]) -> list[int]:
    """The ids whose task was not sent within the lease: what the sweeper should send again."""
    if not ids:
        return []
    keys = {_sent_key(task, (i,)): i for i in ids}
    try:
        sent = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - no cache: resend everything (tasks are idempotent)
        return ids
    return [i for key, i in keys.items() if key not in sent]


def enqueue(task: Any, *args: Any) -> None:
    """Send a task once the current transaction commits; if the broker is down, log it (the sweeper resends)."""
    transaction.on_commit(lambda: send_task(task, *args))
