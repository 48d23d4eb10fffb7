"""Webhook deliveries from git hosts: stored and committed first, then applied in a second transaction."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from intake.hostevents import HostEvent, PayloadError, parse_github, parse_gitlab
from intake.services.hostchanges import change_apply_host, review_apply_host
from intake.services.installations import installation_apply, installation_learn
from portal.enqueue import enqueue
from reviews.audit import audit_record
from reviews.models import Delivery, Repository, Service

log = logging.getLogger(__name__)

# The PostgreSQL channel on which a stored delivery's id is announced to the intake workers (intake.services.dispatch).
CHANNEL = "countersign_deliveries"
# What Delivery.objects.create does (status received, no error, no attempt yet) without a model save.
_STORE = """
    INSERT INTO reviews_delivery (provider, delivery_id, event, action, repository_id, repository_name, payload,
                                  received_at, status, error, attempts)
    VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, 'received', '', 0)
    ON CONFLICT (provider, delivery_id) DO NOTHING
    RETURNING id"""
_STORE_ANNOUNCED = f"WITH stored AS ({_STORE}) SELECT id, pg_notify('{CHANNEL}', id::text) FROM stored"  # noqa: S608 - constants
PARSERS = {Delivery.Provider.GITHUB: parse_github, Delivery.Provider.GITLAB: parse_gitlab}


def parse_delivery(provider: str, event: str, payload: Any) -> HostEvent:
    """Parse a stored or incoming payload for its provider."""
    return PARSERS[provider](event, payload)


def delivery_receive(
    *, provider: str, delivery_id: str, event: str, payload: dict, parsed: HostEvent, repository: Repository | None
) -> tuple[Delivery, bool]:
    """Store a delivery once (deduplicated on its id), then leave it to the intake workers or apply it here;
    returns (delivery, is_new)."""
    queued = settings.PORTAL_DELIVERY_APPLY == "queue" and parsed.kind != "ping" and is_announced()
    delivery = Delivery(
        provider=provider,
        delivery_id=delivery_id[:200],
        event=event[:100],
        action=parsed.action[:100],
        repository=repository,
        repository_name=parsed.repository[:300],
        payload=payload,
        received_at=timezone.now(),
    )
    delivery.pk = _store(delivery, announce=queued)
    if delivery.pk is None:
        return Delivery.objects.get(provider=provider, delivery_id=delivery.delivery_id), False
    delivery._state.adding, delivery._state.db = False, connection.alias  # as if loaded: a save() is an UPDATE
    if queued:
        return delivery, True  # stored and announced: an intake worker sends it on (the sweeper, if none listens)
    return delivery_apply(delivery_id=delivery.pk, parsed=parsed) or delivery, True


def is_announced() -> bool:
    """Whether stored deliveries reach the intake workers by NOTIFY: PostgreSQL and a broker (not the embedded
    demo's SQLite or eager tasks, where a delivery is applied in its request)."""
    return connection.vendor == "postgresql" and not settings.CELERY_TASK_ALWAYS_EAGER


def _store(delivery: Delivery, *, announce: bool) -> int | None:
    """INSERT the delivery unless one of that id is stored (then None); with `announce`, the same statement
    NOTIFYs the intake workers of its id, which PostgreSQL sends when the row commits and never without it.

    One statement, one round trip: alone it commits by itself (no BEGIN/COMMIT), and in a transaction a
    duplicate raises nothing, so no savepoint is needed either.
    """
    values = [
        delivery.provider,
        delivery.delivery_id,
        delivery.event,
        delivery.action,
        delivery.repository_id,
        delivery.repository_name,
        json.dumps(delivery.payload),
        delivery.received_at,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_STORE_ANNOUNCED if announce else _STORE, values)
        row = cursor.fetchone()
    return row[0] if row else None


def delivery_apply(*, delivery_id: int, parsed: HostEvent | None = None) -> Delivery | None:
    """Apply a stored delivery still in status received; an unexpected error leaves it received for the sweeper."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status != Delivery.Status.RECEIVED:
                return delivery  # applied meanwhile by another request or worker
            if delivery.provider not in PARSERS:
                return delivery
            if parsed is None:
                try:
                    parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
                except PayloadError as exc:
                    _finish(delivery, Delivery.Status.FAILED, str(exc))
                    return delivery
            repository = delivery.repository or (
                Repository.objects.filter(name=delivery.repository_name, provider=delivery.provider).first()
                if delivery.repository_name
                else None
            )
            delivery.repository = repository
            _apply(delivery, parsed, repository)
            return delivery
    except Exception as exc:  # noqa: BLE001 - any failure: the stored delivery is retried, the host gets its 2xx
        attempts = (Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0) + 1
        parked = attempts >= settings.PORTAL_DELIVERY_MAX_ATTEMPTS  # failed for good, for an admin to redeliver
        status = Delivery.Status.FAILED if parked else Delivery.Status.RECEIVED
        log.exception("applying delivery %s failed (attempt %s), now %s", delivery_id, attempts, status)
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RECEIVED).update(
            status=status, error=f"{type(exc).__name__}: {exc}"[:5000], attempts=F("attempts") + 1
        )
        return Delivery.objects.filter(pk=delivery_id).first()


def delivery_redeliver(*, delivery: Delivery, actor: Any) -> Delivery:
    """Apply a stored delivery again (every step is idempotent), after fixing what made it fail."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        repository = Repository.objects.filter(name=delivery.repository_name, provider=delivery.provider).first()
        delivery.repository = repository
        try:
            parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
        except PayloadError as exc:
            _finish(delivery, Delivery.Status.FAILED, str(exc))
        else:
            _apply(delivery, parsed, repository)
        audit_record(actor=actor, action="delivery.redelivered", target=delivery, payload={"status": delivery.status})
    return delivery


def _finish(delivery: Delivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.error = error[:5000]
    delivery.attempts += 1
    delivery.processed_at = timezone.now() if status != Delivery.Status.RECEIVED else None
    delivery.save()


def _apply(delivery: Delivery, parsed: HostEvent, repository: Repository | None) -> None:
    if parsed.kind == "ping":
        return _finish(delivery, Delivery.Status.IGNORED, "ping")
    if parsed.kind == "installation":
        return _finish(delivery, Delivery.Status.PROCESSED, installation_apply(parsed=parsed))
    if repository is None:
        return _finish(delivery, Delivery.Status.IGNORED, f"repository {parsed.repository!r} is not registered")
    if parsed.kind == "ignored":
        return _finish(delivery, Delivery.Status.IGNORED, parsed.note)
    if parsed.installation_id is not None and delivery.provider == Delivery.Provider.GITHUB:
        installation_learn(repository=repository, installation_id=parsed.installation_id)
    if parsed.kind == "change":
        change_apply_host(repository=repository, provider=delivery.provider, host=parsed.change, action=parsed.action)
        return _finish(delivery, Delivery.Status.PROCESSED)
    if parsed.kind == "review":
        change = change_apply_host(
            repository=repository, provider=delivery.provider, host=parsed.change, action="review"
        )
        if delivery.status == Delivery.Status.PROCESSED:
            # Redelivered: its verdict is already recorded, and a second copy would outrank any later verdict.
            return _finish(delivery, Delivery.Status.PROCESSED, "review already recorded")
        return _finish(delivery, *review_apply_host(change=change, provider=delivery.provider, parsed=parsed))
    if parsed.kind == "push":
        if parsed.ref != repository.default_branch:
            return _finish(delivery, Delivery.Status.IGNORED, f"push to {parsed.ref}, not the default branch")
        enqueue("reviews.repository_poll", repository.pk)
        return _finish(delivery, Delivery.Status.PROCESSED, "fetch of the default branch queued")
    if parsed.kind == "deployment":
        if parsed.deployment_state != "success":
            return _finish(delivery, Delivery.Status.IGNORED, f"deployment {parsed.deployment_state}")
        enqueue("reviews.deployment_from_host", delivery.pk)
        _finish(delivery, Delivery.Status.RECEIVED)
        return None
    return _finish(delivery, Delivery.Status.IGNORED, f"unknown kind {parsed.kind}")


def deployment_apply(*, delivery: Delivery) -> None:
    """Record a successful deployment from a host event; services from the payload, else the repository's."""
    from intake.services.deployments import deployment_record_for_sha

    parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
    repository = delivery.repository
    if repository is None:
        _finish(delivery, Delivery.Status.IGNORED, "repository not registered")
        return
    services = list(Service.objects.filter(repository=repository))
    if parsed.services:
        services = [s for s in services if s.name in parsed.services]
    recorded = deployment_record_for_sha(
        repository=repository,
        services=services,
        environment=parsed.environment or "production",
        sha=parsed.deployment_sha,
        deployed_at=parsed.deployed_at or timezone.now(),
    )
    _finish(delivery, Delivery.Status.PROCESSED, f"{recorded} deployment(s) recorded")
