"""Errors, the audit ledger, git access and task enqueueing shared by every service."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from portal.worker_liveness import holder_alive, sent_key
from reviews.gitrepo import GitConfig, Mirror
from reviews.ledger import CURRENT_VERSION, GENESIS_HASH, canonical_entry, entry_hash
from reviews.models import AuditEvent, LedgerHead, Repository

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the portal refuses, with a message fit for the person who made it."""


class NotAllowed(ServiceError):
    """The actor may not do this."""


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


def send_task(task: Any, *args: Any) -> bool:
    """Send a task now and note it as in flight for a while; False (logged) when the broker is down."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure: the stored state is the source of truth
        log.warning("could not enqueue %s%r; the sweeper will resend it", task.name, args, exc_info=True)
        return False
    try:
        cache.set(sent_key(task.name, args), 1, timeout=settings.PORTAL_TASK_LEASE_SECONDS)
    except Exception:  # noqa: BLE001 - without the note the sweeper merely sends the task once more
        log.warning("could not note %s%r as sent", task.name, args, exc_info=True)
    return True


def not_in_flight(task: Any, ids: list[int]) -> list[int]:
    """The ids whose task nobody is working on: what the sweeper should send again.

    Held by a worker with a fresh heartbeat: in flight, however long ago it was sent (a retry waiting out
    its back-off). Held by a worker whose heartbeat stopped (killed): lost with it, send again now rather
    than wait for the lease. Held by no worker: in flight while the lease of its sending lasts (queued).
    """
    if not ids:
        return []
    keys = {sent_key(task.name, (i,)): i for i in ids}
    try:
        sent = cache.get_many(list(keys))
        holders = holder_alive(list(keys))
    except Exception:  # noqa: BLE001 - no cache: resend everything (tasks are idempotent)
        return ids
    return [i for key, i in keys.items() if not holders.get(key, key in sent)]


def enqueue(task: Any, *args: Any) -> None:
    """Send a task once the current transaction commits; if the broker is down, log it (the sweeper resends)."""
    transaction.on_commit(lambda: send_task(task, *args))
