"""Assigning a change to the senior the picker prefers, with the reasons recorded."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assignment.bandpick import ChangeKnowledge, pick_in_batch
from assignment.knowledge import changes_knowledge, seniors_read
from notifications.services.events import tell_assigned
from notifications.services.turns import turn_record
from policy.services.evaluation import owner_ids
from reviews.attention import Event, Move
from reviews.audit import audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.ledger.chain import GENESIS_HASH
from reviews.models import Assignment, AttentionEntry, Change, Engineer, LedgerHead

log = logging.getLogger(__name__)


def change_assign(
    *, change: Change, exclude: frozenset[int] = frozenset(), knowledge: ChangeKnowledge | None = None
) -> Assignment | None:
    """Assign the senior the picker prefers (load band, knowledge spread, expertise); reasons recorded.

    `knowledge`: what assignment.knowledge.changes_knowledge read of the change's history for a batch of
    changes at once (the seniors' load is read here, under the lock); read here when not given.
    """
    with transaction.atomic():
        return _assign(change, exclude, knowledge)


def _assign(change: Change, exclude: frozenset[int], knowledge: ChangeKnowledge | None) -> Assignment | None:
    """The assignment itself, inside a transaction; the caller holds the change's row lock.

    Every assignment first takes the ledger head's row lock (which audit_record takes anyway, so the lock
    order stays change, then ledger head): two workers assigning different changes at once see each
    other's load and never push a senior past their cap.
    """
    LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    if change.assignments.filter(state=Assignment.State.ACTIVE).exists():
        return None
    if change.is_author_unknown:
        return None  # any senior picked might be the author; assigned once an admin sets who wrote it
    declined = set(change.assignments.filter(state=Assignment.State.HANDED_BACK).values_list("reviewer_id", flat=True))
    declined |= set(exclude)
    if change.last_pusher_email:
        declined |= set(Engineer.objects.filter(email__iexact=change.last_pusher_email).values_list("pk", flat=True))
    again = _ask_again(change, frozenset(declined))
    if again:
        return again[0]
    if change.review_state != Change.ReviewState.NEEDS_SIGN_OFF:
        return None  # a request for changes still stands: only its seniors look again, nobody new is picked
    owners = owner_ids(change) if change.requires_owner else set()
    # With no owner on record for the sensitive paths, any senior may sign off; the reason says so.
    owner_required = change.requires_owner and bool(owners)
    now = timezone.now()
    if knowledge is None:
        knowledge = changes_knowledge([change], now=now)[change.pk]
    pick = pick_in_batch(
        seniors_read(senior_level=settings.PORTAL_SENIOR_LEVEL, now=now),
        knowledge,
        author_id=change.author_id,
        exclude_ids=frozenset(declined),
        owner_ids=owners,
        owner_required=owner_required,
        owner_label=_paths_phrase(change.owner_paths) if owner_required else "",
    )
    if pick is None:
        log.warning("no eligible senior for change %s", change.pk)
        return None
    reasons = list(pick.reasons)
    if change.requires_owner and not owners:
        reasons.append("no owner is recorded for the sensitive paths: any senior may sign off")
    assignment = Assignment.objects.create(
        change=change,
        reviewer_id=pick.engineer_id,
        reason="; ".join(reasons)[:500],
        reasons=reasons,
        estimated_minutes=change.review_minutes,
        due_at=timezone.now() + timedelta(hours=settings.PORTAL_REVIEW_DUE_HOURS),
    )
    audit_record(
        actor=None,
        action="change.assigned",
        target=change,
        payload={
            "reviewer_id": pick.engineer_id,
            "expertise": pick.expertise,
            "load_minutes": pick.balance_minutes,
            "reasons": reasons,
        },
    )
    host_sync_mark(change_id=change.pk, reason="assigned")
    turn_record(change=change, move=Move(Event.ASSIGNED, subject=pick.engineer_id))
    tell_assigned(assignment)
    return assignment


def _ask_again(change: Change, declined: frozenset[int]) -> list[Assignment]:
    """The seniors who already reviewed the change review its new revision: they know it, and a request for
    changes is theirs to lift. They heard "your turn" from the attention set, so no new "assigned" notice."""
    returning = (
        AttentionEntry.objects.filter(
            change=change, role=AttentionEntry.Role.REVIEWER, in_turn=True, engineer__is_away=False
        )
        .exclude(engineer_id__in=declined)
        .exclude(engineer_id=change.author_id)
        # A senior who gave a verdict on this very revision has done their part of it.
        .exclude(engineer__reviews__change=change, engineer__reviews__head_sha=change.head_sha)
        .values_list("engineer_id", flat=True)
    )
    created = []
    for reviewer_id in returning:
        reason = "asked again: reviewed an earlier revision of this change"
        created.append(
            Assignment.objects.create(
                change=change,
                reviewer_id=reviewer_id,
                reason=reason,
                reasons=[reason],
                estimated_minutes=change.review_minutes,
                due_at=timezone.now() + timedelta(hours=settings.PORTAL_REVIEW_DUE_HOURS),
            )
        )
        audit_record(
            actor=None,
            action="change.assigned",
            target=change,
            payload={"reviewer_id": reviewer_id, "reasons": [reason]},
        )
        turn_record(change=change, move=Move(Event.ASSIGNED, subject=reviewer_id))
    return created


def _paths_phrase(paths: list[str]) -> str:
    """'payments/**' style text for the paths that need an owner (the engine says 'owner of ...')."""
    dirs = sorted({p.rsplit("/", 1)[0] + "/**" if "/" in p else p for p in paths or []})
    return ", ".join(dirs[:3]) + (f" and {len(dirs) - 3} more" if len(dirs) > 3 else "")


def change_assign_if_waiting(*, change: Change) -> Assignment | None:
    """Assign an open change that waits for a sign-off, or ask its seniors again for a revision answering their
    request for changes; the receiver of policy's `change_evaluated`."""
    waits = (Change.ReviewState.NEEDS_SIGN_OFF, Change.ReviewState.CHANGES_REQUESTED)
    if change.state == Change.State.OPEN and change.review_state in waits:
        return change_assign(change=change)
    return None


def changes_assign_waiting(*, limit: int = 500) -> int:
    """Assign the open changes that wait for a sign-off with nobody assigned, the oldest first, their history read
    at once (assignment.knowledge); returns how many were assigned.

    Each change is then assigned in its own transaction under its row lock, skipped when another worker holds it;
    `_assign` checks again, under the ledger head's lock, that nobody is assigned, so no change is assigned twice.
    """
    waiting = list(
        Change.objects.filter(state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF)
        .exclude(assignments__state=Assignment.State.ACTIVE)
        .order_by("opened_at", "pk")[:limit]
    )
    if not waiting:
        return 0
    known = changes_knowledge(waiting, now=timezone.now())
    assigned = 0
    for change in waiting:
        with transaction.atomic():
            locked = (
                Change.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=change.pk, state=Change.State.OPEN)
                .first()
            )
            if locked is None:
                continue
            # A change that got a new revision meanwhile is read again on its own.
            knowledge = known[change.pk] if locked.head_sha == change.head_sha else None
            assigned += _assign(locked, frozenset(), knowledge) is not None
    return assigned
