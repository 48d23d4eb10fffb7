"""The desired host state (pure): states, titles, annotations, caps."""

from __future__ import annotations

import pytest

from hostsync.desired import (
    MAX_DESCRIPTION,
    MAX_TEXT,
    ChangeFacts,
    GateFact,
    desired_state,
    has_marker,
)


def facts(**extra) -> ChangeFacts:
    base = {
        "change_id": 7,
        "number": 3,
        "head_sha": "a" * 40,
        "review_state": "needs_sign_off",
        "required_sign_offs": 1,
        "ai_assisted": True,
        "author_level": 3,
        "details_url": "https://cs.example/changes/7/",
        "paths": frozenset({"app/keys.py", "db/0002.sql"}),
    }
    return ChangeFacts(**{**base, **extra})


@pytest.mark.parametrize(
    ("review_state", "state"),
    [
        ("pending_policy", "pending"),
        ("awaiting_attestation", "pending"),
        ("needs_sign_off", "pending"),
        ("gates_failed", "failure"),
        ("changes_requested", "failure"),
        ("approved", "success"),
        ("not_required", "neutral"),
    ],
)
def test_each_review_state_maps_to_a_host_state(review_state, state):
    assert desired_state(facts(review_state=review_state)).state == state


def test_the_title_says_what_is_needed_and_why():
    assert desired_state(facts()).title == "Needs 1 senior sign-off: AI-assisted change by an L3 author"
    assert desired_state(facts(required_sign_offs=2, ai_assisted=False)).title == "Needs 2 senior sign-offs"


def test_findings_become_annotations_on_their_lines_with_the_gate_level():
    gates = (
        GateFact("secrets", "fail", "1 secret", ("app/keys.py:12: AWS key (AKIA****)", "elsewhere.py:3: not ours")),
        GateFact("migrations", "warn", "1 migration", ("db/0002.sql",)),
        GateFact("size", "fail", "too big", ("app/keys.py: +900 -0",), overridden=True),
    )
    annotations = desired_state(facts(gates=gates)).annotations
    assert [(a.path, a.line, a.level) for a in annotations] == [
        ("app/keys.py", 12, "failure"),
        ("app/keys.py", 1, "warning"),
        ("db/0002.sql", 1, "warning"),
    ]


def test_texts_are_capped_to_what_the_host_takes():
    gates = (GateFact("huge", "warn", "x" * 100, tuple("y" * 1000 for _ in range(200))),)
    reasons = tuple("r" * 5000 for _ in range(20))
    desired = desired_state(facts(gates=gates, policy_reasons=reasons, required_sign_offs=99, author_level=8))
    assert len(desired.summary) <= MAX_TEXT and len(desired.text) <= MAX_TEXT and len(desired.comment) <= MAX_TEXT
    assert len(desired.description) <= MAX_DESCRIPTION


def test_the_comment_carries_its_marker_and_fingerprints_follow_the_content():
    one, two = desired_state(facts()), desired_state(facts(review_state="approved"))
    assert has_marker(one.comment, 7) and not has_marker(one.comment, 8)
    assert one.check_fingerprint != two.check_fingerprint and one.fingerprint == desired_state(facts()).fingerprint
