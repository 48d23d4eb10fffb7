"""Measuring the ranking on reverts (incidents.evaluation, pure) and the evaluate_suspects command on a real git
history imported as it is, with no services and no deployments configured."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from incidents.evaluation import (
    Outcome,
    Report,
    RevertCase,
    evaluate_case,
    find_reverts,
    select_candidates,
    services_of,
    start_for,
    top_level_services,
)
from incidents.suspect_facts import Blame, Candidate, CommitNote, Deploy, IncidentScope, Knobs, ServiceScope
from intake.services.repositories import repository_import, repository_register

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
APP = ServiceScope("app", ("app/",))
WEB = ServiceScope("web", ("web/",))


def sha(n: int) -> str:
    return f"{n:040x}"


def cand(n: int, hours: float, paths=("app/a.py",), **fields) -> Candidate:
    return Candidate(n, sha(n), f"Change {n}", T0 + timedelta(hours=hours), tuple(paths), **fields)


def note_of(c: Candidate, message: str = "") -> CommitNote:
    return CommitNote(c.sha, c.title, message or c.title, c.merged_at, c.paths, c.change_id)


def revert_of(n: int, target: Candidate, hours: float) -> tuple[Candidate, CommitNote]:
    message = f'Revert "{target.title}"\n\nThis reverts commit {target.sha}.'
    revert = cand(n, hours, target.paths, message=message)
    return revert, note_of(revert, message)


def test_top_level_directories_become_services_and_root_files_share_one():
    services = top_level_services(["app/a.py", "app/b/c.py", "web/x.ts", "README.md", "Makefile"])

    assert services == (
        ServiceScope("app", ("app/",)),
        ServiceScope("web", ("web/",)),
        ServiceScope("(root files)", ("Makefile", "README.md")),
    )


def test_the_services_of_reverted_files_are_the_ones_holding_them():
    assert services_of(["web/x.ts"], [APP, WEB]) == (WEB,)
    assert services_of(["app/a.py", "web/x.ts"], [APP, WEB]) == (APP, WEB)
    assert services_of(["docs/x.md"], [APP, ServiceScope("all")]) == (ServiceScope("all"),)


def test_reverts_of_unknown_or_later_commits_are_skipped_with_a_reason():
    bad = cand(1, 1)
    revert, revert_note = revert_of(2, bad, 5)
    stray = CommitNote(sha(3), "Revert", f"This reverts commit {sha(99)}.", T0 + timedelta(hours=6))

    cases, skipped = find_reverts([revert_note, stray, note_of(bad)], [bad, revert])

    assert [(c.revert.sha, c.target.change_id) for c in cases] == [(revert.sha, 1)]
    assert skipped == [f"{sha(3)[:10]}: reverts {sha(99)[:10]}, which is not a merged change here"]


def test_the_incident_starts_a_fixed_lead_before_the_revert_whenever_the_reverted_change_merged():
    bad = cand(1, 0)
    late = RevertCase(note_of(cand(2, 10)), bad)
    quick = RevertCase(note_of(cand(3, 0.25)), bad)

    assert start_for(late, timedelta(minutes=30)) == T0 + timedelta(hours=9, minutes=30)
    # Starting between the two (as if one knew when the culprit merged) would hand the answer over.
    assert start_for(quick, timedelta(minutes=30)) == T0 - timedelta(minutes=15)


def test_a_culprit_merged_after_the_start_is_out_of_reach_and_counted_not_dropped():
    from incidents.evaluation import evaluate

    bad = cand(1, 0)
    revert, revert_note = revert_of(2, bad, 0.25)

    report = evaluate(
        "acme/shop", candidates=[bad, revert], deploys=[], notes=[note_of(bad), revert_note], services=[APP]
    )

    assert report.outcomes == []
    assert report.out_of_reach == [f"{revert.sha[:10]}: reverted change merged less than 0:30:00 before the revert"]
    assert report.as_dict()["out_of_reach"] == report.out_of_reach


def test_candidates_are_what_the_portal_would_gather_before_the_start():
    scope = IncidentScope(started_at=T0 + timedelta(hours=10), services=(APP,))
    inside, outside, later, old = cand(1, 5), cand(2, 5, ["web/x.ts"]), cand(3, 11), cand(4, -300)
    deployed_outside = cand(5, 6, ["web/y.ts"])
    blamed_old = cand(6, -24 * 100)
    too_old = cand(7, -24 * 100)
    deploys = [Deploy("app", T0 + timedelta(hours=7), (5,))]
    blame = Blame(sha(77), {sha(6): 2}, 2)

    chosen = select_candidates(
        scope, [inside, outside, later, old, deployed_outside, blamed_old, too_old], deploys, blame, Knobs()
    )

    # Every change merged in the 90 days before the start is a candidate (no 7-day look-back, no cut by paths:
    # the ranking weighs both); older ones only when the fix's trace blames them.
    assert [c.change_id for c in chosen] == [1, 2, 4, 5, 6]


def test_the_ranking_never_sees_the_revert_or_what_came_after_the_start():
    bad = cand(1, 3, lines_changed=400, risk_score=0.8)
    small = cand(2, 0, lines_changed=5, risk_score=0.2)
    after = cand(3, 9, lines_changed=900, risk_score=0.99)  # merged after the start: hidden
    revert, revert_note = revert_of(4, bad, 10)
    deploys = [Deploy("app", c.merged_at, (c.change_id,), implied=True) for c in (bad, small, after, revert)]
    case = RevertCase(revert_note, bad)
    notes = [note_of(bad), note_of(small), note_of(after), revert_note]

    outcome = evaluate_case(
        case,
        candidates=[bad, small, after, revert],
        deploys=deploys,
        notes=notes,
        services=[APP, WEB],
        knobs=Knobs(),
        lead=timedelta(hours=2),
    )

    assert outcome.started_at == T0 + timedelta(hours=8)
    assert outcome.services == ("app",)
    assert outcome.candidates == 2
    assert outcome.baseline_id == 1  # the latest change deployed to app before the start
    assert outcome.ranks == {"without_fix": 1}


def test_the_report_counts_hits_per_mode_and_for_the_baseline():
    def outcome(target, baseline, ranks, five=()):
        return Outcome(sha(target), target, "t", T0, ("app",), 3, baseline, ranks, five)

    report = Report(
        "acme/shop",
        [
            outcome(1, 1, {"without_fix": 1}, (1,)),
            outcome(2, 9, {"without_fix": 4}, (9, 2)),
            outcome(3, None, {"without_fix": None}),
        ],
    )

    assert (report.hits("baseline", 1), report.hits("baseline", 5)) == (1, 2)
    assert (report.hits("without_fix", 1), report.hits("without_fix", 5)) == (1, 2)
    assert report.rate("without_fix", 5) == pytest.approx(66.7)
    data = report.as_dict()
    assert data["incidents"] == 3
    assert data["baseline"]["top1_percent"] == pytest.approx(33.3)
    assert data["cases"][1]["ranks"] == {"without_fix": 4}
    assert data["without_fix"]["top1_ci95"] == [0.061, 0.792]  # Wilson, 1 of 3


# --- the command on a repository imported as it is ---------------------------------------------------------------


@pytest.fixture
def imported(repository, work_repo):
    """A repository with no services and no deployments; its diffs are not read yet (no worker runs)."""
    work_repo.commit(
        {
            "app/pricing.py": "def tax(a):\n    return a * 0.2\n",
            "web/cart.ts": "export const n = 1;\n",
            "README.md": "x\n",
        },
        "Initial import",
        date="2026-11-01T09:00:00+00:00",
    )
    bad = work_repo.commit(
        {"app/pricing.py": "def tax(a):\n    rate = 0.02\n    return a * rate\n"},
        "Make the tax rate configurable",
        date="2026-11-02T09:00:00+00:00",
    )
    work_repo.commit({"web/cart.ts": "export const n = 2;\n"}, "Count items", date="2026-11-02T10:00:00+00:00")
    work_repo.commit({"README.md": "y\n"}, "Docs", date="2026-11-02T11:00:00+00:00")
    work_repo.commit(
        {"app/pricing.py": "def tax(a):\n    return a * 0.2\n"},
        f'Revert "Make the tax rate configurable"\n\nThis reverts commit {bad}.',
        date="2026-11-02T15:00:00+00:00",
    )
    work_repo.commit(
        {"README.md": "z\n"}, f"Revert elsewhere\n\nThis reverts commit {'e' * 40}.", date="2026-11-02T16:00:00+00:00"
    )
    repository_register(name=repository.name, url=str(work_repo.path))
    repository_import(repository=repository)
    return bad


def test_evaluate_suspects_measures_an_imported_history_as_json(imported, repository):
    out = io.StringIO()

    call_command("evaluate_suspects", "--repo", repository.name, "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["repository"] == "acme/shop"
    assert report["incidents"] == 1
    assert len(report["skipped"]) == 1
    [case] = report["cases"]
    assert case["services"] == ["app"]
    assert case["ranks"] == {"without_fix": 1}
    for mode in ("baseline", "without_fix"):
        assert set(report[mode]) == {"top1", "top5", "top1_percent", "top5_percent", "top1_ci95", "top5_ci95", "label"}
    assert report["out_of_reach"] == []


def test_evaluate_suspects_prints_a_table_next_to_the_baseline(imported, repository):
    out = io.StringIO()

    call_command("evaluate_suspects", "--repo", repository.name, stdout=out)

    text = out.getvalue()
    assert text.startswith("acme/shop: 1 revert(s) treated as incidents")
    assert "baseline: latest change deployed to the affected service" in text
    assert "ranking, no fix known" in text
    assert "Make the tax rate configurable" in text


def test_evaluate_suspects_refuses_an_unknown_repository(db):
    with pytest.raises(CommandError, match="no repository named 'nope'"):
        call_command("evaluate_suspects", "--repo", "nope")
