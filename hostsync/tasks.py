"""Celery entry points of the host write-back (explicit names; ids as arguments; idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from hostsync.services.push import change_push as push
from hostsync.services.push import due_changes
from hostsync.services.reconcile import reconcile as reconcile_hosts
from portal.enqueue import not_in_flight, send_task

PUSH = "hostsync.change_push"


@shared_task(name=PUSH, bind=True, acks_late=True)
def change_push(self, change_id: int) -> str:
    """Write a change's desired state to its host; after a failure or a rate limit, come back after the wait."""
    result = push(change_id=change_id)
    if result.retry_in is not None:
        # Capped below the broker's visibility timeout; the sweeper also picks the row up once it is due.
        self.apply_async((change_id,), countdown=min(result.retry_in, settings.PORTAL_RETRY_COUNTDOWN_MAX))
    return result.outcome


@shared_task(name="hostsync.sweep", acks_late=True)
def sweep() -> int:
    """Send the push of every dirty row that is due and not already queued (a lost message, a passed back-off)."""
    ids = not_in_flight(PUSH, due_changes())
    for change_id in ids:
        send_task(PUSH, change_id)
    return len(ids)


@shared_task(name="hostsync.reconcile", acks_late=True)
def reconcile() -> dict:
    """Compare what the hosts show with what Countersign last sent, and write again where they differ."""
    return reconcile_hosts()
