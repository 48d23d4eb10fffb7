"""The attention set's store: services of every domain record what happened; the people who gain the move hear.

Called inside the caller's transaction, with the change's row locked, so the stored set always matches the
change it describes. The rules themselves are in `reviews.attention` (pure).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from notifications.services.notify import Note, notify
from reviews.attention import Event, Move, Outcome, Turn, next_turn, reason_of
from reviews.models import AttentionEntry, Change, NotificationKind, Review, Revision

# Events whose newly-in-turn people hear "your turn"; the others send their own, richer notification
# (assigned with the reasons, changes requested with the comment) or give nobody the move.
TELLS_TURN = frozenset({Event.EVALUATED, Event.ATTESTED, Event.AUTHOR_REPLIED, Event.REVIEWER_REPLIED})


def turn_record(*, change: Change, move: Move, ref: str = "") -> Outcome:
    """Apply an event to the change's attention set and store it; tell who gained the move. `ref` names the
    event (a comment id) so that one event is told once."""
    with transaction.atomic():
        return _record(change, move, ref)


def _record(change: Change, move: Move, ref: str) -> Outcome:
    entries = {e.engineer_id: e for e in AttentionEntry.objects.select_for_update().filter(change=change)}
    before = Turn(
        author=change.author_id,
        reviewers=frozenset(pk for pk, e in entries.items() if e.role == AttentionEntry.Role.REVIEWER),
        attention=frozenset(pk for pk, e in entries.items() if e.in_turn),
    )
    outcome = next_turn(before, move)
    _store(change, entries, outcome, reason_of(move))
    if move.event in TELLS_TURN and outcome.gained:
        _tell_turn(change, outcome, move, ref)
    return outcome


def _store(change: Change, entries: dict[int, AttentionEntry], outcome: Outcome, reason: str) -> None:
    now = timezone.now()
    after = outcome.turn
    keep = set(after.reviewers) | ({after.author} if after.author is not None else set())
    gone = [pk for pk in entries if pk not in keep]
    if gone:
        AttentionEntry.objects.filter(change=change, engineer_id__in=gone).delete()
    for pk in keep:
        role = AttentionEntry.Role.AUTHOR if pk == after.author else AttentionEntry.Role.REVIEWER
        in_turn = pk in after.attention
        entry = entries.get(pk)
        if entry is None:
            AttentionEntry.objects.create(
                change=change, engineer_id=pk, role=role, in_turn=in_turn, reason=reason[:300], since=now
            )
        elif entry.in_turn != in_turn or entry.role != role:
            entry.role, entry.in_turn, entry.reason, entry.since = role, in_turn, reason[:300], now
            entry.save(update_fields=["role", "in_turn", "reason", "since"])


def _tell_turn(change: Change, outcome: Outcome, move: Move, ref: str) -> None:
    page = reverse("reviews:change-detail", args=[change.pk])
    reason = reason_of(move)
    for pk in outcome.gained:
        url, body = page, f"{change.repository.name}: {reason}."
        if pk != change.author_id:
            since = last_reviewed_revision(change, pk)
            if since is not None:
                url = reverse("reviews:change-interdiff", args=[change.pk]) + f"?from={since}"
                body = f"{change.repository.name}: {reason}. See what changed since your review of r{since}."
        notify(
            Note(
                kind=NotificationKind.TURN,
                key=f"turn:{change.pk}:{change.head_sha[:12]}:{move.event}:{move.review_state}:{ref}",
                title=f"Your turn: {change.title}",
                body=body,
                url=url,
                change=change,
            ),
            [pk],
        )


def last_reviewed_revision(change: Change, reviewer_id: int) -> int | None:
    """The number of the revision this senior last gave a verdict on, if older than the current one."""
    sha = (
        Review.objects.filter(change=change, reviewer_id=reviewer_id)
        .order_by("-created_at", "-pk")
        .values_list("head_sha", flat=True)
        .first()
    )
    if sha is None or sha == change.head_sha:
        return None
    return Revision.objects.filter(change=change, head_sha=sha).values_list("number", flat=True).first()


def turn_closed(*, change: Change) -> None:
    """A merged or closed change is nobody's move."""
    turn_record(change=change, move=Move(Event.CLOSED))
