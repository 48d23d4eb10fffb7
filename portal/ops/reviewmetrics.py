"""Review latency as a metric: from a senior's assignment to their verdict, observed when the verdict is saved."""

from __future__ import annotations

import logging
from typing import Any

from portal.ops.metrics import REVIEW_LATENCY, REVIEW_SECONDS_SPENT
from reviews.models import Assignment, Review

log = logging.getLogger(__name__)


def observe_review(sender: type[Review], instance: Review, created: bool = False, **_: Any) -> None:
    """Record a new portal verdict's latency and time spent (host and imported verdicts have no assignment here)."""
    if not created or instance.source != Review.Source.PORTAL:
        return
    try:
        assigned_at = (
            Assignment.objects.filter(
                change_id=instance.change_id, reviewer_id=instance.reviewer_id, created_at__lte=instance.created_at
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    except Exception:  # noqa: BLE001 - a metric never fails a sign-off
        log.warning("could not read the assignment of review %s for its latency", instance.pk, exc_info=True)
        return
    REVIEW_SECONDS_SPENT.observe(instance.seconds_spent)
    if assigned_at is not None:
        REVIEW_LATENCY.labels(instance.verdict).observe((instance.created_at - assigned_at).total_seconds())
