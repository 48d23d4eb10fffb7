"""Choosing a reviewer (assignment.picking): eligibility, each term, their combination, reasons, expertise."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assignment.picking import (
    DEFAULT_WEIGHTS,
    Candidate,
    Weights,
    decay,
    directory_of,
    expertise_score,
    is_eligible,
    pick_reviewer,
    reasons_for,
    reference_minutes,
    score,
    spreads_count,
    terms,
)


def candidate(engineer_id: int, **overrides) -> Candidate:
    values = {
        "engineer_id": engineer_id,
        "name": f"Engineer {engineer_id}",
        "level": 7,
        "is_away": False,
        "capacity_minutes": 240,
        "open_minutes": 0,
    }
    values.update(overrides)
    return Candidate(**values)


def picked(candidates, **kwargs) -> int | None:
    kwargs.setdefault("author_id", None)
    pick = pick_reviewer(candidates, **kwargs)
    return None if pick is None else pick.engineer_id


# --- eligibility -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "kwargs", "eligible"),
    [
        ({}, {}, True),
        ({}, {"author_id": 1}, False),
        ({}, {"exclude_ids": frozenset({1})}, False),
        ({"is_away": True}, {}, False),
        ({"level": 5}, {}, False),
        ({"level": 6}, {}, True),
        ({"level": 7}, {"senior_level": 8}, False),
        ({"open_minutes": 239}, {}, True),
        ({"open_minutes": 240}, {}, False),  # at capacity
        ({"open_minutes": 100, "reviewed_minutes_7d": 140}, {}, False),  # reviewed this week counts too
        ({"open_minutes": 100, "reviewed_minutes_7d": 139}, {}, True),
        ({"capacity_minutes": 0}, {}, False),  # no capacity: never assigned
        ({"open_count": 7, "max_open": 8}, {}, True),
        ({"open_count": 8, "max_open": 8}, {}, False),  # at the cap on open assignments
        ({"open_count": 50, "max_open": None}, {}, True),  # no cap given
        ({"max_open": 0}, {}, False),
        ({}, {"owner_required": True}, False),
        ({"owns_paths": True}, {"owner_required": True}, True),
        ({"owns_paths": True}, {}, True),
    ],
)
def test_who_is_eligible(overrides, kwargs, eligible):
    kwargs.setdefault("author_id", None)

    assert is_eligible(candidate(1, **overrides), **kwargs) is eligible
    assert (picked([candidate(1, **overrides)], **kwargs) == 1) is eligible


def test_the_author_is_never_picked_even_when_idle_and_expert():
    author = candidate(1, expertise=1.0, files_known=3)
    other = candidate(2, open_minutes=200)

    assert picked([author, other], author_id=1, touched_files=3) == 2


def test_nobody_eligible_gives_no_pick():
    assert picked([]) is None
    assert picked([candidate(1)], author_id=1) is None
    assert picked([candidate(1), candidate(2, owns_paths=True, is_away=True)], owner_required=True) is None


def test_an_owner_is_picked_over_a_lighter_expert_when_an_owner_is_required():
    owner = candidate(1, open_minutes=150, owns_paths=True)
    expert = candidate(2, expertise=1.0, files_known=2)

    assert picked([owner, expert], owner_required=True, touched_files=2) == 1
    assert picked([owner, expert], touched_files=2) == 2  # owners are not preferred when none is required


# --- the terms -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "touched", "reference", "expected"),
    [
        ({}, 2, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.0, "spread": 0.0}),
        ({"open_minutes": 60}, 2, 240, {"load": 0.75, "queue": -0.25, "expertise": 0.0, "spread": 0.0}),
        ({"reviewed_minutes_7d": 120}, 2, 240, {"load": 0.5, "queue": 0.0, "expertise": 0.0, "spread": 0.0}),
        # The common scale: 120 minutes are 120 minutes whatever the senior's own capacity.
        (
            {"open_minutes": 120, "capacity_minutes": 600},
            2,
            240,
            {"load": 0.5, "queue": -0.5, "expertise": 0.0, "spread": 0.0},
        ),
        ({"expertise": 0.4}, 2, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.4, "spread": 0.0}),
        ({"expertise": 7.0}, 2, 240, {"load": 1.0, "queue": 0.0, "expertise": 1.0, "spread": 0.0}),
        ({"expertise": math.nan}, 2, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.0, "spread": 0.0}),
        ({"spreads_files": 1}, 4, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.0, "spread": 0.25}),
        ({"spreads_files": 9}, 4, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.0, "spread": 1.0}),
        ({"spreads_files": 1}, 0, 240, {"load": 1.0, "queue": 0.0, "expertise": 0.0, "spread": 0.0}),
        ({"open_minutes": 10}, 1, 0, {"load": -9.0, "queue": -10.0, "expertise": 0.0, "spread": 0.0}),
    ],
)
def test_each_term(overrides, touched, reference, expected):
    assert terms(candidate(1, **overrides), touched_files=touched, reference=reference) == pytest.approx(expected)


def test_score_is_the_weighed_sum_of_the_terms():
    c = candidate(1, open_minutes=60, reviewed_minutes_7d=60, expertise=0.5, spreads_files=1)
    weights = Weights(load=2.0, expertise=3.0, spread=5.0, queue=7.0)

    # load 1 - 120/240, queue -60/240, expertise 0.5, spread 1/2
    assert score(c, touched_files=2, reference=240, weights=weights) == pytest.approx(
        2.0 * 0.5 + 7.0 * -0.25 + 3.0 * 0.5 + 5.0 * 0.5
    )


@pytest.mark.parametrize(("capacities", "reference"), [([240], 240), ([240, 600, 120], 240), ([100, 300], 200)])
def test_the_load_scale_is_the_median_capacity_of_the_eligible(capacities, reference):
    assert reference_minutes([candidate(i, capacity_minutes=c) for i, c in enumerate(capacities)]) == reference


def test_a_larger_capacity_is_a_ceiling_not_a_quota():
    # 17% against 25% of their own capacities, but 100 minutes against 60: the lighter in minutes is picked.
    big = candidate(1, open_minutes=100, capacity_minutes=600)
    small = candidate(2, open_minutes=60, capacity_minutes=240)

    assert picked([big, small]) == 2


def test_the_larger_capacity_takes_the_overflow_when_the_others_are_full():
    big = candidate(1, open_minutes=300, capacity_minutes=600)
    full = candidate(2, open_minutes=240, capacity_minutes=240)

    assert picked([big, full]) == 1


def test_open_work_weighs_more_than_work_done_this_week():
    queued = candidate(1, open_minutes=60)
    busy_but_free_now = candidate(2, reviewed_minutes_7d=100)

    assert picked([queued, busy_but_free_now]) == 2


def test_expertise_decides_between_seniors_with_the_same_load():
    assert picked([candidate(1, expertise=0.2), candidate(2, expertise=0.7)], touched_files=1) == 2


def test_a_busy_expert_loses_to_an_idle_colleague_who_knows_the_code_a_little():
    busy_expert = candidate(1, expertise=1.0, open_minutes=90)
    idle = candidate(2, expertise=0.3)

    assert picked([busy_expert, idle], touched_files=1) == 2


def test_an_expert_with_a_little_more_load_still_wins():
    expert = candidate(1, expertise=0.9, reviewed_minutes_7d=30)
    novice = candidate(2, expertise=0.0)

    assert picked([expert, novice], touched_files=1) == 1


def test_spreading_knowledge_decides_between_equally_capable_seniors():
    knows_it = candidate(1, expertise=0.5)
    would_learn = candidate(2, expertise=0.5, spreads_files=2)

    assert picked([knows_it, would_learn], touched_files=2) == 2


def test_without_an_expertise_weight_the_least_loaded_wins():
    expert = candidate(1, expertise=1.0, reviewed_minutes_7d=20)
    idle = candidate(2)

    assert picked([expert, idle], touched_files=1) == 1
    assert picked([expert, idle], touched_files=1, weights=Weights(expertise=0.0)) == 2


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        # Same score: the lower share of their own capacity wins, then the lower id, whatever the order given.
        ([candidate(1, open_minutes=30), candidate(2, open_minutes=30, capacity_minutes=600)], 2),
        ([candidate(5, open_minutes=30), candidate(3, open_minutes=30), candidate(4, open_minutes=30)], 3),
        ([candidate(3), candidate(5)], 3),
    ],
)
def test_ties_go_to_the_lower_share_of_capacity_then_the_lower_id(candidates, winner):
    assert picked(candidates) == winner


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
@pytest.mark.parametrize("name", ["load", "expertise", "spread", "queue"])
def test_weights_must_be_finite_and_not_negative(name, bad):
    with pytest.raises(ValueError, match=name):
        Weights(**{name: bad})


def test_pick_carries_its_score():
    pick = pick_reviewer([candidate(1, expertise=0.5)], author_id=None, touched_files=1)

    assert pick is not None
    assert pick.score == pytest.approx(
        score(candidate(1, expertise=0.5), touched_files=1, reference=240, weights=DEFAULT_WEIGHTS)
    )


# --- reasons -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "kwargs", "reasons"),
    [
        ({}, {}, ("0% of weekly capacity used", "new to these files")),
        (
            {"open_minutes": 60, "reviewed_minutes_7d": 41, "owns_paths": True},
            {"owner_required": True, "owner_label": "payments/**"},
            ("owner of payments/**", "42% of weekly capacity used", "new to these files"),
        ),
        (
            {"owns_paths": True},
            {"owner_required": True},
            ("owns the sensitive paths this change touches", "0% of weekly capacity used", "new to these files"),
        ),
        ({"owns_paths": True}, {"owner_label": "payments/**"}, ("0% of weekly capacity used", "new to these files")),
        (
            {"files_reviewed_recent": 6, "files_known": 6, "spreads_files": 3},
            {},
            (
                "0% of weekly capacity used",
                "reviewed 6 of these files in the last 90 days",
                "spreads knowledge of 3 files known by one person besides the author",
            ),
        ),
        (
            {"files_reviewed_recent": 1, "files_authored_recent": 2, "files_known": 2},
            {},
            ("0% of weekly capacity used", "reviewed 1 and changed 2 of these files in the last 90 days"),
        ),
        (
            {"files_authored_recent": 1, "files_known": 1, "spreads_files": 1},
            {"touched_files": 1},
            (
                "0% of weekly capacity used",
                "changed this file in the last 90 days",
                "spreads knowledge of a file known by one person besides the author",
            ),
        ),
        ({"files_known": 2}, {}, ("0% of weekly capacity used", "has worked on 2 of these 8 files before")),
        ({"files_known": 1}, {"touched_files": 1}, ("0% of weekly capacity used", "has worked on this file before")),
        ({"expertise": 0.2}, {}, ("0% of weekly capacity used", "has worked in these directories")),
        ({"capacity_minutes": 0}, {}, ("no weekly review capacity set", "new to these files")),
        ({"open_minutes": 480}, {}, ("200% of weekly capacity used", "new to these files")),
    ],
)
def test_reasons(overrides, kwargs, reasons):
    kwargs.setdefault("touched_files", 8)

    assert reasons_for(candidate(1, **overrides), **kwargs) == reasons


def test_the_pick_gives_the_reasons_of_the_one_picked():
    owner = candidate(1, owns_paths=True, open_minutes=101, files_reviewed_recent=6, files_known=6, spreads_files=3)

    pick = pick_reviewer([owner], author_id=None, owner_required=True, touched_files=8, owner_label="payments/**")

    assert pick is not None
    assert pick.reasons == (
        "owner of payments/**",
        "42% of weekly capacity used",
        "reviewed 6 of these files in the last 90 days",
        "spreads knowledge of 3 files known by one person besides the author",
    )


# --- expertise and knowledge ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "weight"), [(0, 1.0), (90, 0.5), (180, 0.25), (-5, 1.0)])
def test_decay_halves_every_90_days_and_never_exceeds_1(age, weight):
    assert decay(age) == pytest.approx(weight)


@pytest.mark.parametrize(("path", "directory"), [("a/b/c.py", "a/b"), ("c.py", ""), ("a/c.py", "a")])
def test_directory_of(path, directory):
    assert directory_of(path) == directory


ONE = 1 - math.exp(-1)  # one piece of work today


@pytest.mark.parametrize(
    ("touched", "files", "directories", "expected"),
    [
        ((), {}, {}, 0.0),
        (("src/a.py",), {}, {}, 0.0),
        (("src/a.py",), {"src/a.py": 1.0}, {}, ONE),
        (("src/a.py",), {"src/a.py": 3.0}, {}, 1 - math.exp(-3)),
        (("src/a.py", "src/b.py"), {"src/a.py": 1.0}, {}, ONE / 2),
        # Neighbours in the directory count half.
        (("src/a.py",), {}, {"src": 1.0}, ONE / 2),
        (("src/a.py", "src/b.py"), {"src/a.py": 1.0}, {"src": 1.0}, (ONE + ONE / 2) / 2),
        # The file itself counts when it is worth more than its directory.
        (("src/a.py",), {"src/a.py": 1.0}, {"src": 1.0}, ONE),
        # A file at the root has no directory to count.
        (("setup.py",), {}, {"": 5.0}, 0.0),
        # Negative weights (bad input) count as nothing.
        (("src/a.py",), {"src/a.py": -2.0}, {"src": -1.0}, 0.0),
    ],
)
def test_expertise_score(touched, files, directories, expected):
    assert expertise_score(touched, files, directories) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("person", "knowers", "count"),
    [
        ("me", {"a": {"x"}, "b": {"x"}}, 2),
        ("me", {"a": {"x"}, "b": {"x", "y"}}, 1),  # b is known by two: not at risk
        ("me", {"a": {"me"}, "b": set()}, 0),  # I am the one who knows a; nobody knows b
        ("me", {"a": {"x", "me"}}, 0),
        ("me", {}, 0),
    ],
)
def test_spreads_count(person, knowers, count):
    assert spreads_count(person, ["a", "b"], knowers) == count


@pytest.mark.parametrize(
    ("knowers", "count"),
    [
        ({"a": {"author", "x"}}, 1),  # once the author moves on, only x knows a
        ({"a": {"author"}}, 1),  # only the author knows it
        ({"a": {"author", "x", "y"}}, 0),  # two besides the author
        ({"a": {"author", "me"}}, 0),  # I know it already
        ({"a": {"x", "y"}}, 0),  # the author is new to it; two others know it
    ],
)
def test_spreads_count_leaves_the_author_out(knowers, count):
    assert spreads_count("me", ["a"], knowers, author="author") == count


# --- properties ----------------------------------------------------------------------------------------------------

candidates_strategy = st.lists(
    st.builds(
        Candidate,
        engineer_id=st.integers(min_value=1, max_value=30),
        name=st.just("x"),
        level=st.integers(min_value=3, max_value=8),
        is_away=st.booleans(),
        capacity_minutes=st.integers(min_value=0, max_value=2400),
        open_minutes=st.integers(min_value=0, max_value=3000),
        reviewed_minutes_7d=st.integers(min_value=0, max_value=3000),
        open_count=st.integers(min_value=0, max_value=12),
        max_open=st.none() | st.integers(min_value=0, max_value=10),
        owns_paths=st.booleans(),
        expertise=st.floats(min_value=0, max_value=1),
        files_known=st.integers(min_value=0, max_value=20),
        spreads_files=st.integers(min_value=0, max_value=20),
    ),
    max_size=12,
    unique_by=lambda c: c.engineer_id,
)
weights_strategy = st.builds(
    Weights,
    load=st.floats(min_value=0, max_value=10),
    expertise=st.floats(min_value=0, max_value=10),
    spread=st.floats(min_value=0, max_value=10),
    queue=st.floats(min_value=0, max_value=10),
)


@settings(max_examples=300)
@given(
    candidates=candidates_strategy,
    author_id=st.none() | st.integers(min_value=1, max_value=30),
    exclude_ids=st.frozensets(st.integers(min_value=1, max_value=30), max_size=5),
    senior_level=st.integers(min_value=3, max_value=8),
    owner_required=st.booleans(),
    touched_files=st.integers(min_value=0, max_value=20),
    weights=weights_strategy,
)
def test_the_pick_is_an_eligible_candidate_with_the_best_score(
    candidates, author_id, exclude_ids, senior_level, owner_required, touched_files, weights
):
    rules = {
        "author_id": author_id,
        "exclude_ids": exclude_ids,
        "senior_level": senior_level,
        "owner_required": owner_required,
    }
    eligible = [c for c in candidates if is_eligible(c, **rules)]

    pick = pick_reviewer(candidates, **rules, touched_files=touched_files, weights=weights)

    if not eligible:
        assert pick is None
        return
    assert pick is not None
    chosen = [c for c in eligible if c.engineer_id == pick.engineer_id]
    assert chosen, "the pick must be one of the eligible candidates"
    assert pick.engineer_id != author_id
    assert pick.engineer_id not in exclude_ids
    assert all(c.used_minutes < c.capacity_minutes for c in chosen), "never a senior at or over capacity"
    assert all(c.max_open is None or c.open_count < c.max_open for c in chosen), "never a senior at their cap"
    reference = reference_minutes(eligible)
    best = max(score(c, touched_files=touched_files, reference=reference, weights=weights) for c in eligible)
    assert pick.score == pytest.approx(best, rel=1e-5, abs=1e-5)
    assert pick.reasons


@settings(max_examples=200)
@given(candidates=candidates_strategy, touched_files=st.integers(min_value=1, max_value=10), gain=st.floats(0, 1))
def test_knowing_more_never_costs_the_winner_the_pick(candidates, touched_files, gain):
    pick = pick_reviewer(candidates, author_id=None, touched_files=touched_files)
    if pick is None:
        return
    winner = next(c for c in candidates if c.engineer_id == pick.engineer_id)
    better = replace(winner, expertise=min(1.0, winner.expertise + gain))
    others = [c for c in candidates if c.engineer_id != winner.engineer_id]

    again = pick_reviewer([better, *others], author_id=None, touched_files=touched_files)

    assert again is not None
    assert again.engineer_id == winner.engineer_id
