"""Celery entry points of the reviews app: the sweeper that resends every domain's lost work, by task name."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from intake.services.dispatch import APPLY, deliveries_waiting
from portal.enqueue import not_in_flight, send_task
from reviews.models import Change, WhatIfRun
from reviews.services.ledger import ledger_anchor, ledger_check


@shared_task(name="reviews.sweep_unprocessed")
def sweep_unprocessed(older_than_seconds: int = 60) -> int:
    """Queue again every change or delivery whose work is not done, so nothing waits on a lost message.

    A task sent within its lease (still queued, running or waiting to retry) is left alone, so a long
    git-host outage does not pile up copies of the same work.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = Change.objects.filter(diff_state=Change.DiffState.PENDING, updated_at__lte=cutoff)
    change_ids = not_in_flight("reviews.change_pull_diff", list(pending.values_list("pk", flat=True)[:5000]))
    delivery_ids = deliveries_waiting(older_than_seconds=older_than_seconds)
    # A what-if queued while the broker was down; one the worker lost while running is redelivered (acks late).
    queued = WhatIfRun.objects.filter(status=WhatIfRun.Status.QUEUED, created_at__lte=cutoff)
    run_ids = not_in_flight("reviews.whatif_run", list(queued.values_list("pk", flat=True)[:100]))
    sent = sum(send_task("reviews.change_pull_diff", change_id) for change_id in change_ids)
    sent += sum(send_task(APPLY, delivery_id) for delivery_id in delivery_ids)
    sent += sum(send_task("reviews.whatif_run", run_id) for run_id in run_ids)
    return sent


@shared_task(name="reviews.anchor_ledger")
def anchor_ledger() -> str:
    """Write the audit ledger's head to the anchor file outside the database."""
    anchor = ledger_anchor()
    return "empty" if anchor is None else f"anchored #{anchor.entry_id}"


@shared_task(name="reviews.verify_ledger")
def verify_ledger() -> str:
    """Check the audit ledger and its anchors; a problem raises an alert that admins see on every page."""
    report = ledger_check()
    return "intact" if report.is_intact else f"{len(report.problems)} problems"
