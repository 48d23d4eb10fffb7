"""The review queue's actions: claim, hand back, going away, and re-routing what waited too long."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assignment.bandpick import ChangeKnowledge
from assignment.knowledge import changes_knowledge
from assignment.services.assign import change_assign
from notifications.services.events import tell_rerouted
from notifications.services.turns import turn_record
from policy.signoff_rules import UNKNOWN_AUTHOR
from portal.access.rules import may
from reviews.attention import Event, Move
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.models import Assignment, Change, Engineer


def _reroute(
    change: Change, *, exclude: frozenset[int], why: str, knowledge: ChangeKnowledge | None = None
) -> Assignment | None:
    """Assign the change to another eligible senior; the caller holds the change's row lock."""
    assignment = change_assign(change=change, exclude=exclude, knowledge=knowledge)
    if assignment is not None:
        assignment.reasons = [why, *assignment.reasons]
        assignment.reason = why[:500]
        assignment.save(update_fields=["reasons", "reason"])
    return assignment


def assignment_hand_back(*, assignment: Assignment, engineer: Engineer, reason: str) -> Assignment | None:
    """The reviewer gives a change back with a reason; it is re-routed at once. Returns the new assignment."""
    reason = reason.strip()
    if len(reason) < 5:
        raise ServiceError("say why you hand it back (at least 5 characters)")
    with transaction.atomic():
        change = (
            Change.objects.select_for_update(of=("self",))
            .select_related("repository", "author")
            .get(pk=assignment.change_id)
        )
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.reviewer_id != engineer.pk:
            raise NotAllowed("only the assigned reviewer can hand a change back")
        if assignment.state != Assignment.State.ACTIVE:
            raise ServiceError("this assignment is no longer active")
        assignment.state = Assignment.State.HANDED_BACK
        assignment.handback_reason = reason[:500]
        assignment.completed_at = timezone.now()
        assignment.save(update_fields=["state", "handback_reason", "completed_at"])
        host_sync_mark(change_id=change.pk, reason="handed back")
        audit_record(
            actor=engineer.user, action="assignment.handed_back", target=change, payload={"reason": reason[:500]}
        )
        turn_record(change=change, move=Move(Event.REVIEWER_REMOVED, subject=engineer.pk))
        return _reroute(
            change, exclude=frozenset({engineer.pk}), why=f"re-routed: {engineer.display_name} handed it back"
        )


def assignment_claim(*, change: Change, engineer: Engineer) -> Assignment:
    """A senior takes a change from a teammate's queue (or an unassigned one) into their own."""
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if not engineer.is_senior or engineer.pk == change.author_id:
            raise NotAllowed("only a senior who is not the author can claim this change")
        if change.is_author_unknown:
            raise NotAllowed(UNKNOWN_AUTHOR)
        if change.state != Change.State.OPEN or change.review_state != Change.ReviewState.NEEDS_SIGN_OFF:
            raise ServiceError("this change is not waiting for a sign-off")
        now = timezone.now()
        previous = list(change.assignments.filter(state=Assignment.State.ACTIVE).exclude(reviewer=engineer))
        for old in previous:
            old.state = Assignment.State.CANCELLED
            old.completed_at = now
            old.save(update_fields=["state", "completed_at"])
            turn_record(change=change, move=Move(Event.REVIEWER_REMOVED, subject=old.reviewer_id))
        assignment, created = Assignment.objects.get_or_create(
            change=change,
            reviewer=engineer,
            state=Assignment.State.ACTIVE,
            defaults={
                "reason": "claimed by the reviewer",
                "reasons": ["claimed by the reviewer"],
                "estimated_minutes": change.review_minutes,
                "due_at": previous[0].due_at if previous else None,
            },
        )
        assignment.claimed_at = now
        assignment.save(update_fields=["claimed_at"])
        host_sync_mark(change_id=change.pk, reason="claimed")
        turn_record(change=change, move=Move(Event.ASSIGNED, subject=engineer.pk))
        audit_record(
            actor=engineer.user,
            action="assignment.claimed",
            target=change,
            payload={"from": [a.reviewer_id for a in previous]},
        )
    return assignment


