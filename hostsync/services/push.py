"""The outbox worker's service: claim a dirty change, write its desired host state, record the outcome.

Nothing here runs in a web request: services mark (`reviews.hostoutbox.host_sync_mark`), the worker pushes. A
claim is a short lease on the outbox row taken by a conditional UPDATE, never a row lock held across the HTTP
calls, so a web request that marks the row meanwhile never waits for the host.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from hostsync.connection import Disconnected, writer_for
from hostsync.desired import desired_state
from hostsync.facts import change_facts
from hostsync.writers import write_all
from intake.hostapi import HostApiError
from reviews.models import Change, HostConnection, HostSyncState

log = logging.getLogger(__name__)

LEASE_SECONDS = 120
MAX_ROUNDS = 5  # marks made while writing are written under the same claim, this many times at most


@dataclass(frozen=True)
class PushResult:
    """What one push did: sent, nothing to do, waiting (back-off or rate limit), disconnected, failed."""

    outcome: str
    requests: int = 0
    retry_in: float | None = None


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential back-off with jitter, at least the host's Retry-After / rate-limit reset when it gave one."""
    base = settings.PORTAL_HOST_BACKOFF_SECONDS * (2 ** min(max(attempts - 1, 0), 16))
    wait = min(float(settings.PORTAL_HOST_BACKOFF_MAX), base) * random.uniform(0.8, 1.2)
    return max(wait, retry_after or 0.0)


def _claim(change_id: int, now: datetime) -> bool:
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(
        HostSyncState.objects.filter(free, due, pk=change_id, generation__gt=F("sent_generation")).update(
            claimed_until=now + timedelta(seconds=LEASE_SECONDS)
        )
    )


def _connection(change: Change) -> HostConnection:
    connection, _ = HostConnection.objects.get_or_create(repository=change.repository)
    return connection


def change_push(*, change_id: int) -> PushResult:
    """Bring the host in line with what the change needs now; coalesces marks made meanwhile."""
    now = timezone.now()
    if not _claim(change_id, now):
        return PushResult("nothing to do")
    requests = 0
    row = None
    try:
        for _ in range(MAX_ROUNDS):
            row = HostSyncState.objects.select_related("change__repository", "change__author").get(pk=change_id)
            if not row.is_dirty:
                break
            generation, change = row.generation, row.change
            connection = _connection(change)
            if connection.paused_until and connection.paused_until > timezone.now():
                wait = (connection.paused_until - timezone.now()).total_seconds()
                _retry_later(row, wait, "rate limited: waiting for the host's limit to reset", count=False)
                return PushResult("waiting", requests, wait)
            if change.state != Change.State.OPEN or not settings.PORTAL_HOST_WRITES:
                _done(row, generation)  # merged or closed: the host's merge button no longer matters
                continue
            writer = writer_for(change.repository, connection)
            if writer is None:
                _done(row, generation, error="no GitHub App installation or API token for this repository")
                continue
            desired = desired_state(change_facts(change))
            try:
                requests += write_all(
                    row, desired, writer, repository=change.repository.name, number=change.number or 0
                )
            finally:
                _record_rate(connection, writer.client.last_rate)
            _done(row, generation)
            HostConnection.objects.filter(pk=connection.pk).update(
                last_write_at=timezone.now(), writes=F("writes") + requests
            )
        return PushResult("sent" if requests else "nothing to do", requests)
    except Disconnected as exc:
        HostConnection.objects.filter(repository_id=row.change.repository_id if row else None).update(
            disconnected_at=timezone.now(),
            disconnected_reason=str(exc)[:500],
            last_error=str(exc)[:5000],
            last_error_at=timezone.now(),
        )
        if row is not None:
            _error(row, str(exc))
        return PushResult("disconnected", requests)
    except HostApiError as exc:
        return _failed(row, exc, requests)
    finally:
        HostSyncState.objects.filter(pk=change_id).update(claimed_until=None)


def _failed(row: HostSyncState | None, exc: HostApiError, requests: int) -> PushResult:
    if row is None:
        raise exc
    connection = HostConnection.objects.filter(repository_id=row.repository_id)
    connection.update(last_error=str(exc)[:5000], last_error_at=timezone.now())
    if exc.rate_limited:
        # The whole repository waits: every change's write would meet the same limit.
        until = timezone.now() + timedelta(seconds=exc.retry_after or 60.0)
        connection.update(paused_until=until, rate_limit_remaining=0)
    if exc.transient:
        wait = backoff_seconds(row.attempts + 1, exc.retry_after)
        _retry_later(row, wait, str(exc))
        return PushResult("waiting", requests, wait)
    # Refused for good (422 on a body the host will never take): recorded, this generation is given up; the
    # next change of state writes again, and the reconciliation compares.
    log.warning("host refused the write for change %s: %s", row.change_id, exc)
    _done(row, row.generation, error=str(exc))
    return PushResult("failed", requests)


def _retry_later(row: HostSyncState, wait: float, error: str, *, count: bool = True) -> None:
    row.next_attempt_at = timezone.now() + timedelta(seconds=wait)
    row.attempts += 1 if count else 0
    row.last_error, row.last_error_at = error[:5000], timezone.now()
    row.save(update_fields=["next_attempt_at", "attempts", "last_error", "last_error_at"])


def _done(row: HostSyncState, generation: int, *, error: str = "") -> None:
    """Record the generation as sent (only forwards: a later mark keeps the row dirty)."""
    HostSyncState.objects.filter(pk=row.pk, sent_generation__lt=generation).update(
        sent_generation=generation,
        attempts=0,
        next_attempt_at=None,
        last_error=error[:5000],
        last_error_at=timezone.now() if error else None,
    )


def _error(row: HostSyncState, error: str) -> None:
    HostSyncState.objects.filter(pk=row.pk).update(last_error=error[:5000], last_error_at=timezone.now())


def _record_rate(connection: HostConnection, rate) -> None:
    if rate.remaining is None:
        return
    reset = datetime.fromtimestamp(rate.reset_at, tz=timezone.get_current_timezone()) if rate.reset_at else None
    fields = {"rate_limit_remaining": rate.remaining, "rate_limit_reset_at": reset}
    if rate.remaining == 0 and reset is not None:
        fields["paused_until"] = reset  # the next call would be refused: wait for the reset
    HostConnection.objects.filter(pk=connection.pk).update(**fields)


def due_changes(*, limit: int = 500) -> list[int]:
    """Dirty rows whose back-off has passed, not claimed, on repositories still connected: for the sweeper."""
    now = timezone.now()
    return list(
        HostSyncState.objects.filter(generation__gt=F("sent_generation"))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(repository__host_connection__disconnected_at__isnull=False)
        .exclude(repository__host_connection__paused_until__gt=now)
        .order_by("marked_at")
        .values_list("change_id", flat=True)[:limit]
    )
