"""The suspect ranking (incidents.suspects): each kind of evidence, then the ranking as a whole. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    IncidentScope,
    Knobs,
    ServiceScope,
    SignOff,
    implied_deploys,
    is_test_path,
    matches_sha,
    parse_references,
)
from incidents.suspects import (
    ai_evidence,
    blame_evidence,
    deploy_evidence,
    gate_evidence,
    latest_deployed,
    path_evidence,
    rank_suspects,
    reference_evidence,
    risk_evidence,
    sign_off_evidence,
    size_evidence,
)

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
CHECKOUT = ServiceScope("checkout-api", ("services/checkout/",))
PAYMENTS = ServiceScope("payments-api", ("services/payments/", "lib/auth/"))
INCIDENT = IncidentScope(started_at=START, services=(CHECKOUT,))
KNOBS = Knobs()


def sha(n: int) -> str:
    return f"{n:040x}"


def change(n: int = 1, **fields) -> Candidate:
    values = {
        "change_id": n,
        "sha": sha(n),
        "title": f"Change {n}",
        "merged_at": START - timedelta(hours=3),
        "paths": ("services/checkout/cart.py",),
        "lines_changed": 40,
    }
    values.update(fields)
    return Candidate(**values)


def before(**delta) -> datetime:
    return START - timedelta(**delta)


def after(**delta) -> datetime:
    return START + timedelta(**delta)


def kinds(evidence) -> list[str]:
    return [e.kind for e in evidence]


# --- deploy proximity -----------------------------------------------------------------------------------------


def test_a_change_deployed_to_an_affected_service_minutes_before_the_start_says_so_and_weighs_most():
    deploys = [Deploy("checkout-api", before(minutes=38), (1,))]

    [evidence] = deploy_evidence(change(1), INCIDENT, deploys)

    assert evidence.kind == "deploy"
    assert evidence.detail == "deployed to checkout-api 38 min before the start"
    assert KNOBS.deploy_weight - 0.05 < evidence.weight <= KNOBS.deploy_weight


def test_deploy_evidence_falls_with_the_time_before_the_start():
    weights = []
    for hours in (0.5, 6, 24, 72):
        deploys = [Deploy("checkout-api", before(hours=hours), (1,))]
        weights.append(deploy_evidence(change(1), INCIDENT, deploys)[0].weight)

    assert weights == sorted(weights, reverse=True)
    assert len(set(weights)) == 4


def test_a_batch_deployment_is_named_and_counts_the_same_for_every_change_in_it():
    deploys = [Deploy("checkout-api", before(hours=2), (1, 2, 3))]

    one = deploy_evidence(change(1), INCIDENT, deploys)[0]
    two = deploy_evidence(change(2), INCIDENT, deploys)[0]

    assert one.detail == "deployed to checkout-api 2 h before the start, in one deployment with 2 other changes"
    assert one.weight == two.weight


def test_later_deployments_of_the_service_lower_the_weight_and_are_counted():
    alone = [Deploy("checkout-api", before(hours=5), (1,))]
    followed = alone + [Deploy("checkout-api", before(hours=3), (2,)), Deploy("checkout-api", before(hours=1), (3,))]

    first = deploy_evidence(change(1), INCIDENT, alone)[0]
    second = deploy_evidence(change(1), INCIDENT, followed)[0]

    assert second.weight < first.weight
    assert second.detail.endswith(", 2 later deployments there before the start")


def test_the_nearest_of_several_deployments_of_a_change_is_the_one_that_counts():
    deploys = [Deploy("checkout-api", before(days=2), (1,)), Deploy("checkout-api", before(minutes=10), (1,))]

    [evidence] = deploy_evidence(change(1), INCIDENT, deploys)

    assert "10 min before" in evidence.detail


@pytest.mark.parametrize(
    "deploy",
    [
        pytest.param(Deploy("search", before(minutes=5), (1,)), id="another service"),
        pytest.param(Deploy("checkout-api", before(minutes=5), (1,), environment="staging"), id="staging"),
    ],
)
def test_deployments_to_other_services_or_environments_do_not_count_as_deploy_evidence(deploy):
    [evidence] = deploy_evidence(change(1, merged_at=before(hours=1)), INCIDENT, [deploy])

    assert "no deployment of it to the affected services is recorded" in evidence.detail
    assert evidence.weight < KNOBS.deploy_weight


def test_a_change_first_deployed_after_the_start_counts_against():
    deploys = [Deploy("checkout-api", after(hours=1), (1,))]

    [evidence] = deploy_evidence(change(1), INCIDENT, deploys)

    assert evidence.detail == "first deployed to checkout-api 1 h after the start"
    assert evidence.weight == KNOBS.deployed_after_weight


def test_an_implied_deployment_says_the_service_records_none():
    deploys = implied_deploys([change(1, merged_at=before(minutes=90))], [CHECKOUT])

    [evidence] = deploy_evidence(change(1, merged_at=before(minutes=90)), INCIDENT, deploys)

    assert evidence.detail.startswith("merged 1 h 30 min before the start; checkout-api records no deployments")


def test_implied_deploys_go_to_the_services_whose_code_a_change_touches():
    both = change(1, paths=("services/checkout/cart.py", "lib/auth/tokens.py"))
    other = change(2, paths=("docs/readme.md",))
    unmerged = change(3, merged_at=None)

    deploys = implied_deploys([both, other, unmerged], [CHECKOUT, PAYMENTS])

    assert sorted((d.service, d.change_ids) for d in deploys) == [("checkout-api", (1,)), ("payments-api", (1,))]
    assert all(d.implied and d.deployed_at == both.merged_at for d in deploys)


# --- path overlap -----------------------------------------------------------------------------------------------


def test_a_change_wholly_inside_the_affected_services_code_gets_the_full_path_weight():
    candidate = change(1, paths=("services/checkout/cart.py", "services/checkout/tests/test_cart.py"))

    [evidence] = path_evidence(candidate, INCIDENT)

    assert evidence.detail == "1 of its 1 non-test files are in the code of checkout-api"
    assert evidence.weight == KNOBS.paths_weight


def test_a_change_partly_inside_gets_its_share():
    candidate = change(1, paths=("services/checkout/cart.py", "services/search/index.py"))

    [evidence] = path_evidence(candidate, INCIDENT)

    assert evidence.weight == pytest.approx(KNOBS.paths_weight / 2)


def test_a_change_outside_every_affected_service_counts_against():
    [evidence] = path_evidence(change(1, paths=("services/search/index.py",)), INCIDENT)

    assert evidence.detail == "none of its 1 non-test files is in the code of checkout-api"
    assert evidence.weight == KNOBS.outside_paths_weight


def test_paths_named_by_the_incident_add_their_own_evidence():
    incident = replace(INCIDENT, paths=("services/checkout/pricing.py",))
    candidate = change(1, paths=("services/checkout/pricing.py", "services/checkout/cart.py"))

    evidence = path_evidence(candidate, incident)

    assert [e.detail for e in evidence][1] == "touches services/checkout/pricing.py, in the paths named by the incident"
    assert evidence[1].weight == pytest.approx(KNOBS.incident_paths_weight / 2)


def test_a_service_without_path_prefixes_gives_no_path_evidence():
    incident = IncidentScope(started_at=START, services=(ServiceScope("monolith"),))

    assert path_evidence(change(1), incident) == []


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_cart.py", True),
        ("services/checkout/tests/test_cart.py", True),
        ("lib/pool_test.go", True),
        ("web/cart_view.test.ts", True),
        ("services/checkout/cart.py", False),
        ("services/contest/rules.py", False),
    ],
)
def test_test_files_are_recognised_by_their_folder_or_name(path, is_test):
    assert is_test_path(path) is is_test


# --- risk, size, gates, AI --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "sign"), [(0.85, 1), (0.4, 0), (0.1, -1)])
def test_risk_adds_above_the_pivot_and_takes_away_below_it(risk, sign):
    candidate = change(1, risk_score=risk, risk_reasons=("400 changed lines", "touches 3 sensitive path(s)"))

    [evidence] = risk_evidence(candidate)

    assert evidence.detail == f"risk {risk:.2f}: 400 changed lines; touches 3 sensitive path(s)"
    assert (evidence.weight > 0) - (evidence.weight < 0) == sign


def test_a_change_without_a_risk_score_gives_no_risk_evidence():
    assert risk_evidence(change(1, risk_score=None)) == []


def test_size_counts_against_the_typical_suspect():
    big = size_evidence(change(1, lines_changed=400), typical_lines=40)
    small = size_evidence(change(2, lines_changed=4), typical_lines=40)
    typical = size_evidence(change(3, lines_changed=41), typical_lines=40)

    assert big[0].detail == "400 changed lines, 10.0 times the typical suspect's 40"
    assert big[0].weight > 0 > small[0].weight
    assert typical == []


def test_warning_gates_and_overridden_failures_are_evidence():
    candidate = change(
        1,
        gate_warnings=("tests: 2 source files changed without tests", "size: 1,200 changed lines"),
        gate_overrides=("secrets by Maya: a test fixture, not a key",),
    )

    evidence = gate_evidence(candidate)

    assert [e.detail for e in evidence] == [
        "gates warned or failed: tests: 2 source files changed without tests; size: 1,200 changed lines",
        "failed gate overridden: secrets by Maya: a test fixture, not a key",
    ]
    assert evidence[0].weight == 2 * KNOBS.gate_weight
    assert evidence[1].weight == KNOBS.override_weight


def test_gate_evidence_is_capped_at_three_warnings():
    candidate = change(1, gate_warnings=tuple(f"gate{n}" for n in range(6)))

    assert gate_evidence(candidate)[0].weight == 3 * KNOBS.gate_weight


def test_ai_assistance_is_evidence_with_what_showed_it():
    candidate = change(1, ai_assisted=True, ai_evidence=("trailer Co-Authored-By: Claude <noreply@anthropic.com>",))

    assert ai_evidence(candidate)[0].detail == "AI-assisted (trailer Co-Authored-By: Claude <noreply@anthropic.com>)"
    assert ai_evidence(change(2)) == []


# --- sign-off quality -----------------------------------------------------------------------------------------------


def test_a_sign_off_flagged_as_a_rubber_stamp_is_evidence():
    candidate = change(1, lines_changed=2000, sign_offs=(SignOff("Maya", 40, rubber_stamp=True),))

    [evidence] = sign_off_evidence(candidate)

    assert evidence.kind == "sign_off"
    assert evidence.detail == "signed off by Maya in 40 s for 2000 changed lines (flagged as a rubber stamp)"
    assert evidence.weight == KNOBS.rubber_stamp_weight


def test_a_sign_off_under_the_floor_for_its_size_is_a_rubber_stamp_even_unflagged():
    candidate = change(1, lines_changed=2000, sign_offs=(SignOff("Tomás", 60),))

    [evidence] = sign_off_evidence(candidate)

    assert evidence.detail.endswith("(under the 200 s floor for its size)")


def test_a_change_merged_without_its_required_sign_off_is_evidence():
    [evidence] = sign_off_evidence(change(1, required_sign_offs=1))

    assert evidence.detail == "merged without the 1 sign-off(s) it required"
    assert evidence.weight == KNOBS.no_sign_off_weight


def test_no_sign_off_is_no_evidence_when_none_was_required():
    assert sign_off_evidence(change(1, required_sign_offs=0)) == []


def test_a_careful_sign_off_counts_slightly_for_the_change():
    candidate = change(1, lines_changed=120, sign_offs=(SignOff("Priya", 900),))

    [evidence] = sign_off_evidence(candidate)

    assert evidence.detail == "signed off by Priya after 15 min for 120 lines"
    assert evidence.weight < 0


def test_a_sign_off_given_after_the_start_is_not_seen():
    candidate = change(1, required_sign_offs=1, sign_offs=(SignOff("Priya", 900, at=after(hours=1)),))

    [evidence] = sign_off_evidence(candidate, before=START)

    assert evidence.detail.startswith("merged without")


# --- reverts and fixes ----------------------------------------------------------------------------------------------


def note(n: int, message: str, at: datetime, title: str = "", paths: tuple[str, ...] = ()) -> CommitNote:
    return CommitNote(sha(1000 + n), title or message.splitlines()[0], message, at, paths)


def test_a_revert_after_the_start_is_strong_evidence():
    revert = note(1, f'Revert "Change 1"\n\nThis reverts commit {sha(1)}.', after(minutes=45))

    [evidence] = reference_evidence(change(1), INCIDENT, [revert])

    assert evidence.kind == "revert"
    assert evidence.detail == f'reverted by {revert.sha[:10]} (\u201cRevert "Change 1"\u201d) 45 min after the start'
    assert evidence.weight == KNOBS.revert_after_weight


def test_a_revert_before_the_start_means_the_change_was_no_longer_running():
    revert = note(1, f"Revert\n\nThis reverts commit {sha(1)[:12]}.", before(hours=3))

    [evidence] = reference_evidence(change(1), INCIDENT, [revert])

    assert evidence.detail.startswith("already reverted by")
    assert evidence.weight == KNOBS.revert_before_weight


def test_the_fix_commit_that_reverts_a_change_names_it():
    fix = note(1, f"Revert\n\nThis reverts commit {sha(1)}.", after(hours=2))
    incident = replace(INCIDENT, fix_sha=fix.sha[:12])

    [evidence] = reference_evidence(change(1), incident, [fix])

    assert evidence.detail.startswith(f"the fix {fix.sha[:10]}")
    assert evidence.weight == KNOBS.revert_after_weight


def test_a_change_that_is_itself_a_revert_is_less_likely():
    candidate = change(1, message=f'Revert "x"\n\nThis reverts commit {sha(9)}.')

    [evidence] = reference_evidence(candidate, INCIDENT, [])

    assert evidence.detail == f"reverts {sha(9)[:10]}: puts back code that ran before"
    assert evidence.weight == KNOBS.is_revert_weight


@pytest.mark.parametrize(
    ("at", "weight"),
    [(after(minutes=30), KNOBS.fix_after_weight), (before(days=1), KNOBS.fix_before_weight)],
    ids=["after the start", "before the start"],
)
def test_a_commit_that_says_it_fixes_the_change_is_hotfix_evidence(at, weight):
    fix = note(1, f"Fix rounding\n\nFixes: {sha(1)[:12]} (\u201cChange 1\u201d)", at)

    [evidence] = reference_evidence(change(1), INCIDENT, [fix])

    assert evidence.kind == "hotfix"
    assert "says it fixes this change" in evidence.detail
    assert evidence.weight == weight


def test_a_hotfix_after_the_start_touching_the_same_files_is_evidence():
    hotfix = note(1, "Hotfix: cart totals", after(minutes=20), paths=("services/checkout/cart.py",))
    elsewhere = note(2, "Hotfix: search", after(minutes=20), paths=("services/search/index.py",))

    [evidence] = reference_evidence(change(1), INCIDENT, [hotfix, elsewhere])

    assert evidence.detail.endswith("changes services/checkout/cart.py, which this change touched")
    assert evidence.weight == KNOBS.hotfix_files_weight


def test_a_commit_naming_another_change_is_no_evidence_for_this_one():
    revert = note(1, f"Revert\n\nThis reverts commit {sha(2)}.", after(minutes=5))

    assert reference_evidence(change(1), INCIDENT, [revert]) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f'Revert "x"\n\nThis reverts commit {sha(1)}.', [("revert", sha(1))]),
        (f'Fix it\n\nFixes: {sha(2)[:12]} ("Add cart")', [("fix", sha(2)[:12])]),
        ("Hotfix for commit ABCDEF1234 in checkout", [("fix", "abcdef1234")]),
        ("Fixes #123 and fixes the build", []),
        ("This reverts commit abc.", []),
    ],
)
def test_parse_references_reads_reverts_and_fixes(message, expected):
    assert parse_references(message) == expected


@given(st.text(max_size=2000))
def test_parse_references_never_fails_on_any_message(message):
    for kind, reference in parse_references(message):
        assert kind in {"revert", "fix"}
        assert 7 <= len(reference) <= 40


def test_abbreviations_shorter_than_seven_never_match():
    assert matches_sha("abcdef1", ["abcdef1234"])
    assert not matches_sha("abcdef", ["abcdef1234"])


# --- SZZ blame ----------------------------------------------------------------------------------------------------


def test_the_fix_blaming_the_change_is_the_strongest_evidence():
    blame = Blame(
        fix_sha=sha(77), lines={sha(1): 4, sha(2): 4}, total=8, files={sha(1): ("services/checkout/cart.py",)}
    )

    [evidence] = blame_evidence(change(1), blame)

    assert evidence.kind == "blame"
    assert evidence.detail == (
        f"fix {sha(77)[:10]} deletes or modifies 4 of 8 traced lines last changed by this change "
        "in services/checkout/cart.py"
    )
    assert evidence.weight == KNOBS.blame_weight + KNOBS.blame_share_weight / 2


def test_blame_on_the_merge_commit_counts_for_the_change():
    blame = Blame(fix_sha=sha(77), lines={sha(500): 3}, total=3)

    assert (
        blame_evidence(change(1, merge_sha=sha(500)), blame)[0].weight == KNOBS.blame_weight + KNOBS.blame_share_weight
    )


def test_no_blamed_lines_no_blame_evidence():
    assert blame_evidence(change(1), Blame(fix_sha=sha(77), lines={sha(2): 3}, total=3)) == []
    assert blame_evidence(change(1), None) == []


# --- the ranking ------------------------------------------------------------------------------------------------


def test_rank_suspects_orders_by_score_and_explains_every_suspect():
    risky = change(1, merged_at=before(hours=20), risk_score=0.9, lines_changed=900, ai_assisted=True)
    latest = change(2, merged_at=before(hours=2), risk_score=0.2, lines_changed=5)
    deploys = [Deploy("checkout-api", before(hours=19), (1,)), Deploy("checkout-api", before(hours=1), (2,))]

    ranked = rank_suspects(INCIDENT, [latest, risky], deploys)

    assert [s.candidate.change_id for s in ranked] == [1, 2]
    assert all(s.score == pytest.approx(sum(e.weight for e in s.evidence), abs=0.01) for s in ranked)
    assert {"deploy", "paths", "risk", "size", "ai"} <= set(kinds(ranked[0].evidence))


def test_the_fix_commit_trace_outranks_a_fresher_deployment():
    blamed = change(1, merged_at=before(days=3))
    fresh = change(2, merged_at=before(minutes=30))
    deploys = [Deploy("checkout-api", before(days=3), (1,)), Deploy("checkout-api", before(minutes=20), (2,))]
    blame = Blame(fix_sha=sha(77), lines={sha(1): 6}, total=6)

    ranked = rank_suspects(INCIDENT, [fresh, blamed], deploys, blame=blame)

    assert ranked[0].candidate.change_id == 1
    assert ranked[0].evidence[0].kind == "blame"


def test_changes_merged_after_the_start_are_not_suspects():
    ranked = rank_suspects(INCIDENT, [change(1), change(2, merged_at=after(minutes=1)), change(3, merged_at=None)])

    assert [s.candidate.change_id for s in ranked] == [1]


def test_rank_suspects_returns_at_most_the_limit_and_each_change_once():
    candidates = [change(n, merged_at=before(hours=n)) for n in range(1, 80)]

    ranked = rank_suspects(INCIDENT, candidates + candidates[:5], limit=50)

    assert len(ranked) == 50
    assert len({s.candidate.change_id for s in ranked}) == 50


def test_ties_go_to_the_later_merge():
    a = change(1, merged_at=before(hours=5))
    b = change(2, merged_at=before(hours=4))

    assert [s.candidate.change_id for s in rank_suspects(INCIDENT, [a, b])] == [2, 1]


def test_the_baseline_is_the_latest_change_of_the_latest_deployment_before_the_start():
    a, b, c = change(1, merged_at=before(hours=9)), change(2, merged_at=before(hours=8)), change(3)
    deploys = [
        Deploy("checkout-api", before(hours=7), (1, 2)),
        Deploy("search", before(hours=1), (3,)),
        Deploy("checkout-api", after(hours=1), (3,)),
    ]

    assert latest_deployed(INCIDENT, [a, b, c], deploys) == 2
    assert latest_deployed(INCIDENT, [a, b, c], []) is None
