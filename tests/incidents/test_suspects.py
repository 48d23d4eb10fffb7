"""The portal's suspect ranking (incidents.suspects over incidents.ranking.model): the facts it reads, each
explained, and the ranking as a whole. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.ranking.model import DEFAULT_WEIGHTS
from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    IncidentScope,
    Knobs,
    ServiceScope,
    SignOff,
    is_test_path,
    matches_sha,
    parse_references,
    reverts_a_commit,
)
from incidents.suspects import latest_deployed, rank_suspects

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
CHECKOUT = ServiceScope("checkout-api", ("services/checkout/",))
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


def evidence(candidates, deploys=(), notes=(), blame=None, incident=INCIDENT, knobs=KNOBS, weights=DEFAULT_WEIGHTS):
    """Each suspect's evidence by feature, keyed by change id."""
    ranked = rank_suspects(incident, candidates, deploys, notes, blame, knobs, weights=weights)
    return {s.candidate.change_id: {e.kind: e for e in s.evidence} for s in ranked}


def order(candidates, deploys=(), notes=(), blame=None, incident=INCIDENT, **kw) -> list[int]:
    return [s.candidate.change_id for s in rank_suspects(incident, candidates, deploys, notes, blame, **kw)]


# --- deployments ----------------------------------------------------------------------------------------------


def test_a_change_deployed_to_an_affected_service_just_before_the_start_leads_and_says_so():
    fresh, old = change(1, merged_at=before(hours=2)), change(2, merged_at=before(days=3))
    deploys = [Deploy("checkout-api", before(minutes=38), (1,)), Deploy("checkout-api", before(days=3), (2,))]

    found = evidence([fresh, old], deploys)

    assert order([fresh, old], deploys) == [1, 2]
    assert found[1]["deployed"].detail == "deployed to checkout-api 38 min before the start"
    assert found[1]["deployed"].weight > 0
    assert found[2]["deploy_recency"].weight < found[1]["deploy_recency"].weight <= 0


def test_a_batch_deployment_and_later_deployments_of_the_service_are_named():
    a, b, c = change(1), change(2), change(3, merged_at=before(hours=1))
    deploys = [
        Deploy("checkout-api", before(hours=2), (1, 2)),
        Deploy("checkout-api", before(hours=1), (3,)),
        Deploy("checkout-api", before(minutes=30), ()),
    ]

    found = evidence([a, b, c], deploys)

    assert found[1]["deployed"].detail == (
        "deployed to checkout-api 2 h before the start, 2 later deployment(s) there before the start, "
        "in one deployment with 1 other change(s)"
    )
    assert found[1]["later_deploys"].weight == found[2]["later_deploys"].weight < found[3]["later_deploys"].weight


def test_the_nearest_of_several_deployments_of_a_change_is_the_one_that_counts():
    deploys = [Deploy("checkout-api", before(hours=30), (1,)), Deploy("checkout-api", before(hours=1), (1,))]

    assert evidence([change(1, merged_at=before(hours=31))], deploys)[1]["deployed"].detail.startswith(
        "deployed to checkout-api 1 h before"
    )


@pytest.mark.parametrize(
    "deploy", [Deploy("search", before(hours=1), (1,)), Deploy("checkout-api", before(hours=1), (1,), "staging")]
)
def test_deployments_to_other_services_or_environments_do_not_count(deploy):
    assert "shipped when merged" in evidence([change(1)], [deploy])[1]["deployed"].detail


def test_a_change_first_deployed_after_the_start_counts_against():
    deploys = [Deploy("checkout-api", after(minutes=20), (1,)), Deploy("checkout-api", before(hours=1), (2,))]

    found = evidence([change(1), change(2)], deploys)

    assert found[1]["deployed_after"].detail == "first deployed to the affected services 20 min after the start"
    assert found[1]["deployed_after"].weight < 0
    assert order([change(1), change(2)], deploys) == [2, 1]


