"""Celery entry points of the reviews app: load by id, call one service, retry here."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reviews import services
from reviews.gitrepo import GitError
from reviews.models import Change


@shared_task(
    name="reviews.change_pull_diff",
    autoretry_for=(GitError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    acks_late=True,
)
def change_pull_diff(change_id: int) -> str:
    """Pull and parse a change's diff, then apply policy and assignment."""
    change = services.change_pull_diff(change_id=change_id)
    return change.diff_state if change else "missing"


@shared_task(name="reviews.sweep_unprocessed")
def sweep_unprocessed(older_than_seconds: int = 120) -> int:
    """Enqueue every change whose diff is still pending, so nothing waits on a lost message."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Change.objects.filter(diff_state=Change.DiffState.PENDING, updated_at__lt=cutoff).values_list("pk", flat=True)[
            :5000
        ]
    )
    for change_id in ids:
        change_pull_diff.delay(change_id)
    return len(ids)
