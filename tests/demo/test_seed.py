"""The demo organisation is complete, realistic enough to mean something, and safe to seed twice."""

from __future__ import annotations

import io
import json
import statistics
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from demo.organisation import PEOPLE
from demo.seed import defect_shas, seed_demo
from incidents.models import ActionItem, CorrectionOfError, Incident, IncidentChangeLink, TimelineEntry
from incidents.report.weeks import week_bounds
from incidents.services import trace_fix
from incidents.suspect_facts import parse_references
from intake.gitrepo import Mirror
from intake.mirrors import git_config
from reviews.models import Assignment, AuditEvent, Change, Deployment, Engineer, Repository, Review


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    settings.DATA_DIR = tmp_path_factory.mktemp("demo-data")
    # The portal's own rubber-stamp floor, whatever the other tests set: the demo flags fast sign-offs with it.
    settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES, settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS = 1, 20
    with django_db_blocker.unblock():
        try:
            first = seed_demo()
            counts = _counts()
            second = seed_demo()
            yield first, second, counts
        finally:
            # The seed commits outside any test transaction: leave nothing behind for the other tests.
            call_command("flush", "--noinput")


def _counts() -> dict[str, int]:
    return {
        "changes": Change.objects.count(),
        "reviews": Review.objects.count(),
        "assignments": Assignment.objects.count(),
        "incidents": Incident.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _merged():
    return Change.objects.filter(state=Change.State.MERGED)


def _repairs() -> list[tuple[str, Change, Change]]:
    """(kind, bad change, revert or fix) for every revert and fix-forward of the demo."""
    found = []
    for repair in _merged().filter(description__regex=r"(This reverts commit|Fixes: )"):
        for kind, ref in parse_references(repair.description)[:1]:
            bad = _merged().filter(repository=repair.repository, head_sha__startswith=ref).first()
            assert bad is not None, f"{repair.title} names {ref}, which is not a merged change"
            found.append((kind, bad, repair))
    return found


def _command_json(name: str, *args: str):
    out = io.StringIO()
    call_command(name, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_seeding_twice_adds_nothing(seeded):
    first, second, counts = seeded

    assert _counts() == counts
    assert second["reviews"] == second["incidents"] == 0
    assert first["changes"] == counts["changes"]
    assert 700 <= counts["changes"] <= 1200


@pytest.mark.django_db
def test_demo_has_about_thirty_engineers_across_levels(seeded):
    levels = set(Engineer.objects.values_list("level", flat=True))

    assert 28 <= Engineer.objects.count() <= 32
    assert levels == {3, 4, 5, 6, 7, 8}


@pytest.mark.django_db
def test_demo_senior_has_a_queue_and_history_has_a_realistic_ai_share(seeded):
    merged = _merged()
    share = merged.filter(ai_assisted=True).count() / merged.count()

    assert Assignment.objects.filter(reviewer__user__username="maya", state="active").exists()
    assert 0.2 <= share <= 0.6


@pytest.mark.django_db
def test_history_is_half_a_year_long_and_reaches_the_last_twelve_weeks(seeded):
    now = timezone.now()
    first = _merged().order_by("merged_at").first().merged_at
    this_monday, _ = week_bounds(*now.isocalendar()[:2], tz=now.tzinfo)

    assert now - first > timedelta(days=150)
    for weeks_back in range(1, 13):
        start = this_monday - timedelta(weeks=weeks_back)
        assert _merged().filter(merged_at__gte=start, merged_at__lt=start + timedelta(weeks=1)).exists(), start


@pytest.mark.django_db
def test_every_revert_comes_after_another_deploy_to_the_same_service(seeded):
    reverts = [(bad, repair) for kind, bad, repair in _repairs() if kind == "revert"]

    assert len(reverts) >= 25
    for bad, revert in reverts:
        services = bad.deployments.values("service")
        between = Deployment.objects.filter(
            service__in=services, deployed_at__gt=bad.deployed_at, deployed_at__lt=revert.merged_at
        ).exclude(changes=bad)
        assert between.exists(), f"{revert.title}: nothing else shipped to its services before it"


@pytest.mark.django_db
def test_about_a_quarter_of_defects_are_fixed_forward_by_a_commit_that_blame_traces_to_them(seeded):
    repairs = _repairs()
    fixes = [(bad, fix) for kind, bad, fix in repairs if kind == "fix"]

    assert 0.15 <= len(fixes) / len(repairs) <= 0.45
    for bad, fix in fixes:
        traced = trace_fix(Mirror(Path(fix.repository.clone_url), git_config()), fix.head_sha).trace
        assert traced.lines.get(bad.head_sha, 0) > 0, f"{fix.title}: blame does not reach {bad.short_sha}"


@pytest.mark.django_db
def test_bad_changes_are_riskier_than_most_but_not_separable(seeded):
    defects, others = [], []
    for repository in Repository.objects.all():
        refs = defect_shas(repository)
        for change in _merged().filter(repository=repository).exclude(title__startswith="Import "):
            (defects if any(change.head_sha.startswith(r) for r in refs) else others).append(change)

    def stamped(changes):
        reviewed = [c for c in changes if c.reviews.filter(verdict=Review.Verdict.APPROVE).exists()]
        return sum(c.reviews.filter(rubber_stamp=True).exists() for c in reviewed) / len(reviewed)

    typical = statistics.median(c.lines_changed for c in others)
    assert statistics.median(c.lines_changed for c in defects) > 1.5 * typical
    assert sum(c.ai_assisted for c in defects) / len(defects) > sum(c.ai_assisted for c in others) / len(others)
    assert stamped(defects) > stamped(others)
    assert any(c.lines_changed < typical for c in defects)  # small changes break things too


@pytest.mark.django_db
def test_some_people_stop_committing_and_some_files_end_up_known_by_one_active_person(seeded):
    end = _merged().order_by("-merged_at").first().merged_at
    since = end - timedelta(days=90)
    active = set(_merged().filter(merged_at__gte=since).values_list("author__user__username", flat=True))
    active |= set(Review.objects.filter(created_at__gte=since).values_list("reviewer__user__username", flat=True))
    leavers = {p.username for p in PEOPLE if p.left is not None}
    knowers: dict[str, set[str]] = {}
    for path, author in _merged().values_list("files__path", "author__user__username"):
        knowers.setdefault(path, set()).add(author)
    for path, reviewer in Review.objects.values_list("change__files__path", "reviewer__user__username"):
        knowers.setdefault(path, set()).add(reviewer)

    assert leavers and not leavers & active
    assert any(len(people & active) <= 1 for people in knowers.values())


@pytest.mark.django_db
def test_reviews_are_requested_then_given_before_the_merge_in_rounds_with_some_rubber_stamps(seeded):
    history = Review.objects.filter(change__state=Change.State.MERGED).select_related("change")
    requested = Assignment.objects.filter(change__state=Change.State.MERGED, state=Assignment.State.DONE)

    for review in history:
        assert review.change.opened_at <= review.created_at <= review.change.merged_at
    for assignment in requested.select_related("change"):
        assert assignment.change.opened_at <= assignment.created_at <= assignment.completed_at
    assert requested.count() >= 0.8 * _merged().filter(reviews__isnull=False).distinct().count()
    rounds = history.filter(verdict=Review.Verdict.REQUEST_CHANGES).values_list("change", flat=True)
    assert history.filter(change__in=rounds, verdict=Review.Verdict.APPROVE).count() >= 20
    assert 0.05 <= history.filter(rubber_stamp=True).count() / history.count() <= 0.25
    assert _merged().filter(required_sign_offs__gt=0, reviews__isnull=True).exists()


@pytest.mark.django_db
def test_incidents_cover_the_history_with_causes_timelines_and_reviews(seeded):
    now = timezone.now()
    this_monday, _ = week_bounds(*now.isocalendar()[:2], tz=now.tzinfo)
    confirmed = IncidentChangeLink.objects.filter(state=IncidentChangeLink.State.CONFIRMED)
    resolved = Incident.objects.filter(resolved_at__isnull=False)
    items = ActionItem.objects.all()

    assert Incident.objects.filter(started_at__lt=now - timedelta(days=120)).exists()
    assert Incident.objects.filter(started_at__gte=this_monday - timedelta(weeks=1), started_at__lt=this_monday)
    assert Incident.objects.filter(resolved_at__isnull=True).exists()
    assert confirmed.filter(change__ai_assisted=True).exists() and confirmed.filter(change__ai_assisted=False)
    assert not resolved.filter(detected_at__isnull=True) and not resolved.filter(mitigated_at__isnull=True)
    assert TimelineEntry.objects.values("incident").distinct().count() == Incident.objects.count()
    assert CorrectionOfError.objects.count() >= 30
    assert items.filter(status=ActionItem.Status.DONE).exists()
    assert items.filter(status=ActionItem.Status.OPEN, due_date__lt=now.date()).exists()  # overdue
    assert items.filter(status__in=[ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS], due_date__gte=now.date())


@pytest.mark.django_db
def test_confirmed_causes_are_reverted_or_fixed_changes_or_the_last_deploy_of_an_outage(seeded):
    confirmed = IncidentChangeLink.objects.filter(state=IncidentChangeLink.State.CONFIRMED).select_related("change")
    now = timezone.now()
    this_monday, _ = week_bounds(*now.isocalendar()[:2], tz=now.tzinfo)
    last_week = confirmed.filter(
        incident__started_at__gte=this_monday - timedelta(weeks=1), incident__started_at__lt=this_monday
    )

    assert confirmed.count() >= 35
    assert last_week.exists()  # the weekly report of the last full week has a cause to show
    for link in confirmed.exclude(incident__title="Edge certificate renewal failed"):
        sha = link.change.head_sha
        assert Change.objects.filter(description__contains=f"This reverts commit {sha}").exists() or (
            Change.objects.filter(description__contains=f"Fixes: {sha[:12]}").exists()
        )


@pytest.mark.django_db
def test_some_seniors_are_away_and_one_is_over_capacity(seeded):
    now = timezone.now()
    seniors = Engineer.objects.filter(level__gte=6)
    over = []
    for senior in seniors.filter(is_away=False):
        open_minutes = senior.assignments.filter(state="active").aggregate(m=Sum("estimated_minutes"))["m"] or 0
        seconds = senior.reviews.filter(created_at__gte=now - timedelta(days=7)).aggregate(s=Sum("seconds_spent"))
        if open_minutes + (seconds["s"] or 0) / 60 >= senior.weekly_capacity_minutes:
            over.append(senior)

    assert seniors.filter(is_away=True, away_until__gt=now.date()).count() >= 2
    assert over


@pytest.mark.django_db
def test_suspect_ranking_keeps_every_demo_culprit_in_its_first_five(seeded):
    reports = [_command_json("evaluate_suspects", "--repo", r.name) for r in Repository.objects.all()]
    total = sum(r["incidents"] for r in reports)

    def rate(mode: str, k: str) -> float:
        return 100 * sum(r[mode][k] for r in reports) / total

    assert total >= 30
    # Every demo outage has a later, harmless deployment after its culprit, a shape made for the old size and risk
    # priors that lost to "the latest change" on real histories; with default weights the ranking leads with
    # recency (refit_suspects learns the organisation's own shape from confirmed links), so here it must keep
    # every culprit in its first five. Each incident starts a fixed 30 minutes before its revert and never sees it.
    assert rate("without_fix", "top1") >= rate("baseline", "top1")
    assert rate("without_fix", "top5") >= 90


@pytest.mark.django_db
@pytest.mark.parametrize("repo", ["demo/shop", "demo/platform"])
def test_balanced_assignment_meets_its_targets_on_the_demo(seeded, repo):
    results = {m["strategy"]: m for m in _command_json("simulate_assignment", "--repo", repo, "--seniors", "top:6")}
    balanced = results.pop("balanced")

    assert balanced["expertise"] >= 0.9 * results["expertise"]["expertise"]
    assert balanced["workload_gini"] <= results["load_balance"]["workload_gini"] + 0.03
    assert balanced["files_at_risk"] <= min(m["files_at_risk"] for m in results.values())


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
