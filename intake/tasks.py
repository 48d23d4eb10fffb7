"""Celery entry points of the reviews app: load by id, call one service, retry here."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reviews import services
from reviews.gitrepo import GitError
from reviews.hostapi import HostApiError
from reviews.models import Change, Delivery, Repository, WhatIfRun
from reviews.services.base import not_in_flight, send_task
from reviews.services.deliveries import change_refresh_metadata as refresh_metadata
from reviews.services.deliveries import deployment_apply
from reviews.services.whatif import whatif_run_execute

RETRY = {"autoretry_for": (GitError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 8}


@shared_task(name="reviews.change_pull_diff", acks_late=True, **RETRY)
def change_pull_diff(change_id: int) -> str:
    """Pull and parse a change's diff, then apply policy and assignment."""
    change = services.change_pull_diff(change_id=change_id)
    return change.diff_state if change else "missing"


@shared_task(name="reviews.repository_poll", acks_late=True, **RETRY)
def repository_poll(repository_id: int) -> str:
    """Fetch one repository and record new commits (and branches, where tracked)."""
    result = services.repository_poll(repository_id=repository_id)
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


@shared_task(name="reviews.sweep_unprocessed")
def sweep_unprocessed(older_than_seconds: int = 60) -> int:
    """Queue again every change or delivery whose work is not done, so nothing waits on a lost message.

    A task sent within its lease (still queued, running or waiting to retry) is left alone, so a long
    git-host outage does not pile up copies of the same work.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = Change.objects.filter(diff_state=Change.DiffState.PENDING, updated_at__lte=cutoff)
    change_ids = not_in_flight(change_pull_diff, list(pending.values_list("pk", flat=True)[:5000]))
    received = Delivery.objects.filter(status=Delivery.Status.RECEIVED, received_at__lte=cutoff)
    delivery_ids = not_in_flight(deployment_from_host, list(received.values_list("pk", flat=True)[:5000]))
    # A what-if queued while the broker was down; one the worker lost while running is redelivered (acks late).
    queued = WhatIfRun.objects.filter(status=WhatIfRun.Status.QUEUED, created_at__lte=cutoff)
    run_ids = not_in_flight(whatif_run, list(queued.values_list("pk", flat=True)[:100]))
    sent = sum(send_task(change_pull_diff, change_id) for change_id in change_ids)
    sent += sum(send_task(deployment_from_host, delivery_id) for delivery_id in delivery_ids)
    sent += sum(send_task(whatif_run, run_id) for run_id in run_ids)
    return sent


@shared_task(name="reviews.change_refresh_metadata", bind=True, acks_late=True, max_retries=10)
def change_refresh_metadata(self, change_id: int) -> str:
    """Read a pull/merge request's metadata from the host's API; wait out rate limits."""
    try:
        change = refresh_metadata(change_id=change_id)
    except HostApiError as exc:
        if exc.transient:
            raise self.retry(exc=exc, countdown=min(exc.retry_after or 30, 3600)) from None
        return f"failed: {exc}"
    return "missing" if change is None else "done"


@shared_task(name="reviews.reroute_stale")
def reroute_stale() -> int:
    """Re-route assignments past their deadline or held by someone away."""
    return services.reroute_stale()


@shared_task(name="reviews.whatif_run", acks_late=True)
def whatif_run(run_id: int) -> str:
    """Replay a manager's what-if and store its result; a finished run is left alone."""
    run = whatif_run_execute(run_id=run_id)
    return run.status if run else "missing"
