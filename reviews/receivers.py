"""Receivers of intake's signals, connected in ReviewsConfig.ready: each calls one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reviews.models import Change, Engineer, Review
from reviews.services.signoff import review_import


def record_host_review(
    sender: Any, *, change: Change, reviewer: Engineer, verdict: str, at: datetime, **kwargs: Any
) -> None:
    """A verdict given on the git host: recorded as the host's (no time measured); a refusal raises ServiceError."""
    review_import(change=change, reviewer=reviewer, verdict=verdict, seconds_spent=0, at=at, source=Review.Source.HOST)
