"""The weekly report built and mailed by a real Celery worker consuming from the real Redis broker."""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from incidents.models import WeeklyReport
from incidents.tasks import weekly_report_build
from portal.celery import app as celery_app
from reviews.models import AuditEvent
from tests.incidents.report_data import WEEK, seed_week

pytestmark = pytest.mark.worker


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


def test_a_drafted_report_is_built_by_the_worker_and_mailed_once_final(
    celery_worker, client, repository, make_engineer, settings
):
    settings.PORTAL_REPORT_RECIPIENTS = ["ops@example.com"]
    seed_week(repository, make_engineer)
    reviewer = make_engineer(6, username="ines", is_incident_reviewer=True)
    client.force_login(reviewer.user)

    response = client.post("/incidents/reports/weekly/draft/", {"week": WEEK})
    assert response.status_code == 302
    report = WeeklyReport.objects.get()
    _wait_for(lambda: WeeklyReport.objects.get().build_state == "done")

    report.refresh_from_db()
    assert report.snapshot["incidents"]["count"] == 2 and report.progress == 100
    status = client.get(f"/incidents/reports/{report.pk}/status/", HTTP_HX_REQUEST="true")
    assert status.headers["HX-Refresh"] == "true"

    # The same task delivered again (a redelivery after a lost ack) does no harm.
    weekly_report_build.delay(report.pk)
    weekly_report_build.delay(report.pk)

    assert client.post(f"/incidents/reports/{report.pk}/finalise/").status_code == 302
    _wait_for(lambda: WeeklyReport.objects.get().emailed_at is not None)
    time.sleep(1)  # let the redelivered builds run too

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@example.com"]
    assert mail.outbox[0].attachments[0][0] == "weekly-report-2026-W47-r1.pdf"
    assert AuditEvent.objects.filter(action="weekly_report.built").count() == 1
    final = WeeklyReport.objects.get()
    assert (final.status, final.snapshot) == ("final", report.snapshot)
