"""What-if runs (reviews.services.whatif) on a small generated history with known answers."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from assignment.services.whatif import (
    REUSE_MINUTES,
    PolicySide,
    WhatIfParams,
    replay_whatif,
    whatif_run_execute,
    whatif_run_request,
)
from policy.document import DEFAULT_POLICY_DATA, parse_policy
from policy.services.policies import policy_current, policy_publish
from reviews.audit import ServiceError
from reviews.models import Repository, WhatIfRun
from tests.assignment.whatif_history import EVERY_CHANGE, TWO_FOR_EVERY_CHANGE, build, merged

END = datetime(2026, 11, 20, 12, tzinfo=UTC)
DEFAULT = PolicySide("v1", parse_policy(DEFAULT_POLICY_DATA), 1)


def hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def replay(chosen: PolicySide = DEFAULT, *, strategy: str = "load_balance", weeks: int = 2, **params) -> dict:
    return replay_whatif(
        WhatIfParams(policy_version=1, strategy=strategy, weeks=weeks, **params),
        chosen=chosen,
        current=DEFAULT,
        end=END,
    )


def test_the_default_policy_needs_a_senior_for_the_ai_assisted_and_the_sensitive_change(db, make_engineer):
    m = build(make_engineer, end=END).minutes

    result = replay()

    assert result["changes"] == 4
    assert result["chosen"]["needs_senior"] == 2
    assert result["chosen"]["owner_required"] == 1
    assert result["chosen"]["metrics"]["senior_hours"] == hours(m["Retry charges"] + m["Cache pages"])
    assert sorted((r["rule"], r["changes"]) for r in result["chosen"]["rules"]) == [
        ("ai-assisted-junior-or-mid", 1),
        ("sensitive-paths", 1),
    ]
    # The sensitive change goes to its owner Tess (team Beta owns pay/), though load balance would pick Sam first.
    seniors = {s["name"]: s for s in result["seniors"]}
    assert seniors["Tess"]["hours"] == hours(m["Retry charges"])
    assert seniors["Sam"]["hours"] == hours(m["Cache pages"])
    assert result["weekly"] == {
        "chosen": [hours(m["Retry charges"]), hours(m["Cache pages"])],
        "current": [hours(m["Retry charges"]), hours(m["Cache pages"])],
        "capacity": 12.0,
    }
    teams = {t["team"]: t for t in result["teams"]}
    assert teams["Alpha"]["capacity_hours"] == 8.0 and teams["Beta"]["capacity_hours"] == 16.0
    assert teams["Beta"]["needed_hours"] == hours(m["Retry charges"])
    assert result["charts"]["weekly"]["markers"][0]["values"] == [12.0, 12.0]
    # The same policy on both sides: one line, no difference.
    assert len(result["charts"]["weekly"]["series"]) == 1
    assert all(row["delta"] == 0 for row in result["comparison"])


def test_a_policy_that_asks_a_senior_for_every_change_costs_more_than_the_one_in_force(db, make_engineer):
    m = build(make_engineer, end=END).minutes

    result = replay(PolicySide("v2", parse_policy(EVERY_CHANGE), 2))

    assert result["chosen"]["needs_senior"] == 4 and result["current"]["needs_senior"] == 2
    assert result["chosen"]["metrics"]["senior_hours"] == hours(sum(m.values()))
    assert result["current"]["metrics"]["senior_hours"] == hours(m["Retry charges"] + m["Cache pages"])
    senior_hours = next(r for r in result["comparison"] if r["metric"] == "senior_hours")
    assert senior_hours["delta"] > 0
    assert [s["name"] for s in result["charts"]["weekly"]["series"]] == [
        "Needed under v2",
        "Needed under v1 (in force)",
    ]


def test_two_sign_offs_cost_two_reviews_except_where_only_one_other_senior_is_left(db, make_engineer):
    m = build(make_engineer, end=END).minutes

    result = replay(PolicySide("proposed", parse_policy(TWO_FOR_EVERY_CHANGE)))

    # Sam wrote "Speed up search": only Tess can review it.
    expected = 2 * (m["Retry charges"] + m["Tidy the app"] + m["Cache pages"]) + m["Speed up search"]
    assert result["chosen"]["sign_offs"] == 8  # what the policy asks
    assert result["chosen"]["reviews"] == 7  # what two seniors can give
    assert result["chosen"]["metrics"]["senior_hours"] == hours(expected)


def test_the_policys_senior_level_decides_who_the_seniors_are(db, make_engineer):
    build(make_engineer, end=END)
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["settings"]["senior_level"] = 7

    result = replay(PolicySide("proposed", parse_policy(data)))

    assert [s["name"] for s in result["seniors"]] == ["Tess"]
    assert result["chosen"]["senior_level"] == 7 and result["current"]["senior_level"] == 6


def test_the_most_active_authors_stand_in_for_seniors_with_top_k(db, make_engineer):
    build(make_engineer, end=END)

    result = replay(seniors="top:2")

    # June wrote two changes; Max and Sam one each, Max first.
    assert sorted(s["name"] for s in result["seniors"]) == ["June", "Max"]


def test_one_repository_or_all_of_them(db, make_engineer):
    h = build(make_engineer, end=END)
    other = Repository.objects.create(name="acme/web", clone_url="/nonexistent")
    merged(
        other, h.authors["june"], "Same path elsewhere", END - timedelta(days=1), {"app/cache.py": 50}, ai_declared=True
    )

    assert replay(repository_id=h.repository.pk)["changes"] == 4
    everything = replay()
    assert everything["changes"] == 5 and everything["chosen"]["needs_senior"] == 3


def test_weeks_before_the_period_are_history_not_replayed(db, make_engineer):
    m = build(make_engineer, end=END).minutes

    result = replay(weeks=1)

    assert result["changes"] == 2
    assert result["chosen"]["metrics"]["senior_hours"] == hours(m["Cache pages"])


def test_the_replay_reads_a_fixed_number_of_queries(db, make_engineer, django_assert_max_num_queries):
    build(make_engineer, end=END)
    with django_assert_max_num_queries(10):
        small = replay(strategy="balanced")
    assert small["changes"] == 4


def test_the_query_count_does_not_grow_with_seniors_teams_or_changes(db, make_engineer, django_assert_max_num_queries):
    build(make_engineer, end=END, extra_seniors=6, extra_changes=40)
    with django_assert_max_num_queries(10):
        large = replay(strategy="balanced")
    assert large["changes"] == 44 and len(large["seniors"]) == 8 and len(large["teams"]) == 8


# --- runs: reuse, execution, failures ----------------------------------------------------------------------------


def request(**params) -> tuple[WhatIfRun, bool]:
    values = {"policy_version": policy_current().number, "strategy": "balanced", "weeks": 2, **params}
    proposed = values.pop("proposed", None)
    return whatif_run_request(params=WhatIfParams(**values), actor=None, proposed=proposed)


def test_identical_parameters_within_minutes_reuse_the_run(db):
    first, reused = request()
    again, reused_again = request()
    other, reused_other = request(weeks=3)

    assert not reused and reused_again and again.pk == first.pk
    assert not reused_other and other.pk != first.pk
    with time_machine.travel(timezone.now() + timedelta(minutes=REUSE_MINUTES + 1)):
        later, reused_later = request()
    assert not reused_later and later.pk != first.pk


def test_a_newly_published_policy_means_a_new_run(db):
    first, _ = request(policy_version=policy_current().number)
    policy_publish(data=EVERY_CHANGE, actor=None)

    again, reused = request(policy_version=1)

    assert not reused and again.pk != first.pk and again.params["current_version"] == 2


def test_a_failed_run_is_not_reused(db):
    run, _ = request()
    WhatIfRun.objects.filter(pk=run.pk).update(status=WhatIfRun.Status.FAILED)

    again, reused = request()

    assert not reused and again.pk != run.pk


def test_a_run_stores_its_result_and_running_it_again_changes_nothing(db, make_engineer):
    build(make_engineer, end=timezone.now())
    run, _ = request()
    assert run.status == WhatIfRun.Status.QUEUED and run.progress == 0

    done = whatif_run_execute(run_id=run.pk)

    assert done.status == WhatIfRun.Status.DONE and done.progress == 100 and done.error == ""
    assert done.result["chosen"]["needs_senior"] == 2 and done.seconds is not None
    again = whatif_run_execute(run_id=run.pk)
    assert again.finished_at == done.finished_at and again.result == done.result
    assert whatif_run_execute(run_id=run.pk + 1000) is None


def test_a_proposed_policy_is_replayed_in_place_of_a_version(db, make_engineer):
    build(make_engineer, end=timezone.now())
    run, _ = request(policy_version=None, proposed=EVERY_CHANGE)

    done = whatif_run_execute(run_id=run.pk)

    assert run.policy_version is None and run.policy_label == "proposed"
    assert done.result["chosen"]["label"] == "proposed" and done.result["chosen"]["needs_senior"] == 4
    assert done.result["current"]["needs_senior"] == 2


def test_with_nobody_at_the_policys_senior_level_the_run_fails_with_a_reason(db, make_engineer):
    build(make_engineer, end=timezone.now())
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["settings"]["senior_level"] = 8
    run, _ = request(policy_version=None, proposed=data)

    failed = whatif_run_execute(run_id=run.pk)

    assert failed.status == WhatIfRun.Status.FAILED and failed.result is None
    assert "Nobody is at or above L8" in failed.error and "top:K" in failed.error


def test_a_period_without_changes_is_a_result_with_nothing_in_it(db, make_engineer):
    make_engineer(6)
    make_engineer(7)
    run, _ = request()

    done = whatif_run_execute(run_id=run.pk)

    assert done.status == WhatIfRun.Status.DONE
    assert done.result["changes"] == 0 and done.result["chosen"]["metrics"]["senior_hours"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"weeks": 0}, "Weeks must be from 1 to 26"),
        ({"weeks": 27}, "Weeks must be from 1 to 26"),
        ({"strategy": "fastest"}, "Unknown strategy"),
        ({"seniors": "top:1"}, "top:K with K from 2 to 50"),
        ({"seniors": "everyone"}, "top:K with K from 2 to 50"),
        ({"policy_version": 99}, "no policy version 99"),
        ({"policy_version": None}, "Choose a policy version or propose a policy"),
        ({"policy_version": None, "proposed": {"rules": "all"}}, "The proposed policy is not valid: rules must be"),
        ({"repository_id": 999999}, "no such repository"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(db, params, message):
    with pytest.raises(ServiceError, match=message):
        request(**params)
    assert not WhatIfRun.objects.exists()
