"""The review loop's hand-overs, through the services: whose turn it is, and who hears of it."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from intake.services.repositories import change_new_revision
from notifications.services.delivery import due_messages, message_deliver
from notifications.services.turns import turn_record
from reviews.attention import Event, Move
from reviews.conversation.selectors import waiting_on_others
from reviews.models import (
    Assignment,
    AttentionEntry,
    Change,
    Notification,
    NotificationKind,
    Revision,
)
from reviews.selectors import queue_filtered
from reviews.services.comments import comment_add, comment_reply
from reviews.services.signoff import review_submit
from tests.reviews.test_views import HEAD, NEWER, add_files


def in_turn(change: Change) -> set[str]:
    return {e.engineer.user.username for e in AttentionEntry.objects.filter(change=change, in_turn=True)}


def kinds_of(engineer) -> list[str]:
    return list(Notification.objects.filter(recipient=engineer).order_by("pk").values_list("kind", flat=True))


def send_all() -> None:
    for pk in due_messages():
        message_deliver(message_id=pk)


def test_assignment_gives_the_senior_the_move_and_tells_them_why(org):
    assert in_turn(org.change) == {"maya"}
    notice = Notification.objects.get(recipient=org.senior)
    assert notice.kind == NotificationKind.ASSIGNED
    assert notice.details and "Why you:" in notice.body
    assert [a.change for a in queue_filtered(org.senior, {})] == [org.change]


def test_request_for_changes_keeps_the_change_in_the_seniors_view_until_the_author_acts(org):
    review_submit(
        change=org.change,
        reviewer=org.senior,
        verdict="request_changes",
        head_sha=HEAD,
        seconds_spent=300,
        comment="Round half-even, not half-up: see the ledger rules.",
    )

    assert in_turn(org.change) == {"leo"}
    assert list(queue_filtered(org.senior, {})) == []
    waiting = waiting_on_others(org.senior)
    assert [w.change for w in waiting] == [org.change] and [e.pk for e in waiting[0].waiting_for] == [org.author.pk]
    told = Notification.objects.get(recipient=org.author)
    assert told.kind == NotificationKind.CHANGES_REQUESTED
    assert told.body == "Round half-even, not half-up: see the ledger rules."
    send_all()
    assert [m.to for m in mail.outbox] == [[org.senior.email], [org.author.email]]
    assert "Round half-even" in mail.outbox[1].body


def test_a_new_revision_gives_the_senior_the_move_again_with_what_changed_since_their_review(org):
    Revision.objects.create(change=org.change, number=1, head_sha=HEAD)
    review_submit(change=org.change, reviewer=org.senior, verdict="request_changes", head_sha=HEAD, seconds_spent=60)

    change_new_revision(change=org.change, head_sha=NEWER, base_sha=org.change.base_sha)
    change = Change.objects.get(pk=org.change.pk)
    assert in_turn(change) == set()  # the diff and policy come first
    Revision.objects.create(change=change, number=2, head_sha=NEWER)
    change.diff_sha, change.diff_state, change.review_state = NEWER, "done", "needs_sign_off"
    change.save()
    turn_record(change=change, move=Move(Event.EVALUATED, review_state="needs_sign_off"))

    assert in_turn(change) == {"maya"}
    turn = Notification.objects.get(recipient=org.senior, kind=NotificationKind.TURN)
    assert turn.url == reverse("reviews:change-interdiff", args=[change.pk]) + "?from=1"
    assert "since your review of r1" in turn.body


def test_the_author_replying_hands_the_move_back_and_a_waiting_senior_answering_returns_it(org):
    add_files(org.change, 1)
    path = org.change.files.get().path
    thread = comment_add(
        change=org.change, author=org.senior, path=path, line=1, side="new", body="Why here?", head_sha=HEAD
    )
    review_submit(change=org.change, reviewer=org.senior, verdict="request_changes", head_sha=HEAD, seconds_spent=60)
    assert in_turn(org.change) == {"leo"}

    comment_reply(thread=thread, author=org.author, body="Because the ledger rounds there.")
    assert in_turn(org.change) == {"maya"}
    assert kinds_of(org.senior)[-1] == NotificationKind.TURN

    # Holding the move, the senior answering is part of their review: the move stays theirs until a verdict.
    comment_reply(thread=thread, author=org.senior, body="Then say so in a comment.")
    assert in_turn(org.change) == {"maya"}


def test_sign_off_tells_the_author_and_ends_everyones_turn(org):
    review_submit(change=org.change, reviewer=org.senior, verdict="approve", head_sha=HEAD, seconds_spent=300)

    assert in_turn(org.change) == set()
    assert kinds_of(org.author) == [NotificationKind.SIGNED_OFF]
    assert waiting_on_others(org.senior) == []


def test_one_event_is_told_once_however_often_it_is_recorded(org):
    assignment = Assignment.objects.get(change=org.change)
    from notifications.services.events import tell_assigned

    assert tell_assigned(assignment) == 0
    assert Notification.objects.filter(recipient=org.senior).count() == 1