def test_without_recorded_deployments_a_merge_stands_for_one_where_configured():
    found = evidence([change(1)])
    off = evidence([change(1)], knobs=Knobs(implied_deploys=False))

    assert "so it shipped when merged" in found[1]["deployed"].detail
    assert "deployed" not in off[1]
    # A service that records deployments: a change none of them carried gets no implied one.
    recorded = replace(INCIDENT, deploys_recorded=True)
    assert "deployed" not in evidence([change(1)], incident=recorded)[1]


# --- paths ------------------------------------------------------------------------------------------------------


def test_the_share_of_its_code_in_the_affected_services_counts():
    inside = change(1)
    half = change(2, paths=("services/checkout/cart.py", "services/search/index.py"))
    outside = change(3, paths=("services/search/index.py",))

    found = evidence([inside, half, outside])

    assert (
        found[1]["in_folders"].detail
        == "100% of its code files in the affected paths (checkout-api: services/checkout/)"
    )
    assert found[1]["in_folders"].weight > found[2]["in_folders"].weight > 0
    assert "in_folders" not in found[3]
    assert order([inside, half, outside])[-1] == 3


def test_paths_named_by_the_incident_add_their_own_evidence():
    incident = replace(INCIDENT, paths=("services/checkout/cart.py",))
    found = evidence([change(1), change(2, paths=("services/checkout/tax.py",))], incident=incident)

    assert found[1]["named_paths"].weight > 0
    assert "named_paths" not in found[2]


def test_a_service_without_path_prefixes_holds_the_whole_repository():
    incident = IncidentScope(started_at=START, services=(ServiceScope("monolith"),))

    found = evidence([change(1, paths=("anything/at/all.py",))], incident=incident)

    assert found[1]["in_folders"].detail.startswith("100% of its code files in the affected paths (monolith:")


def test_test_and_docs_only_changes_fall_behind_code():
    code, tests = change(1, merged_at=before(hours=4)), change(2, paths=("services/checkout/tests/test_cart.py",))

    assert order([code, tests]) == [1, 2]


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


# --- risk, size, gates, AI, sign-offs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "sign"), [(0.9, 1), (0.1, -1)])
def test_risk_adds_above_the_pivot_and_takes_away_below_it(risk, sign):
    found = evidence([change(1, risk_score=risk, risk_reasons=("touches payments", "new author"))])[1]["risk"]

    assert found.weight * sign > 0
    assert found.detail == f"risk score {risk:.2f}: touches payments; new author"


def test_no_risk_score_no_risk_evidence_and_size_is_explained():
    found = evidence([change(1, lines_changed=600)])[1]

    assert "risk" not in found
    assert found["size"].detail == "600 changed lines"


def test_gates_overrides_ai_and_sign_offs_are_evidence_a_person_can_check():
    gated = change(
        1,
        gate_warnings=("tests: no tests", "size: large", "owners: none", "lint: 3"),
        gate_overrides=("owners by Ann: hotfix",),
        ai_assisted=True,
        sign_offs=(SignOff("Ann", 5, rubber_stamp=True, at=before(hours=4)),),
    )

    found = evidence([gated])[1]

    assert found["gates"].detail == "gates warned or failed: tests: no tests; size: large; owners: none"
    assert found["gates"].weight == pytest.approx(3 * DEFAULT_WEIGHTS["gates"])
    assert found["overrides"].detail == "failed gates overridden: owners by Ann: hotfix"
    assert found["ai"].detail == "AI-assisted"
    assert found["rubber_stamp"].detail == "signed off by Ann in 5 s for 40 changed lines (flagged as a rubber stamp)"


def test_sign_offs_under_the_floor_missing_careful_or_after_the_start():
    quick = change(1, sign_offs=(SignOff("Bo", 2, at=before(hours=4)),))
    missing = change(2, required_sign_offs=2)
    careful = change(3, sign_offs=(SignOff("Cy", 900, at=before(hours=4)),))
    late = change(4, sign_offs=(SignOff("Di", 2, at=after(hours=1)),))

    found = evidence([quick, missing, careful, late])

    assert "under the" in found[1]["rubber_stamp"].detail
    assert found[2]["unreviewed"].detail == "merged without the 2 sign-off(s) it required"
    assert found[3]["careful_review"].weight < 0
    assert not {"rubber_stamp", "careful_review", "unreviewed"} & set(found[4])


