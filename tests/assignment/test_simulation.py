"""Replaying history under assignment strategies (assignment.simulation): every metric on known histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assignment.history import FileTouch, ReplayChange, Senior, split_history, top_authors
from assignment.metrics import gini, percentile_nearest_rank
from assignment.picking import Rule
from assignment.simulation import STRATEGIES, simulate

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
F = FileTouch


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


# 420 minutes a week: 60 minutes of review a day, so a 60-minute review keeps a senior busy for 24 hours.
SENIORS = [Senior("a", capacity_minutes=420), Senior("b", capacity_minutes=420), Senior("c", capacity_minutes=420)]

# Before the replay: a wrote pay.py, b cart.py, the junior j readme.md; "old" wrote two files 200 days ago and left.
HISTORY = [
    ReplayChange(days(-200), "old", (F("docs/guide.md", 10, "added"), F("src/legacy.py", 10, "added"))),
    ReplayChange(days(-10), "a", (F("src/pay.py", 100, "added"),)),
    ReplayChange(days(-9), "b", (F("src/cart.py", 40, "added"),)),
    ReplayChange(days(-8), "j", (F("docs/readme.md", 10, "added"),)),
]
CHANGES = [
    ReplayChange(hours(0), "a", (F("src/pay.py", 5),), 60),
    ReplayChange(hours(1), "j", (F("src/cart.py", 5),), 30),
    ReplayChange(hours(2), "j", (F("src/pay.py", 5), F("src/cart.py", 5)), 60),
    ReplayChange(hours(3), "j", (F("src/new.py", 20, "added"), F("src/legacy.py", 0, "deleted")), 30),
]

# Every strategy: 180 minutes (3 senior hours). At the end the repository has 5 files (legacy.py was deleted);
# guide.md is known only by "old", who is no longer active, and readme.md only by j: 2 of 5 files at risk.
#
# round_robin: a is the author of the first change, so b takes it; then c, a, b. Only a knew a file (pay.py).
#   b has 60 + 30 minutes; the last change waits until b is done with the first, 24 - 3 = 21 hours.
# load_balance: fewest requests, ties to the one asked longest ago: b, a, c, then b again (asked first of all).
#   Nobody knew a file they were given; b waits as in round robin.
# expertise (blame): b (more lines overall than c, none in pay.py), b (40 lines of cart.py), a (105 lines of
#   the two files), a (nobody wrote new.py or legacy.py; a has the most lines overall). Two of four knew a file;
#   c never reviews. b waits 24 - 1 = 23 hours for the second change, a 26 - 3 = 23 hours for the last.
# balanced: b (idle like c, both would learn pay.py, which only a knows; b has worked in src/), a (b's 60 open
#   minutes put b out of the 30-minute load band; a and c would both learn cart.py; a has worked in src/), a (a's
#   30 minutes are within the band of c's 0; nothing left to spread; a knows pay.py; it waits 13 - 2 = 11 hours),
#   c (the only one in the band: a has 90 minutes, b 60).
KNOWN = {
    "round_robin": {"expertise": 0.25, "workload_gini": 2 / 9, "p90_queue_hours": 21.0, "minutes": (60, 90, 30)},
    "load_balance": {"expertise": 0.0, "workload_gini": 2 / 9, "p90_queue_hours": 21.0, "minutes": (30, 90, 60)},
    "expertise": {"expertise": 0.5, "workload_gini": 1 / 3, "p90_queue_hours": 23.0, "minutes": (90, 90, 0)},
    "balanced": {"expertise": 0.25, "workload_gini": 2 / 9, "p90_queue_hours": 11.0, "minutes": (90, 60, 30)},
}
PICKS = {
    "round_robin": ("b", "c", "a", "b"),
    "load_balance": ("b", "a", "c", "b"),
    "expertise": ("b", "b", "a", "a"),
    "balanced": ("b", "a", "a", "c"),
}


@pytest.mark.parametrize("strategy", sorted(KNOWN))
def test_every_metric_of_a_small_history(strategy):
    known = KNOWN[strategy]

    metrics = simulate(CHANGES, SENIORS, strategy=strategy, history=HISTORY)

    assert metrics.picks == PICKS[strategy]
    assert metrics.changes == 4
    assert metrics.expertise == known["expertise"]
    assert metrics.workload_gini == pytest.approx(known["workload_gini"])
    assert metrics.max_share == pytest.approx(0.5)
    assert metrics.files_at_risk == pytest.approx(2 / 5)
    assert metrics.senior_hours == pytest.approx(3.0)
    assert metrics.p90_queue_hours == pytest.approx(known["p90_queue_hours"], abs=1e-6)
    assert metrics.minutes_by_senior == tuple(zip("abc", known["minutes"], strict=True))


def test_the_metrics_as_printed():
    metrics = simulate(CHANGES, SENIORS, strategy="expertise", history=HISTORY)

    assert metrics.as_dict() == {
        "strategy": "expertise",
        "changes": 4,
        "expertise": 0.5,
        "workload_gini": 0.333,
        "max_share": 0.5,
        "files_at_risk": 0.4,
        "senior_hours": 3.0,
        "p90_queue_hours": 23.0,
    }


def test_random_is_seeded_and_never_picks_the_author():
    first = simulate(CHANGES, SENIORS, strategy="random", history=HISTORY, seed=7)
    again = simulate(CHANGES, SENIORS, strategy="random", history=HISTORY, seed=7)

    assert first == again
    assert first.picks[0] != "a"
    assert first.senior_hours == pytest.approx(3.0)


def test_nobody_is_active_long_after_the_replay_so_every_file_is_at_risk():
    metrics = simulate(CHANGES, SENIORS, strategy="round_robin", history=HISTORY, end=days(100))

    assert metrics.files_at_risk == 1.0


def test_without_history_only_what_the_replay_touched_is_known():
    metrics = simulate(CHANGES, SENIORS, strategy="round_robin")

    # pay.py: a, b (review), j, a; cart.py: j, c, b... every file has two active knowers; legacy.py is deleted.
    assert metrics.files_at_risk == 0.0
    assert metrics.expertise == 0.25  # a reviews pay.py and cart.py, having written pay.py in the first change


# A junior changes core/engine.py, which only p knows, twice, then leaves; later k's changes keep p busy.
SPREAD_HISTORY = [
    ReplayChange(days(-60), "p", (F("core/engine.py", 50, "added"),)),
    ReplayChange(days(-60), "k", (F("web/page.py", 20, "added"),)),
]
SPREAD_CHANGES = [
    ReplayChange(days(0), "j", (F("core/engine.py", 5),), 30),
    ReplayChange(days(5), "j", (F("core/engine.py", 5),), 30),
    *(ReplayChange(days(95 + i), "k", (F("web/page.py", 5),), 20) for i in range(5)),
    ReplayChange(days(97), "q", (F("docs/q.md", 5, "added"),), 10),
    ReplayChange(days(98), "r", (F("docs/r.md", 5, "added"),), 10),
]
SPREAD_SENIORS = [Senior(k, capacity_minutes=420) for k in "pqr"]


def test_spreading_knowledge_keeps_a_file_alive_when_its_author_leaves():
    balanced = simulate(SPREAD_CHANGES, SPREAD_SENIORS, strategy="balanced", history=SPREAD_HISTORY)
    no_spread = simulate(
        SPREAD_CHANGES, SPREAD_SENIORS, strategy="balanced", history=SPREAD_HISTORY, rule=Rule(spread=False)
    )
    blame = simulate(SPREAD_CHANGES, SPREAD_SENIORS, strategy="expertise", history=SPREAD_HISTORY)

    # q learns engine.py from j's first change instead of p, who already knows it; j then leaves.
    assert balanced.picks[0] == "q"
    assert balanced.files_at_risk == 0.0
    # Without the spread term (and with blame) p reviews both, and at the end only p knows engine.py.
    assert no_spread.picks[:2] == ("p", "p")
    assert blame.picks[:2] == ("p", "p")
    assert no_spread.files_at_risk == blame.files_at_risk == 1 / 4


def test_a_renamed_file_keeps_its_knowers_and_its_old_name_is_gone():
    history = [ReplayChange(days(-5), "a", (F("old/name.py", 10, "added"),))]
    changes = [ReplayChange(days(0), "j", (F("new/name.py", 0, "renamed", old_path="old/name.py"),), 10)]

    metrics = simulate(changes, SENIORS[1:], strategy="round_robin", history=history)

    # One file (new/name.py), known by a (from the old name), j and the reviewer b.
    assert metrics.picks == ("b",)
    assert metrics.files_at_risk == 0.0


def test_a_change_whose_author_is_the_only_senior_gets_no_reviewer():
    changes = [ReplayChange(days(0), "a", (F("x.py", 5, "added"),), 30)]

    for strategy in STRATEGIES:
        metrics = simulate(changes, [Senior("a")], strategy=strategy)

        assert metrics.picks == (None,)
        assert (metrics.changes, metrics.expertise, metrics.senior_hours) == (1, 0.0, 0.0)
        assert metrics.files_at_risk == 1.0  # x.py is known by its author only


def test_balanced_still_assigns_when_everyone_is_over_capacity():
    seniors = [Senior("a", capacity_minutes=10), Senior("b", capacity_minutes=10)]
    changes = [ReplayChange(hours(i), "j", (F("x.py", 5),), 30) for i in range(4)]

    metrics = simulate(changes, seniors, strategy="balanced")

    # The first is assigned by the engine; then both are full, and each change waits for the less loaded one.
    assert metrics.picks == ("a", "b", "a", "b")
    assert metrics.senior_hours == 2.0


def test_balanced_respects_the_cap_on_open_assignments_while_someone_is_under_it():
    seniors = [Senior("a", max_open=1), Senior("b", max_open=1)]
    # a knows x.py (as does c: nothing to spread), and 5 minutes keep a in the load band, so a would take both;
    # a is at the cap with the first still open.
    history = [ReplayChange(days(-1), "a", (F("x.py", 50, "added"),)), ReplayChange(days(-1), "c", (F("x.py", 5),))]
    changes = [ReplayChange(hours(0), "j", (F("x.py", 5),), 5), ReplayChange(hours(1), "j", (F("x.py", 5),), 5)]

    assert simulate(changes, seniors, strategy="balanced", history=history).picks == ("a", "b")


def test_load_balance_counts_requests_of_the_last_30_days_only():
    seniors = [Senior("a"), Senior("b")]
    changes = [
        ReplayChange(days(0), "j", (F("x.py", 1),), 5),  # a (tie, first listed)
        ReplayChange(days(1), "j", (F("x.py", 1),), 5),  # b
        ReplayChange(days(2), "j", (F("x.py", 1),), 5),  # a (tie, asked longer ago)
        ReplayChange(days(31.5), "j", (F("x.py", 1),), 5),  # b: a's request of day 2 still counts, b's of day 1 not
    ]

    assert simulate(changes, seniors, strategy="load_balance").picks == ("a", "b", "a", "b")


def test_queue_waits_follow_each_seniors_weekly_capacity():
    # 70 minutes a week are 10 minutes a day: a 10-minute review takes a day of the senior's time.
    seniors = [Senior("a", capacity_minutes=70), Senior("b", capacity_minutes=70)]
    changes = [ReplayChange(hours(i), "j", (F(f"f{i}.py", 1, "added"),), 10) for i in range(10)]

    metrics = simulate(changes, seniors, strategy="round_robin")

    # a gets 0, 2, 4, 6, 8 (hours); its queue starts them at 0, 24, 48, 72, 96: waits 0, 22, 44, 66, 88. b likewise.
    assert metrics.p90_queue_hours == pytest.approx(88.0, abs=1e-6)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([0, 0], 0.0), ([5, 5, 5], 0.0), ([0, 0, 1], 2 / 3), ([1, 3], 0.25), ([30, 60, 90], 2 / 9)],
)
def test_gini(values, expected):
    assert gini(values) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 0.9, 0.0), ([5], 0.9, 5), ([0, 0, 0, 21], 0.9, 21), (list(range(1, 11)), 0.9, 9), ([3, 1, 2], 0.5, 2)],
)
def test_percentile_nearest_rank(values, q, expected):
    assert percentile_nearest_rank(values, q) == expected


def test_top_authors_are_the_most_active_with_ties_to_the_earlier():
    changes = [ReplayChange(days(i), author, ()) for i, author in enumerate("xyyzzx")]

    assert top_authors(changes, 2) == ["x", "y"]
    assert top_authors(changes, 5) == ["x", "y", "z"]
    assert top_authors(changes, 2, leave_out={"x"}) == ["y", "z"]


def test_history_is_split_at_the_start():
    history, replay = split_history(CHANGES, hours(2))

    assert history == CHANGES[:2] and replay == CHANGES[2:]
    assert split_history(CHANGES, None) == ([], CHANGES)


def test_an_unknown_strategy_and_a_senior_listed_twice_are_refused():
    with pytest.raises(ValueError, match="unknown strategy"):
        simulate(CHANGES, SENIORS, strategy="blame")
    with pytest.raises(ValueError, match="once"):
        simulate(CHANGES, [Senior("a"), Senior("a")], strategy="random")


people = st.sampled_from(["a", "b", "c", "j", "k"])
files = st.lists(
    st.builds(FileTouch, path=st.sampled_from(["x.py", "d/y.py", "d/z.py", "e/w.py"]), lines_added=st.integers(0, 50)),
    max_size=3,
    unique_by=lambda f: f.path,
)
histories = st.lists(
    st.builds(
        ReplayChange,
        at=st.integers(0, 24 * 200).map(hours),
        author=people,
        files=files.map(tuple),
        minutes=st.integers(5, 120),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(changes=histories, strategy=st.sampled_from(STRATEGIES), seed=st.integers(0, 5))
def test_any_history_under_any_strategy(changes, strategy, seed):
    seniors = [Senior("a"), Senior("b", capacity_minutes=60), Senior("c", max_open=1)]

    metrics = simulate(changes, seniors, strategy=strategy, seed=seed)

    ordered = sorted(changes, key=lambda c: c.at)
    assert metrics.changes == len(changes) == len(metrics.picks)
    assert all(pick != change.author for pick, change in zip(metrics.picks, ordered, strict=True))
    assert all(pick is not None for pick in metrics.picks), "with three seniors someone else can always review"
    for value in (metrics.expertise, metrics.workload_gini, metrics.max_share, metrics.files_at_risk):
        assert 0.0 <= value <= 1.0
    assert sum(m for _, m in metrics.minutes_by_senior) == pytest.approx(metrics.senior_hours * 60)
    assert metrics.senior_hours * 60 == pytest.approx(sum(c.minutes for c in changes))
    assert metrics.p90_queue_hours >= 0.0


# --- what the policy asks of each change: no sign-off, several, or an owner's (the what-if) ---------------------


def test_a_change_that_needs_no_sign_off_is_authored_only():
    changes = [
        ReplayChange(hours(0), "j", (F("src/pay.py", 5),), 60, sign_offs=0),
        ReplayChange(hours(1), "j", (F("src/cart.py", 5),), 30),
    ]

    metrics = simulate(changes, SENIORS, strategy="round_robin", history=HISTORY)

    # Round robin starts with a for the second change: the first took nobody's turn.
    assert metrics.picks == (None, "a")
    assert metrics.changes == 1
    assert metrics.senior_hours == pytest.approx(0.5)
    assert [(r.reviewer, r.minutes) for r in metrics.reviews] == [("a", 30)]


def test_two_sign_offs_go_to_two_seniors_and_cost_twice_the_minutes():
    changes = [ReplayChange(hours(0), "j", (F("src/pay.py", 5),), 60, sign_offs=2, ref=7)]

    metrics = simulate(changes, SENIORS, strategy="balanced", history=HISTORY)

    reviewers = [r.reviewer for r in metrics.reviews]
    assert len(reviewers) == 2 and len(set(reviewers)) == 2
    assert {r.ref for r in metrics.reviews} == {7}
    assert metrics.changes == 1
    assert metrics.senior_hours == pytest.approx(2.0)
    assert sum(m for _, m in metrics.minutes_by_senior) == 120


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_more_sign_offs_than_seniors_give_every_senior_but_the_author_one(strategy):
    changes = [ReplayChange(hours(0), "a", (F("src/pay.py", 5),), 60, sign_offs=5)]

    metrics = simulate(changes, SENIORS, strategy=strategy, history=HISTORY)

    assert sorted(r.reviewer for r in metrics.reviews) == ["b", "c"]
    assert metrics.senior_hours == pytest.approx(2.0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_owner_is_picked_where_the_policy_wants_one(strategy):
    # c knows nothing and is not the expert, the lightest, or first in turn; only the owner rule can pick c.
    changes = [ReplayChange(hours(0), "j", (F("src/pay.py", 5),), 60, eligible=frozenset({"c", "outsider"}))]

    metrics = simulate(changes, SENIORS, strategy=strategy, history=HISTORY)

    assert metrics.picks == ("c",)


def test_with_no_owner_among_the_seniors_any_senior_may_sign_off():
    changes = [ReplayChange(hours(0), "j", (F("src/pay.py", 5),), 60, eligible=frozenset({"outsider"}))]

    metrics = simulate(changes, SENIORS, strategy="round_robin", history=HISTORY)

    assert metrics.picks == ("a",)


def test_expertise_counts_a_change_when_any_of_its_reviewers_knew_a_file():
    # Round robin: a is the author, so b then c; b never touched pay.py, c changed it the day before.
    history = [*HISTORY, ReplayChange(days(-1), "c", (F("src/pay.py", 3),))]
    changes = [ReplayChange(hours(0), "a", (F("src/pay.py", 5),), 60, sign_offs=2)]

    metrics = simulate(changes, SENIORS, strategy="round_robin", history=history)

    assert [r.reviewer for r in metrics.reviews] == ["b", "c"]
    assert metrics.expertise == 1.0
