"""Celery entry points of intake: load by id, call one service, retry here.

Task names keep their historical "reviews." prefix: beat schedules and messages already queued in running
deployments name them so.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import bootsteps, shared_task
from django.conf import settings

from intake.gitrun import GitError
from intake.hostapi import HostApiError
from intake.services.deliveries import delivery_apply as apply_delivery
from intake.services.deliveries import deployment_apply, is_announced
from intake.services.diffs import change_pull_diff as pull_diff
from intake.services.dispatch import deliveries_listen
from intake.services.hostchanges import change_refresh_metadata as refresh_metadata
from intake.services.repositories import repository_poll as poll
from portal.celery import app
from portal.conf.queues import INTAKE
from reviews.models import Delivery, Repository

RETRY = {"autoretry_for": (GitError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 8}


@shared_task(name="reviews.change_pull_diff", acks_late=True, **RETRY)
def change_pull_diff(change_id: int) -> str:
    """Pull and parse a change's diff; policy and assignment follow in the same transaction."""
    change = pull_diff(change_id=change_id)
    return change.diff_state if change else "missing"


@shared_task(name="reviews.repository_poll", acks_late=True, **RETRY)
def repository_poll(repository_id: int) -> str:
    """Fetch one repository and record new commits (and branches, where tracked)."""
    result = poll(repository_id=repository_id)
    return "skipped" if result is None else f"{result.merged_created} merged, {result.open_created} open"


@shared_task(name="reviews.poll_repositories")
def poll_repositories() -> int:
    """Queue a poll of every repository that has polling on."""
    ids = list(Repository.objects.filter(poll_enabled=True).values_list("pk", flat=True))
    for repository_id in ids:
        repository_poll.delay(repository_id)
    return len(ids)


@shared_task(name="reviews.deployment_from_host", acks_late=True, **RETRY)
def deployment_from_host(delivery_id: int) -> str:
    """Record the deployment a stored delivery reports."""
    delivery = Delivery.objects.select_related("repository").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.RECEIVED:
        return "nothing to do"
    deployment_apply(delivery=delivery)
    return delivery.status


@shared_task(name="reviews.change_refresh_metadata", bind=True, acks_late=True, max_retries=10)
def change_refresh_metadata(self, change_id: int) -> str:
    """Read a pull/merge request's metadata from the host's API; wait out rate limits."""
    try:
        change = refresh_metadata(change_id=change_id)
    except HostApiError as exc:
        if exc.transient:
            # Capped below the broker's visibility timeout, or the waiting message would be handed out twice.
            countdown = min(exc.retry_after or 30, settings.PORTAL_RETRY_COUNTDOWN_MAX)
            raise self.retry(exc=exc, countdown=countdown) from None
        return f"failed: {exc}"
    return "missing" if change is None else "done"


@shared_task(name="reviews.delivery_apply", bind=True, acks_late=True, max_retries=None)
def delivery_apply(self, delivery_id: int) -> str:
    """Apply a stored host delivery that is not applied yet (its request failed half-way); applied ones are left.

    Failing again, it is tried again with exponential back-off until the service parks it as failed (a poison
    delivery costs a few tries, never a loop, and the others go on meanwhile).
    """
    delivery = apply_delivery(delivery_id=delivery_id)
    if delivery is None:
        return "missing"
    if delivery.status == Delivery.Status.RECEIVED and delivery.error and not self.request.called_directly:
        wait = settings.PORTAL_DELIVERY_RETRY_BASE_SECONDS * 2 ** max(0, delivery.attempts - 1)
        countdown = min(wait, settings.PORTAL_DELIVERY_RETRY_CAP_SECONDS, settings.PORTAL_RETRY_COUNTDOWN_MAX)
        raise self.retry(countdown=countdown)
    return delivery.status


class DeliveryListener(bootsteps.StartStopStep):
    """In every worker that consumes the intake queue: a thread that sends on each delivery a web request stored
    (announced by PostgreSQL), so the request itself never waits on the broker."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.stop_listening = threading.Event()
        self.thread: threading.Thread | None = None

    def include_if(self, parent: Any) -> bool:
        return is_announced() and INTAKE in parent.app.amqp.queues.consume_from

    def start(self, parent: Any) -> None:
        self.stop_listening.clear()
        self.thread = threading.Thread(
            target=deliveries_listen, args=(self.stop_listening,), name="countersign-deliveries", daemon=True
        )
        self.thread.start()

    def stop(self, parent: Any) -> None:
        self.stop_listening.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def terminate(self, parent: Any) -> None:
        self.stop(parent)  # a cold shutdown too: the thread closes its database connection before it ends


# Read when a worker builds its blueprint, after the tasks modules are imported (the loader's init_worker).
app.steps["worker"].add(DeliveryListener)
