"""Stored deliveries handed to the intake workers: the delivery row is the outbox.

A webhook request stores the delivery and, in the same statement, NOTIFYs its id (intake.services.deliveries);
it never talks to the broker. Each worker that consumes the intake queue listens (intake.tasks.DeliveryListener)
and sends `reviews.delivery_apply` for every id it is told of; the in-flight note taken first (SET NX) makes
one of several listeners send it. What nobody was listening for is sent when a listener starts, and the sweeper
sends what is still received a minute later (Redis was down, every worker was stopped).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from intake.services.deliveries import CHANNEL
from portal.enqueue import not_in_flight, send_task_once
from reviews.models import Delivery

log = logging.getLogger(__name__)

APPLY = "reviews.delivery_apply"
# How long a listener waits for a notification before it looks at its stop flag again.
WAIT_SECONDS = 1.0
# After a lost database connection, the wait before listening again.
RECONNECT_SECONDS = 5.0


def deliveries_waiting(*, older_than_seconds: int, limit: int = 5000) -> list[int]:
    """Ids of the deliveries stored more than `older_than_seconds` ago, not applied yet, and in nobody's hands."""
    # Received but not applied: its request failed after storing it, nobody was listening, or it waits for its
    # deployment task. Applying again is idempotent; a deployment's application queues its deployment task again.
    received = Delivery.objects.filter(
        status=Delivery.Status.RECEIVED,
        received_at__lte=timezone.now() - timedelta(seconds=older_than_seconds),
        provider__in=(Delivery.Provider.GITHUB, Delivery.Provider.GITLAB),
    )
    return not_in_flight(APPLY, list(received.values_list("pk", flat=True)[:limit]))


def deliveries_dispatch(ids: list[int]) -> int:
    """Send the delivery_apply task of each id that no other sender has in flight; how many were sent."""
    return sum(send_task_once(APPLY, delivery_id) for delivery_id in ids)


def deliveries_listen(stop: threading.Event) -> None:
    """Send on every delivery announced on CHANNEL until `stop` is set (in a thread of its own, with its own
    database connection); listens again after a lost connection, sending first what arrived meanwhile."""
    while not stop.is_set():
        try:
            connection.ensure_connection()
            listening = connection.connection  # Django's connection is in autocommit: LISTEN takes effect at once
            listening.execute(f"LISTEN {CHANNEL}")
            deliveries_dispatch(deliveries_waiting(older_than_seconds=0))
            while not stop.is_set():
                # Woken by the first notification; the others already received go in the same batch.
                ids = [int(n.payload) for n in listening.notifies(timeout=WAIT_SECONDS, stop_after=1)]
                if ids:
                    ids += [int(n.payload) for n in listening.notifies(timeout=0)]
                    deliveries_dispatch(ids)
        except Exception:  # noqa: BLE001 - the database went away: the sweeper covers the gap, listen again soon
            log.warning("the delivery listener lost its connection; listening again shortly", exc_info=True)
            _close()
            stop.wait(RECONNECT_SECONDS)
    _close()


def _close() -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
        log.debug("closing the listener's connection failed", exc_info=True)
