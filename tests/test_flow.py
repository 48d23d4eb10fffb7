"""The whole flow, steps 1 to 7, through a real Celery worker consuming from the real Redis broker."""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from incidents.models import Incident, IncidentChangeLink
from portal.celery import app as celery_app
from reviews.models import Change, Review
from reviews.services.signoff import change_attest

pytestmark = pytest.mark.worker

AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"


@pytest.fixture
def celery_worker(transactional_db):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_change_goes_from_git_to_the_weekly_report(celery_worker, make_engineer, work_repo, client):
    author = make_engineer(4, username="jun", email="jun@example.com")
    senior = make_engineer(6, username="sen", email="sen@example.com")
    reviewer = make_engineer(6, username="inc", email="inc@example.com", is_incident_reviewer=True, is_away=True)
    work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.branch("feature/jun-cache")
    work_repo.commit(
        {"app/cache.py": "CACHE = {}\n\ndef get(key):\n    return CACHE.get(key)\n"},
        "Add a cache" + AI_TRAILER,
        author="Jun <jun@example.com>",
    )
    work_repo.checkout("main")

    # 1. Register and import; diffs are pulled by the worker from the Redis queue.
    call_command("import_git", str(work_repo.path), "--name", "acme/shop")
    _wait_for(lambda: not Change.objects.exclude(diff_state=Change.DiffState.DONE).exists())

    # 2-3. The worker parsed the diff, detected AI assistance and applied the policy.
    change = Change.objects.get(state=Change.State.OPEN)
    assert change.files.get().path == "app/cache.py"
    assert change.ai_assisted and change.required_sign_offs == 1
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION

    # 4. The author attests; the least-loaded eligible senior (not the author, not away) is assigned.
    change_attest(change=change, engineer=author)
    assignment = change.assignments.get()
    assert assignment.reviewer == senior and assignment.reason

    # 5. The senior signs off in the browser flow; the author is refused by the server.
    client.force_login(author.user)
    page = client.get(reverse("reviews:change-detail", args=[change.pk]))
    token = page.context["review_form"].initial["page_token"]
    forged = {"verdict": "approve", "head_sha": change.head_sha, "page_token": token, "active_seconds": 30}
    assert client.post(reverse("reviews:change-review", args=[change.pk]), forged).status_code == 403
    client.force_login(senior.user)
    page = client.get(reverse("reviews:queue"))
    assert "Add a cache" in page.content.decode()
    page = client.get(reverse("reviews:change-detail", args=[change.pk]))
    token = page.context["review_form"].initial["page_token"]
    time.sleep(1.1)
    response = client.post(
        reverse("reviews:change-review", args=[change.pk]),
        {"verdict": "approve", "head_sha": change.head_sha, "page_token": token, "active_seconds": 1},
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.reviewer, review.head_sha, review.seconds_spent) == (senior, change.head_sha, 1)

    # 6. An incident reviewer records an incident and links the change.
    client.force_login(reviewer.user)
    response = client.post(
        reverse("incidents:incident-create"),
        {"title": "Cache returns stale prices", "severity": "SEV2", "started_at": "2026-11-18 10:00"},
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    response = client.post(
        reverse("incidents:incident-link", args=[incident.pk]),
        {"repository": "acme/shop", "sha": change.head_sha[:10], "state": "confirmed", "reason": "reverted"},
    )
    assert response.status_code == 302
    assert IncidentChangeLink.objects.get().state == IncidentChangeLink.State.CONFIRMED

    # 7. The weekly report shows the incident, the change, its author, AI assistance, the signer and the time.
    html = client.get(reverse("incidents:report-weekly"), {"week": "2026-W47"}).content.decode()
    for expected in ("Cache returns stale prices", "Add a cache", "Jun", "AI-assisted", "Sen", "(1 s)"):
        assert expected in html
