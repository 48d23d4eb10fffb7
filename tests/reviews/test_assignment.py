"""Choosing a reviewer (reviews.assignment)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.assignment import Candidate, pick_reviewer


def candidate(engineer_id: int, **overrides) -> Candidate:
    values = {
        "engineer_id": engineer_id,
        "name": f"Engineer {engineer_id}",
        "level": 7,
        "is_away": False,
        "open_minutes": 0,
        "capacity_minutes": 240,
        "owns_paths": False,
    }
    values.update(overrides)
    return Candidate(**values)


def test_author_is_never_picked_even_when_least_loaded():
    author = candidate(1, open_minutes=0)
    other = candidate(2, open_minutes=200)

    pick = pick_reviewer([author, other], author_id=1)

    assert pick is not None
    assert pick.engineer_id == 2


def test_only_candidate_being_the_author_gives_no_pick():
    assert pick_reviewer([candidate(1)], author_id=1) is None


def test_away_engineer_is_never_picked():
    pick = pick_reviewer([candidate(1, is_away=True), candidate(2, open_minutes=230)], author_id=None)

    assert pick is not None
    assert pick.engineer_id == 2


@pytest.mark.parametrize(("level", "eligible"), [(1, False), (5, False), (6, True), (7, True), (9, True)])
def test_engineer_below_senior_level_is_never_picked(level, eligible):
    pick = pick_reviewer([candidate(1, level=level)], author_id=None)

    assert (pick is not None) is eligible


def test_senior_level_is_a_parameter():
    candidates = [candidate(1, level=7)]

    assert pick_reviewer(candidates, author_id=None, senior_level=8) is None
    assert pick_reviewer(candidates, author_id=None, senior_level=7) is not None


def test_excluded_engineers_are_never_picked():
    candidates = [candidate(1), candidate(2, open_minutes=100), candidate(3, open_minutes=200)]

    pick = pick_reviewer(candidates, author_id=None, exclude_ids=frozenset({1, 2}))

    assert pick is not None
    assert pick.engineer_id == 3


def test_owner_is_required_when_the_change_touches_sensitive_paths():
    candidates = [candidate(1, open_minutes=0), candidate(2, open_minutes=200, owns_paths=True)]

    pick = pick_reviewer(candidates, author_id=None, owner_required=True)

    assert pick is not None
    assert pick.engineer_id == 2
    assert pick.reasons == (
        "owns the sensitive paths this change touches",
        "least open review load among 1 eligible seniors (83% of weekly capacity)",
    )


def test_no_owner_available_gives_no_pick():
    candidates = [candidate(1), candidate(2, owns_paths=True, is_away=True), candidate(3, owns_paths=True, level=4)]

    assert pick_reviewer(candidates, author_id=None, owner_required=True) is None


def test_owner_is_not_preferred_when_no_owner_is_required():
    candidates = [candidate(1, open_minutes=100, owns_paths=True), candidate(2, open_minutes=10)]

    pick = pick_reviewer(candidates, author_id=None)

    assert pick is not None
    assert pick.engineer_id == 2


def test_least_share_of_capacity_wins_not_least_minutes():
    busy_small = candidate(1, open_minutes=60, capacity_minutes=120)  # 50%
    busy_large = candidate(2, open_minutes=100, capacity_minutes=600)  # 17%

    pick = pick_reviewer([busy_small, busy_large], author_id=None)

    assert pick is not None
    assert pick.engineer_id == 2
    assert pick.reasons == ("least open review load among 2 eligible seniors (17% of weekly capacity)",)


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        # Same share: fewer open minutes wins.
        (
            [candidate(1, open_minutes=120, capacity_minutes=240), candidate(2, open_minutes=60, capacity_minutes=120)],
            2,
        ),
        # Same share and minutes: lowest id wins, whatever the order given.
        ([candidate(5, open_minutes=30), candidate(3, open_minutes=30), candidate(4, open_minutes=30)], 3),
        ([candidate(3, open_minutes=30), candidate(5, open_minutes=30)], 3),
    ],
)
def test_ties_are_broken_by_open_minutes_then_id(candidates, winner):
    pick = pick_reviewer(candidates, author_id=None)

    assert pick is not None
    assert pick.engineer_id == winner


def test_zero_capacity_counts_as_one_minute_and_does_not_divide_by_zero():
    pick = pick_reviewer(
        [candidate(1, open_minutes=30, capacity_minutes=0), candidate(2, open_minutes=60)], author_id=None
    )

    assert pick is not None
    assert pick.engineer_id == 2


def test_share_above_capacity_is_reported_as_is():
    pick = pick_reviewer([candidate(1, open_minutes=480, capacity_minutes=240)], author_id=None)

    assert pick is not None
    assert pick.reasons == ("least open review load among 1 eligible seniors (200% of weekly capacity)",)


def test_no_candidates_gives_no_pick():
    assert pick_reviewer([], author_id=None) is None


candidates_strategy = st.lists(
    st.builds(
        Candidate,
        engineer_id=st.integers(min_value=1, max_value=30),
        name=st.just("x"),
        level=st.integers(min_value=0, max_value=10),
        is_away=st.booleans(),
        open_minutes=st.integers(min_value=0, max_value=5000),
        capacity_minutes=st.integers(min_value=0, max_value=2400),
        owns_paths=st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=200)
@given(
    candidates=candidates_strategy,
    author_id=st.none() | st.integers(min_value=1, max_value=30),
    exclude_ids=st.frozensets(st.integers(min_value=1, max_value=30), max_size=5),
    senior_level=st.integers(min_value=0, max_value=10),
    owner_required=st.booleans(),
)
def test_pick_is_always_an_eligible_candidate_with_the_least_load(
    candidates, author_id, exclude_ids, senior_level, owner_required
):
    def is_eligible(c: Candidate) -> bool:
        return (
            c.level >= senior_level
            and not c.is_away
            and c.engineer_id != author_id
            and c.engineer_id not in exclude_ids
            and (c.owns_paths or not owner_required)
        )

    def share(c: Candidate) -> float:
        return c.open_minutes / max(c.capacity_minutes, 1)

    eligible = [c for c in candidates if is_eligible(c)]

    pick = pick_reviewer(
        candidates,
        author_id=author_id,
        exclude_ids=exclude_ids,
        senior_level=senior_level,
        owner_required=owner_required,
    )

    if not eligible:
        assert pick is None
        return
    assert pick is not None
    picked = [c for c in eligible if c.engineer_id == pick.engineer_id]
    assert picked, "the pick must be one of the eligible candidates"
    assert pick.engineer_id != author_id
    assert pick.engineer_id not in exclude_ids
    assert min(share(c) for c in picked) == min(share(c) for c in eligible)
    assert pick.reasons
