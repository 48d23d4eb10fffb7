"""What an incident reviewer does in the browser: draft the week's report, watch it build, edit, finalise."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from incidents.models import WeeklyReport
from portal.celery import app as celery_app
from tests.incidents.report_data import WEEK, seed_week
from tests.incidents.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def celery_worker(transactional_db):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def test_a_reviewer_drafts_edits_and_finalises_the_weekly_report(
    live_server, page: Page, celery_worker, repository, make_engineer
):
    seed_week(repository, make_engineer)
    reviewer = make_engineer(6, username="ines", is_incident_reviewer=True)
    log_in(page, live_server.url, reviewer.user.username)

    page.goto(f"{live_server.url}/incidents/reports/weekly/?week={WEEK}")
    expect(page.locator("#report-none")).to_contain_text("No report has been drafted")
    page.get_by_role("button", name="Draft the report").click()

    # The worker builds it; the page polls its progress and reloads itself when the figures are in.
    expect(page.locator("#report-incidents")).to_contain_text("Checkout charges the wrong tax")
    expect(page.locator("#report-causes")).to_contain_text("Rewrite tax rounding")
    expect(page.locator("#report-causes")).to_contain_text("Rubber stamp")
    expect(page.locator(".report-status.draft").first).to_have_text("Draft")

    narrative = page.locator("#report-narrative")
    narrative.get_by_role("link", name="Edit the narrative").click()
    narrative.get_by_label("Summary").fill("One **SEV1** from a rewrite of tax rounding. <script>alert(1)</script>")
    narrative.get_by_label("Decisions and follow-ups").fill("- Canary every checkout deploy")
    narrative.get_by_role("button", name="Save the narrative").click()
    expect(page.locator("#report-narrative strong")).to_have_text("SEV1")
    expect(page.locator("#report-narrative li")).to_have_text("Canary every checkout deploy")
    expect(page.locator("#report-narrative script")).to_have_count(0)

    page.get_by_role("link", name=re.compile("Finalise")).click()
    expect(page.locator("#report-finalise")).to_contain_text("freezes it")
    page.get_by_role("button", name="Finalise revision 1").click()

    expect(page.locator(".report-status.final").first).to_have_text("Final")
    expect(page.locator("#report-head")).to_contain_text("frozen")
    expect(page.get_by_role("link", name="Edit the narrative")).to_have_count(0)
    expect(page.get_by_role("button", name="New revision")).to_be_visible()
    report = WeeklyReport.objects.get()
    assert (report.status, report.finalised_by) == ("final", reviewer.user)
    assert report.summary.startswith("One **SEV1**")
