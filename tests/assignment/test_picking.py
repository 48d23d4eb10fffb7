"""Choosing a reviewer (assignment.picking): eligibility, the load band, the order inside it, reasons, expertise."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assignment.picking import (
    BALANCE_DAYS,
    Candidate,
    Rule,
    decay,
    directory_of,
    expertise_score,
    is_eligible,
    load_band,
    pick_reviewer,
    preference,
    reasons_for,
    spreads_count,
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


# --- the load band ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "balance"),
    [
        ({}, 0),
        ({"open_minutes": 60}, 60),
        ({"reviewed_minutes_balance": 300}, 300),
        ({"open_minutes": 20, "reviewed_minutes_7d": 40, "reviewed_minutes_balance": 500}, 520),
        # The week is part of the longer window; a caller that gives only the week still counts it.
        ({"reviewed_minutes_7d": 40}, 40),
    ],
)
def test_the_load_the_band_compares(overrides, balance):
    assert candidate(1, **overrides).balance_minutes == balance


@pytest.mark.parametrize(
    ("loads", "band_minutes", "in_band"),
    [
        ([0, 10, 30, 31, 500], 30, [1, 2, 3]),
        ([100, 130, 131], 30, [1, 2]),
        ([50, 50, 80], 0, [1, 2]),
        ([7], 30, [1]),
        ([], 30, []),
    ],
)
def test_the_band_holds_the_seniors_within_its_width_of_the_lightest(loads, band_minutes, in_band):
    candidates = [candidate(i + 1, reviewed_minutes_balance=m) for i, m in enumerate(loads)]

    assert [c.engineer_id for c in load_band(candidates, band_minutes=band_minutes)] == in_band


@pytest.mark.parametrize(
    ("first", "second", "rule", "winner", "why"),
    [
        # Load is a hard band: no expertise outbids 31 minutes more of the year's review.
        ({"expertise": 1.0, "files_known": 3, "reviewed_minutes_balance": 31}, {}, Rule(), 2, "busy expert"),
        ({"expertise": 1.0, "files_known": 3, "open_minutes": 31}, {}, Rule(), 2, "open work is load"),
        ({"expertise": 1.0, "files_known": 3, "reviewed_minutes_balance": 30}, {}, Rule(), 1, "within the band"),
        ({"expertise": 1.0, "files_known": 3, "reviewed_minutes_balance": 10}, {}, Rule(band_minutes=0), 2, "no band"),
        # Inside the band: spread first, then knowing a file, then the expertise score.
        ({"expertise": 0.9, "files_known": 2}, {"spreads_files": 1}, Rule(), 2, "spread before expertise"),
        ({"expertise": 0.9, "files_known": 2}, {"spreads_files": 1}, Rule(spread=False), 1, "spread switched off"),
        ({"spreads_files": 2}, {"spreads_files": 1, "files_known": 1}, Rule(), 1, "more spread first"),
        ({"files_known": 1, "expertise": 0.1}, {"expertise": 0.6}, Rule(), 1, "a known file before the score"),
        ({"expertise": 0.2}, {"expertise": 0.7}, Rule(), 2, "then the score"),
        ({"expertise": math.nan}, {"expertise": 0.1}, Rule(), 2, "a broken score counts nothing"),
        # Then the lighter load, the lower share of capacity, the lower id.
        ({"reviewed_minutes_balance": 20}, {"reviewed_minutes_balance": 10}, Rule(), 2, "lighter"),
        ({"open_minutes": 30}, {"open_minutes": 30, "capacity_minutes": 600}, Rule(), 2, "lower share"),
        ({}, {}, Rule(), 1, "lower id"),
    ],
)
def test_the_order_of_the_rule(first, second, rule, winner, why):
    candidates = [candidate(1, **first), candidate(2, **second)]

    assert picked(candidates, touched_files=4, rule=rule) == winner, why
    assert picked(list(reversed(candidates)), touched_files=4, rule=rule) == winner, "whatever the order given"


def test_a_larger_capacity_is_a_ceiling_not_a_quota():
    # 17% against 25% of their own capacities, but 100 minutes against 60: the lighter in minutes is picked.
    big = candidate(1, open_minutes=100, capacity_minutes=600)
    small = candidate(2, open_minutes=60, capacity_minutes=240)

    assert picked([big, small]) == 2


def test_the_larger_capacity_takes_the_overflow_when_the_others_are_full():
    big = candidate(1, open_minutes=300, capacity_minutes=600)
    full = candidate(2, open_minutes=240, capacity_minutes=240)

    assert picked([big, full]) == 1


def test_the_band_starts_from_the_lightest_eligible_senior_not_from_someone_away():
    away = candidate(1, is_away=True)
    expert = candidate(2, reviewed_minutes_balance=200, expertise=1.0, files_known=2)
    novice = candidate(3, reviewed_minutes_balance=220)

    assert picked([away, expert, novice], touched_files=2) == 2


@pytest.mark.parametrize("bad", [-1, 100_001, 1.5, math.nan])
def test_the_band_width_must_be_whole_minutes_within_reason(bad):
    with pytest.raises(ValueError, match="band_minutes"):
        Rule(band_minutes=bad)


def test_the_pick_carries_expertise_and_load():
    pick = pick_reviewer([candidate(1, expertise=0.5, reviewed_minutes_balance=40)], author_id=None, touched_files=1)

    assert pick is not None
    assert (pick.engineer_id, pick.expertise, pick.balance_minutes) == (1, 0.5, 40)


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
        f"least loaded over {BALANCE_DAYS} days (101 min of review)",
        "reviewed 6 of these files in the last 90 days",
        "spreads knowledge of 3 files known by one person besides the author",
    )


LOADED = f"least loaded over {BALANCE_DAYS} days (20 min of review)"


@pytest.mark.parametrize(
    ("me", "others", "reasons"),
    [
        ({}, [], (LOADED, "new to these files")),
        ({}, [{"reviewed_minutes_balance": 100}], (LOADED, "new to these files")),  # alone in the band
        (
            {"spreads_files": 1},
            [{"reviewed_minutes_balance": 0}],
            (
                f"within 20 min of the least loaded over {BALANCE_DAYS} days (20 min of review)",
                "new to these files",
                "spreads knowledge of a file known by one person besides the author",
                "chosen among 2 seniors of similar load: spreads knowledge",
            ),
        ),
        (
            {"files_known": 1},
            [{"reviewed_minutes_balance": 25}],
            (
                LOADED,
                "has worked on 1 of these 2 files before",
                "chosen among 2 seniors of similar load: knows the files",
            ),
        ),
        (
            {"expertise": 0.3},
            [{"reviewed_minutes_balance": 25, "expertise": 0.1}],
            (LOADED, "has worked in these directories", "chosen among 2 seniors of similar load: knows the files best"),
        ),
        (
            {},
            [{"reviewed_minutes_balance": 25}],
            (LOADED, "new to these files", "chosen among 2 seniors of similar load: lightest load"),
        ),
    ],
)
def test_the_reasons_say_where_the_pick_stands_in_the_band_and_what_decided(me, others, reasons):
    candidates = [candidate(1, reviewed_minutes_7d=0, reviewed_minutes_balance=20, **me)]
    candidates += [candidate(i + 2, **o) for i, o in enumerate(others)]

    pick = pick_reviewer(candidates, author_id=None, touched_files=2)

    assert pick is not None
    assert pick.engineer_id == 1
    assert pick.reasons == ("0% of weekly capacity used", *reasons)


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
        reviewed_minutes_balance=st.integers(min_value=0, max_value=30000),
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
rules_strategy = st.builds(Rule, band_minutes=st.integers(min_value=0, max_value=600), spread=st.booleans())


@settings(max_examples=300)
@given(
    candidates=candidates_strategy,
    author_id=st.none() | st.integers(min_value=1, max_value=30),
    exclude_ids=st.frozensets(st.integers(min_value=1, max_value=30), max_size=5),
    senior_level=st.integers(min_value=3, max_value=8),
    owner_required=st.booleans(),
    touched_files=st.integers(min_value=0, max_value=20),
    rule=rules_strategy,
)
def test_the_pick_is_the_preferred_eligible_candidate_in_the_band(
    candidates, author_id, exclude_ids, senior_level, owner_required, touched_files, rule
):
    rules = {
        "author_id": author_id,
        "exclude_ids": exclude_ids,
        "senior_level": senior_level,
        "owner_required": owner_required,
    }
    eligible = [c for c in candidates if is_eligible(c, **rules)]

    pick = pick_reviewer(candidates, **rules, touched_files=touched_files, rule=rule)

    if not eligible:
        assert pick is None
        return
    assert pick is not None
    chosen = next(c for c in eligible if c.engineer_id == pick.engineer_id)
    assert pick.engineer_id != author_id
    assert pick.engineer_id not in exclude_ids
    assert chosen.used_minutes < chosen.capacity_minutes, "never a senior at or over capacity"
    assert chosen.max_open is None or chosen.open_count < chosen.max_open, "never a senior at their cap"
    lightest = min(c.balance_minutes for c in eligible)
    assert chosen.balance_minutes <= lightest + rule.band_minutes, "always in the load band"
    band = [c for c in eligible if c.balance_minutes <= lightest + rule.band_minutes]
    assert preference(chosen, rule=rule) == min(preference(c, rule=rule) for c in band)
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
