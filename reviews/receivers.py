"""Receivers of intake's signals, connected in ReviewsConfig.ready: each calls one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reviews.models import Change, Engineer, Review
from reviews.services.hostreviews import review_dismiss_host
from reviews.services.signoff import review_import


def record_host_review(
    sender: Any,
    *,
    change: Change,
    reviewer: Engineer,
    verdict: str,
    at: datetime,
    host_review_id: str = "",
    **kwargs: Any,
) -> None:
    """A verdict given on the git host: recorded once, as the host's (never timed: shown as time unknown)."""
    review_import(
        change=change,
        reviewer=reviewer,
        verdict=verdict,
        seconds_spent=0,
        at=at,
        source=Review.Source.HOST,
        host_review_id=host_review_id,
    )


def dismiss_host_review(
    sender: Any, *, change: Change, host_review_id: str, at: datetime, reviewer: Engineer | None, **kwargs: Any
) -> list[Review]:
    """A review withdrawn on the git host: it stops counting; answers with the reviews dismissed now."""
    return review_dismiss_host(change=change, host_review_id=host_review_id, at=at, reviewer=reviewer)
