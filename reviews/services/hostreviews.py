"""Reviews withdrawn on the git host: a dismissed GitHub review, a GitLab unapproval."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from assignment.services.assign import change_assign
from notifications.services.turns import turn_record
from policy.services.evaluation import review_state_of
from reviews.attention import Event, Move
from reviews.audit import audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, Engineer, Review


def review_dismiss_host(
    *, change: Change, host_review_id: str, at: datetime, reviewer: Engineer | None = None
) -> list[Review]:
    """Mark the host reviews named by `host_review_id` (the key, or every key it prefixes up to ':') dismissed,
    each in the ledger, and apply the policy again; returns the reviews dismissed now.

    With `reviewer` given and nothing on record, the dismissal arrived before the review itself: it is recorded as a
    dismissed comment under that id, so the late delivery of the review finds it and adds nothing that counts.
    """
    if not host_review_id:
        return []
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        named = change.reviews.filter(
            Q(host_review_id=host_review_id) | Q(host_review_id__startswith=f"{host_review_id}:"),
            source=Review.Source.HOST,
        )
        if reviewer is not None and not named.exists():
            _record_placeholder(change, reviewer, host_review_id, at)
            return []
        dismissed = list(named.filter(dismissed_at__isnull=True).select_related("reviewer__user").order_by("pk"))
        for review in dismissed:
            review.dismissed_at = at
            review.save(update_fields=["dismissed_at"])
            audit_record(
                actor=None,
                action="review.dismissed",
                target=change,
                payload={
                    "review_id": review.pk,
                    "host_review_id": review.host_review_id,
                    "reviewer_id": review.reviewer_id,
                    "verdict": review.verdict,
                    "sha": review.head_sha,
                    "at": at.isoformat(),
                },
            )
        if dismissed:
            change.review_state = review_state_of(change)
            change.save(update_fields=["review_state", "policy_missing", "updated_at"])
            host_sync_mark(change_id=change.pk, reason="host review dismissed")
            if change.state == Change.State.OPEN:
                turn_record(change=change, move=Move(Event.EVALUATED, review_state=change.review_state))
            if change.state == Change.State.OPEN and change.review_state == Change.ReviewState.NEEDS_SIGN_OFF:
                change_assign(change=change)
    return dismissed


def _record_placeholder(change: Change, reviewer: Engineer, host_review_id: str, at: datetime) -> None:
    review = Review.objects.create(
        change=change,
        reviewer=reviewer,
        verdict=Review.Verdict.COMMENT,  # what it was is unknown; a comment neither counts nor blocks
        source=Review.Source.HOST,
        head_sha=change.head_sha,
        seconds_spent=0,
        comment="dismissed on the git host before its review reached Countersign",
        host_review_id=host_review_id,
        dismissed_at=at,
        created_at=at,
    )
    event = audit_record(
        actor=None,
        action="review.dismissed",
        target=change,
        payload={
            "review_id": review.pk,
            "host_review_id": host_review_id,
            "reviewer_id": reviewer.pk,
            "at": at.isoformat(),
        },
    )
    review.ledger_hash = event.hash
    review.save(update_fields=["ledger_hash"])