# --- what later commits say -------------------------------------------------------------------------------------


def note(n: int, message: str, at: datetime, title: str = "", paths: tuple[str, ...] = ()) -> CommitNote:
    return CommitNote(sha(n), title or message.splitlines()[0], message, at, paths)


def test_a_revert_after_the_start_is_strong_evidence_and_one_before_it_counts_against():
    after_start = note(10, f"Revert\n\nThis reverts commit {sha(1)}.", after(minutes=5))
    before_start = note(11, f"Revert\n\nThis reverts commit {sha(2)}.", before(minutes=5))

    found = evidence([change(1), change(2)], notes=[after_start, before_start])

    assert found[1]["reverted_after"].detail.startswith(f"reverted by {sha(10)[:10]}")
    assert found[1]["reverted_after"].weight >= 3
    assert found[2]["reverted_before"].detail.startswith(f"already reverted by {sha(11)[:10]}")
    assert found[2]["reverted_before"].weight < 0


def test_the_fix_commit_that_reverts_a_change_names_it():
    fix = note(10, f"Revert\n\nThis reverts commit {sha(1)}.", after(minutes=5))
    incident = replace(INCIDENT, fix_sha=sha(10))

    assert evidence([change(1)], notes=[fix], incident=incident)[1]["reverted_after"].detail.startswith("the fix ")


def test_a_change_that_is_itself_a_revert_is_less_likely():
    revert = change(2, message=f"Revert\n\nThis reverts commit {sha(9)}.")

    assert evidence([revert])[2]["is_revert"].weight < 0
    assert order([change(1), revert]) == [1, 2]


@pytest.mark.parametrize(("at", "kind"), [(after(hours=1), "fixed_after"), (before(hours=1), "fixed_before")])
def test_a_commit_that_says_it_fixes_the_change_is_evidence(at, kind):
    fixes = note(10, f"Fix the cart\n\nFixes: {sha(1)[:12]}", at)

    assert evidence([change(1)], notes=[fixes])[1][kind].detail.startswith(f"{sha(10)[:10]}")


def test_a_hotfix_after_the_start_touching_the_same_files_is_evidence_and_others_are_not():
    hotfix = note(10, "Hotfix: cart totals", after(minutes=30), paths=("services/checkout/cart.py",))
    unrelated = note(11, f"Revert\n\nThis reverts commit {sha(2)}.", after(minutes=5))

    found = evidence([change(1)], notes=[hotfix, unrelated])

    assert "hotfix_after" in found[1]
    assert "reverted_after" not in found[1]


def test_the_authors_recent_reverts_count():
    earlier = change(5, author="Ann", merged_at=before(days=20))
    reverted = note(10, f"Revert\n\nThis reverts commit {sha(5)}.", before(days=19))

    found = evidence([change(1, author="Ann"), change(2, author="Bo"), earlier], notes=[reverted])

    assert found[1]["author_reverts"].detail == "its author had 1 change(s) reverted in 90 days"
    assert "author_reverts" not in found[2]


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
    assert reverts_a_commit(message) == any(kind == "revert" for kind, _ in expected)


@given(st.text(max_size=2000))
def test_parse_references_never_fails_on_any_message(message):
    for kind, reference in parse_references(message):
        assert kind in {"revert", "fix"}
        assert 7 <= len(reference) <= 40


def test_abbreviations_shorter_than_seven_never_match():
    assert matches_sha("abcdef1", ["abcdef1234"])
    assert not matches_sha("abcdef", ["abcdef1234"])


# --- SZZ blame ----------------------------------------------------------------------------------------------------


