"""The attention set, as Gerrit has it: of a change's participants, the people whose move it is.

Pure: the participants and the current set come in with one event, the next set goes out. The author and the
seniors reviewing the change are its participants; a senior stays one after their verdict (so a request for
changes keeps the change in their view while the author works on it) until they hand it back or it is re-routed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Event(StrEnum):
    """What happened on the change."""

    ASSIGNED = "assigned"  # a senior was assigned (or claimed it, or was asked again)
    REVIEWER_REMOVED = "reviewer_removed"  # handed back, re-routed or replaced by a claim
    CHANGES_REQUESTED = "changes_requested"  # a senior's verdict: changes requested
    COMMENTED = "commented"  # a senior's verdict without a decision: a question for the author
    APPROVED = "approved"  # a senior's sign-off (complete: the policy is satisfied)
    NEW_REVISION = "new_revision"  # the author pushed a new head
    EVALUATED = "evaluated"  # the diff was pulled and policy applied (a new revision, a gate override, ...)
    ATTESTED = "attested"  # the author attested self-review
    AUTHOR_REPLIED = "author_replied"  # the author answered in a thread
    REVIEWER_REPLIED = "reviewer_replied"  # a senior answered in a thread
    CLOSED = "closed"  # merged or closed: nobody's move any more


# Review states (Change.ReviewState values) in which the move is the author's whatever else happened.
AUTHOR_STATES = frozenset({"gates_failed", "awaiting_attestation"})
DONE_STATES = frozenset({"approved", "not_required"})


@dataclass(frozen=True)
class Turn:
    """Who takes part in the change and whose move it is."""

    author: int | None
    reviewers: frozenset[int] = frozenset()
    attention: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Move:
    """One event: who did it (`actor`), whom it is about (`subject`), the change's review state after it."""

    event: Event
    actor: int | None = None
    subject: int | None = None
    review_state: str = ""
    complete: bool = False


@dataclass(frozen=True)
class Outcome:
    """The next turn, and who gained or lost the move (for notifications)."""

    turn: Turn
    gained: frozenset[int] = field(default_factory=frozenset)
    lost: frozenset[int] = field(default_factory=frozenset)


def _author(turn: Turn) -> frozenset[int]:
    return frozenset({turn.author}) if turn.author is not None else frozenset()


def _next(turn: Turn, move: Move) -> Turn:
    author, reviewers, attention = _author(turn), turn.reviewers, turn.attention
    who = frozenset({move.actor}) if move.actor is not None else frozenset()
    subject = frozenset({move.subject}) if move.subject is not None else frozenset()
    match move.event:
        case Event.ASSIGNED:
            reviewers = reviewers | (subject - author)
            attention = (attention - author) | (subject - author)
        case Event.REVIEWER_REMOVED:
            reviewers, attention = reviewers - subject, attention - subject
        case Event.CHANGES_REQUESTED | Event.COMMENTED:
            reviewers = reviewers | (who - author)
            attention = (attention - who) | author
        case Event.APPROVED:
            reviewers = reviewers | (who - author)
            attention = frozenset() if move.complete else attention - who
        case Event.NEW_REVISION:
            # Nobody's move until the diff is pulled and policy applied: EVALUATED then gives it to every senior
            # still on the change (old sign-offs stop counting) or back to the author (gates, attestation).
            attention = frozenset()
        case Event.EVALUATED | Event.ATTESTED:
            if move.review_state in AUTHOR_STATES:
                attention = author
            elif move.review_state in DONE_STATES:
                attention = frozenset()
            elif move.review_state == "needs_sign_off" and (not attention or attention <= author):
                attention = reviewers
            elif move.review_state == "changes_requested" and (
                not attention or (move.event == Event.ATTESTED and attention <= author)
            ):
                # A senior's request stands until they lift it, but a new revision (attested, if it must be) is
                # theirs to look at.
                attention = reviewers or author
        case Event.AUTHOR_REPLIED:
            if who <= author and move.review_state not in AUTHOR_STATES and move.review_state not in DONE_STATES:
                attention = (attention - author) | reviewers
        case Event.REVIEWER_REPLIED:
            # Mid-review a senior writes many comments: only an answer from a senior who was waiting hands it back.
            if who <= reviewers and not who & attention and move.review_state not in DONE_STATES:
                attention = attention | author
        case Event.CLOSED:
            attention = frozenset()
    return Turn(author=turn.author, reviewers=reviewers, attention=attention & (reviewers | author))


def next_turn(turn: Turn, move: Move) -> Outcome:
    """Apply one event to a change's turn; who gained and who lost the move come with it."""
    after = _next(turn, move)
    return Outcome(turn=after, gained=after.attention - turn.attention, lost=turn.attention - after.attention)


REASONS = {
    Event.ASSIGNED: "assigned to review",
    Event.REVIEWER_REMOVED: "no longer reviewing",
    Event.CHANGES_REQUESTED: "changes requested",
    Event.COMMENTED: "a senior asked a question",
    Event.APPROVED: "signed off",
    Event.NEW_REVISION: "a new revision to review",
    Event.EVALUATED: "policy applied to the revision",
    Event.ATTESTED: "the author attested self-review",
    Event.AUTHOR_REPLIED: "the author replied",
    Event.REVIEWER_REPLIED: "a senior replied",
    Event.CLOSED: "closed",
}

STATE_REASONS = {
    "gates_failed": "gates are failing",
    "awaiting_attestation": "self-review to attest",
    "needs_sign_off": "ready for review",
    "changes_requested": "a new revision answers the request for changes",
}


def reason_of(move: Move) -> str:
    """Why the turn moved, in words for the change page and the notifications."""
    if move.event in (Event.EVALUATED, Event.ATTESTED) and move.review_state in STATE_REASONS:
        return STATE_REASONS[move.review_state]
    return REASONS[move.event]
