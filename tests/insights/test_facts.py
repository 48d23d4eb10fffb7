from datetime import timedelta

import pytest
import time_machine
from celery.schedules import crontab

from incidents.models import IncidentChangeLink
from insights.models import ChangeFact, FactsWatermark, ReviewFact
from insights.services import facts_refresh, facts_refresh_if_stale
from intake.services.deployments import deployment_record
from reviews.models import Change, Repository, Review, Service
from tests.insights.builders import W47, change, confirm, verdict

H = timedelta(hours=1)


@pytest.fixture
def repo(db):
    return Repository.objects.create(name="acme/shop", clone_url="/nowhere")


def test_facts_of_a_change_sum_up_its_verdicts_and_links(repo, make_engineer):
    author, senior, other = make_engineer(4), make_engineer(6), make_engineer(6)
    c = change(repo, author=author, opened=W47, merged=W47 + 10 * H, ai=True, lines=120, needs=2, requires_owner=True)
    verdict(c, senior, W47 + 2 * H, verdict="request_changes", head_sha="a" * 40)
    verdict(c, senior, W47 + 3 * H)
    verdict(c, other, W47 + 12 * H)  # after the merge
    confirm(c, W47 + 20 * H)
    confirm(c, W47 + 21 * H, state=IncidentChangeLink.State.RULED_OUT)
    assert facts_refresh() == {"changes": 1, "reviews": 3}
    f = ChangeFact.objects.get(change=c)
    assert (f.first_review_at, f.first_approval_at) == (W47 + 2 * H, W47 + 3 * H)
    assert (f.rounds, f.approvals_before_merge, f.approvals_needed) == (2, 1, 2)
    assert (f.needs_sign_off, f.failed, f.bucket, f.lines, f.team_id) == (True, True, "medium", 120, author.team_id)
    assert ReviewFact.objects.filter(change=c, verdict="approve").count() == 2


def test_a_change_without_a_known_author_still_counts_its_verdicts(repo, make_engineer):
    c = change(repo, author=None, opened=W47, needs=1)
    verdict(c, make_engineer(6), W47 + H)
    facts_refresh()
    assert ChangeFact.objects.get(change=c).first_approval_at == W47 + H


def test_incremental_refresh_picks_up_new_verdicts_links_and_deployments(repo, make_engineer):
    author, senior = make_engineer(4), make_engineer(6)
    service = Service.objects.create(name="shop", repository=repo, path_prefixes=[""])
    a = change(repo, author=author, opened=W47, merged=W47 + H, needs=1)
    b = change(repo, author=author, opened=W47, merged=W47 + H, needs=1)
    old = change(repo, author=author, opened=W47 - 48 * H, merged=W47 - 47 * H, needs=1)
    Change.objects.filter(pk=old.pk).update(updated_at=W47 - 47 * H)
    facts_refresh()
    verdict(a, senior, W47 + 30 * H)
    confirm(b, W47 + 40 * H)
    deployment_record(service=service, environment="production", sha=b.head_sha, deployed_at=W47 + 2 * H, changes=[b])
    counts = facts_refresh()
    assert counts == {"changes": 2, "reviews": 1}  # not the old change, untouched since
    assert ChangeFact.objects.get(change=a).first_approval_at == W47 + 30 * H
    fb = ChangeFact.objects.get(change=b)
    assert (fb.failed, fb.deployed_at) == (True, W47 + 2 * H)


def test_a_stale_refresh_is_handed_to_a_worker(repo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert facts_refresh_if_stale() is None
    assert len(callbacks) == 1
    facts_refresh()
    with django_capture_on_commit_callbacks() as callbacks:
        assert facts_refresh_if_stale() is not None
    assert callbacks == []
    at = FactsWatermark.objects.get().refreshed_at
    with time_machine.travel(at + timedelta(minutes=10)), django_capture_on_commit_callbacks() as callbacks:
        facts_refresh_if_stale()
    assert len(callbacks) == 1


def test_refresh_task_runs_the_service(repo, make_engineer):
    from insights.tasks import refresh_facts

    change(repo, author=make_engineer(4), opened=W47)
    assert refresh_facts() == {"changes": 1, "reviews": 0}
    assert Review.objects.count() == 0


def test_beat_keeps_the_rollups_up_to_date(settings):
    from portal.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["insights.refresh_facts"]["task"] == "insights.refresh_facts"
    assert schedule["insights.rebuild_knowledge"]["task"] == "insights.rebuild_knowledge"
    assert schedule["insights.refresh_facts"]["schedule"] == crontab(minute="*/5")
    assert schedule["insights.rebuild_knowledge"]["schedule"] == crontab(hour=2, minute=30)
    app.loader.import_default_modules()
    assert {"insights.refresh_facts", "insights.rebuild_knowledge"} <= set(app.tasks)