def test_the_fix_blaming_the_change_outranks_a_fresher_deployment_and_names_its_files():
    old = change(1, merged_at=before(days=30), merge_sha=sha(101))
    fresh = change(2, merged_at=before(minutes=20))
    deploys = [Deploy("checkout-api", before(minutes=10), (2,))]
    blame = Blame(sha(50), {sha(101): 3, sha(7): 1}, 4, {sha(101): ("services/checkout/cart.py",)})

    found = evidence([old, fresh], deploys, blame=blame)

    assert order([old, fresh], deploys, blame=blame) == [1, 2]
    assert found[1]["blame_share"].detail == (
        f"fix {sha(50)[:10]} deletes or modifies 3 of 4 traced lines last changed by this change "
        "in services/checkout/cart.py"
    )
    assert "blame_share" not in found[2]


def test_a_blamed_change_older_than_the_window_stays_a_candidate():
    ancient = change(1, merged_at=before(days=200))
    blame = Blame(sha(50), {sha(1): 2}, 2)

    assert order([ancient], blame=blame) == [1]
    assert order([ancient]) == []


# --- the window and the ranking as a whole ------------------------------------------------------------------------


def test_no_fixed_look_back_every_change_of_the_window_is_a_candidate():
    weeks_old = change(1, merged_at=before(days=40))
    too_old = change(2, merged_at=before(days=91))
    fresh = change(3)

    assert order([weeks_old, too_old, fresh]) == [3, 1]
    assert order([weeks_old, too_old, fresh], knobs=Knobs(window_days=120)) == [3, 1, 2]


def test_the_last_known_good_time_opens_the_window():
    incident = replace(INCIDENT, known_good_at=before(days=2))

    assert order([change(1, merged_at=before(days=3)), change(2)], incident=incident) == [2]


def test_every_suspect_is_explained_and_its_score_is_the_sum_of_its_evidence():
    candidates = [change(n, merged_at=before(hours=n), risk_score=0.1 * n, ai_assisted=n % 2 == 0) for n in range(1, 8)]

    ranked = rank_suspects(INCIDENT, candidates)

    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    for s in ranked:
        assert s.score == pytest.approx(sum(e.weight for e in s.evidence), abs=0.01)
        assert all(e.detail for e in s.evidence)


def test_changes_merged_after_the_start_or_never_are_not_suspects():
    assert order([change(1), change(2, merged_at=after(minutes=1)), change(3, merged_at=None)]) == [1]


def test_at_most_the_limit_and_each_change_once():
    candidates = [change(n, merged_at=before(hours=n)) for n in range(1, 80)]

    ranked = rank_suspects(INCIDENT, candidates + candidates[:5], limit=50)

    assert len(ranked) == 50
    assert len({s.candidate.change_id for s in ranked}) == 50


def test_ties_go_to_the_later_merge():
    a = change(1, merged_at=before(hours=5), paths=("docs/a.md",))
    b = change(2, merged_at=before(hours=5) + timedelta(microseconds=1), paths=("docs/a.md",))

    assert order([a, b]) == [2, 1]


def test_fitted_weights_change_the_order():
    big_old = change(1, merged_at=before(days=5), lines_changed=2000)
    small_new = change(2, lines_changed=3)
    size_first = {**DEFAULT_WEIGHTS, "size": 8.0}

    assert order([big_old, small_new]) == [2, 1]
    assert order([big_old, small_new], weights=size_first) == [1, 2]


def test_the_baseline_is_the_latest_change_of_the_latest_deployment_before_the_start():
    a, b, c = change(1, merged_at=before(hours=9)), change(2, merged_at=before(hours=8)), change(3)
    deploys = [
        Deploy("checkout-api", before(hours=7), (1, 2)),
        Deploy("search", before(hours=1), (3,)),
        Deploy("checkout-api", after(hours=1), (3,)),
    ]

    assert latest_deployed(INCIDENT, [a, b, c], deploys) == 2
    assert latest_deployed(INCIDENT, [a, b, c], []) is None
