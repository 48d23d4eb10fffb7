"""The attention set's rules, event by event: whose move it is after each thing that can happen on a change."""

from __future__ import annotations

import pytest

from reviews.attention import Event, Move, Turn, next_turn, reason_of

A, S, T = 1, 2, 3  # the author, a senior, a second senior

# (name, before: (reviewers, attention), move, after: (reviewers, attention))
TABLE = [
    ("assigned senior gets the move", ((), ()), Move(Event.ASSIGNED, subject=S), ((S,), (S,))),
    ("assigning takes it from the author", ((), (A,)), Move(Event.ASSIGNED, subject=S), ((S,), (S,))),
    ("the author is never a reviewer", ((), ()), Move(Event.ASSIGNED, subject=A), ((), ())),
    ("a second senior joins", ((S,), (S,)), Move(Event.ASSIGNED, subject=T), ((S, T), (S, T))),
    ("handed back: out of the change", ((S,), (S,)), Move(Event.REVIEWER_REMOVED, subject=S), ((), ())),
    ("re-routed while waiting", ((S, T), (A,)), Move(Event.REVIEWER_REMOVED, subject=S), ((T,), (A,))),
    ("request changes: author's move", ((S,), (S,)), Move(Event.CHANGES_REQUESTED, actor=S), ((S,), (A,))),
    (
        "request changes leaves the other senior's turn",
        ((S, T), (S, T)),
        Move(Event.CHANGES_REQUESTED, actor=S),
        ((S, T), (T, A)),
    ),
    ("a host reviewer who was never assigned joins", ((), ()), Move(Event.CHANGES_REQUESTED, actor=T), ((T,), (A,))),
    ("comment verdict asks the author", ((S,), (S,)), Move(Event.COMMENTED, actor=S), ((S,), (A,))),
    ("approve, more needed", ((S, T), (S, T)), Move(Event.APPROVED, actor=S), ((S, T), (T,))),
    ("approve, complete: nobody's move", ((S, T), (S, T)), Move(Event.APPROVED, actor=S, complete=True), ((S, T), ())),
    ("new revision: nobody until policy ran", ((S,), (A,)), Move(Event.NEW_REVISION), ((S,), ())),
    ("evaluated ready: seniors again", ((S,), ()), Move(Event.EVALUATED, review_state="needs_sign_off"), ((S,), (S,))),
    (
        "evaluated ready after the author fixed gates",
        ((S,), (A,)),
        Move(Event.EVALUATED, review_state="needs_sign_off"),
        ((S,), (S,)),
    ),
    (
        "evaluated ready keeps a partial set",
        ((S, T), (T,)),
        Move(Event.EVALUATED, review_state="needs_sign_off"),
        ((S, T), (T,)),
    ),
    ("evaluated gates failing: author", ((S,), (S,)), Move(Event.EVALUATED, review_state="gates_failed"), ((S,), (A,))),
    (
        "evaluated attestation missing: author",
        ((S,), ()),
        Move(Event.EVALUATED, review_state="awaiting_attestation"),
        ((S,), (A,)),
    ),
    ("evaluated signed off: nobody", ((S,), (S,)), Move(Event.EVALUATED, review_state="approved"), ((S,), ())),
    ("evaluated no sign-off needed: nobody", ((), (A,)), Move(Event.EVALUATED, review_state="not_required"), ((), ())),
    (
        "new revision evaluated, request still standing: its senior looks",
        ((S,), ()),
        Move(Event.EVALUATED, review_state="changes_requested"),
        ((S,), (S,)),
    ),
    (
        "re-evaluated while the author works: still theirs",
        ((S,), (A,)),
        Move(Event.EVALUATED, review_state="changes_requested"),
        ((S,), (A,)),
    ),
    (
        "host request for changes, no senior here: author",
        ((), ()),
        Move(Event.EVALUATED, review_state="changes_requested"),
        ((), (A,)),
    ),
    (
        "attested the answering revision: its senior looks",
        ((S,), (A,)),
        Move(Event.ATTESTED, actor=A, review_state="changes_requested"),
        ((S,), (S,)),
    ),
    ("evaluated pending: unchanged", ((S,), (S,)), Move(Event.EVALUATED, review_state="pending_policy"), ((S,), (S,))),
    ("attested: seniors", ((S,), (A,)), Move(Event.ATTESTED, actor=A, review_state="needs_sign_off"), ((S,), (S,))),
    (
        "attested before any senior: nobody yet",
        ((), (A,)),
        Move(Event.ATTESTED, actor=A, review_state="needs_sign_off"),
        ((), ()),
    ),
    (
        "author replies: seniors' move",
        ((S, T), (A,)),
        Move(Event.AUTHOR_REPLIED, actor=A, review_state="changes_requested"),
        ((S, T), (S, T)),
    ),
    (
        "author replies while gates fail: still theirs",
        ((S,), (A,)),
        Move(Event.AUTHOR_REPLIED, actor=A, review_state="gates_failed"),
        ((S,), (A,)),
    ),
    (
        "author replies after sign-off: nobody",
        ((S,), ()),
        Move(Event.AUTHOR_REPLIED, actor=A, review_state="approved"),
        ((S,), ()),
    ),
    (
        "someone else's reply is no author reply",
        ((S,), (A,)),
        Move(Event.AUTHOR_REPLIED, actor=T, review_state="changes_requested"),
        ((S,), (A,)),
    ),
    (
        "a reply from someone not on the change: unchanged",
        ((S,), (S,)),
        Move(Event.REVIEWER_REPLIED, actor=T, review_state="changes_requested"),
        ((S,), (S,)),
    ),
    (
        "senior mid-review comments: unchanged",
        ((S,), (S,)),
        Move(Event.REVIEWER_REPLIED, actor=S, review_state="needs_sign_off"),
        ((S,), (S,)),
    ),
    (
        "senior who waited answers the author",
        ((S,), ()),
        Move(Event.REVIEWER_REPLIED, actor=S, review_state="changes_requested"),
        ((S,), (A,)),
    ),
    ("closed: nobody", ((S,), (S, A)), Move(Event.CLOSED), ((S,), ())),
]


@pytest.mark.parametrize(("name", "before", "move", "after"), TABLE, ids=[row[0] for row in TABLE])
def test_attention_set_transitions(name, before, move, after):
    start = Turn(author=A, reviewers=frozenset(before[0]), attention=frozenset(before[1]))

    outcome = next_turn(start, move)

    assert outcome.turn.reviewers == frozenset(after[0])
    assert outcome.turn.attention == frozenset(after[1])
    assert outcome.gained == frozenset(after[1]) - frozenset(before[1])
    assert outcome.lost == frozenset(before[1]) - frozenset(after[1])


def test_every_event_is_in_the_table():
    assert {row[2].event for row in TABLE} == set(Event)


def test_a_change_without_a_known_author_never_waits_for_nobody_in_particular():
    outcome = next_turn(Turn(author=None, reviewers=frozenset({S})), Move(Event.CHANGES_REQUESTED, actor=S))

    assert outcome.turn.attention == frozenset()


@pytest.mark.parametrize(
    ("move", "reason"),
    [
        (Move(Event.EVALUATED, review_state="gates_failed"), "gates are failing"),
        (Move(Event.EVALUATED, review_state="needs_sign_off"), "ready for review"),
        (Move(Event.AUTHOR_REPLIED, actor=A), "the author replied"),
        (Move(Event.CHANGES_REQUESTED, actor=S), "changes requested"),
    ],
)
def test_reasons_say_why_the_move_changed(move, reason):
    assert reason_of(move) == reason