def engineer_set_away(*, engineer: Engineer, away: bool, actor: Any, until: date | None = None) -> int:
    """Mark an engineer away, until a date if given (their queue is re-routed), or back; returns how many moved."""
    with transaction.atomic():
        engineer = Engineer.objects.select_for_update().get(pk=engineer.pk)
        engineer.is_away = away
        engineer.away_until = until if away else None
        engineer.save(update_fields=["is_away", "away_until"])
        payload = {"until": until.isoformat()} if away and until else {}
        audit_record(actor=actor, action="engineer.away" if away else "engineer.back", target=engineer, payload=payload)
    if not away:
        return 0
    return sum(1 for _ in _reroute_assignments(Assignment.objects.filter(reviewer=engineer), "is away"))


def reroute_stale() -> int:
    """Re-route active assignments past their deadline and its grace, or held by someone away; returns how many."""
    # At the deadline the team's manager hears of it (notifications' scan) and may re-route it by hand; past the
    # grace period it moves on its own.
    cutoff = timezone.now() - timedelta(hours=settings.PORTAL_REVIEW_REROUTE_GRACE_HOURS)
    stale = Assignment.objects.filter(due_at__lt=cutoff) | Assignment.objects.filter(reviewer__is_away=True)
    return sum(1 for _ in _reroute_assignments(stale, None))


def _reroute_assignments(queryset, why: str | None):
    ids = list(
        queryset.filter(state=Assignment.State.ACTIVE, change__state=Change.State.OPEN).values_list("pk", flat=True)
    )
    # The history of every change to move, read at once (a fixed number of queries); a change that got a new
    # revision meanwhile is read again on its own.
    waiting = list(Change.objects.filter(assignments__pk__in=ids).distinct())
    known = changes_knowledge(waiting, now=timezone.now()) if len(waiting) > 1 else {}
    revision = {c.pk: c.head_sha for c in waiting}
    for assignment_id in ids:
        with transaction.atomic():
            assignment = (
                Assignment.objects.select_for_update(skip_locked=True)
                .select_related("reviewer")
                .filter(pk=assignment_id, state=Assignment.State.ACTIVE)
                .first()
            )
            if assignment is None:
                continue
            change = (
                Change.objects.select_for_update(of=("self",))
                .select_related("repository", "author")
                .get(pk=assignment.change_id)
            )
            reason = why or ("is away" if assignment.reviewer.is_away else "let the review deadline pass")
            assignment.state = Assignment.State.CANCELLED
            assignment.completed_at = timezone.now()
            assignment.handback_reason = f"re-routed: {reason}"[:500]
            assignment.save(update_fields=["state", "completed_at", "handback_reason"])
            host_sync_mark(change_id=change.pk, reason="re-routed")
            audit_record(
                actor=None,
                action="assignment.rerouted",
                target=change,
                payload={"from": assignment.reviewer_id, "why": reason},
            )
            turn_record(change=change, move=Move(Event.REVIEWER_REMOVED, subject=assignment.reviewer_id))
            tell_rerouted(assignment, reason)
            _reroute(
                change,
                exclude=frozenset({assignment.reviewer_id}),
                why=f"re-routed: {assignment.reviewer.display_name} {reason}",
                knowledge=known.get(change.pk) if revision.get(change.pk) == change.head_sha else None,
            )
            yield assignment, reason


def assignment_reroute(*, assignment: Assignment, actor: Engineer) -> Assignment | None:
    """The team's manager (or an admin) moves a review to another senior at once: the one click of an overdue notice."""
    if not may(actor.user, "reviews.reroute_assignment", assignment):
        raise NotAllowed("only the team's manager or an admin can re-route a review")
    if assignment.state != Assignment.State.ACTIVE:
        raise ServiceError("this review was already done or moved")
    moved = list(
        _reroute_assignments(Assignment.objects.filter(pk=assignment.pk), f"was re-routed by {actor.display_name}")
    )
    if not moved:
        raise ServiceError("this review was already done or moved")
    return Assignment.objects.filter(change_id=assignment.change_id, state=Assignment.State.ACTIVE).first()
