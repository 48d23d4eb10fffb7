"""The weekly report's build banner in Chromium: it shows while the worker builds and is gone once the figures
are in, whichever comes first (the page's first render or the build)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.incidents.report_data import WEEK, seed_week
from tests.incidents.test_browser import log_in
from tests.incidents.test_report_browser import celery_worker, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_the_build_banner_goes_once_the_build_is_done(
    live_server,
    page: Page,  # noqa: F811
    celery_worker,  # noqa: F811
    repository,
    make_engineer,
):
    seed_week(repository, make_engineer)
    reviewer = make_engineer(6, username="ines", is_incident_reviewer=True)
    log_in(page, live_server.url, reviewer.user.username)
    page.goto(f"{live_server.url}/incidents/reports/weekly/?week={WEEK}")
    page.get_by_role("button", name="Draft the report").click()

    # The build takes a few seconds on a busy machine.
    expect(page.locator("#report-incidents")).to_contain_text("Checkout charges the wrong tax", timeout=60_000)
    status = page.locator("#report-status")
    expect(status).to_contain_text("Draft built in")
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    main = page.locator("main")
    expect(main).not_to_contain_text("Building the report")
    expect(main).not_to_contain_text("Queued for a worker")
    # Nothing polls any more: the page stays as it is.
    page.wait_for_timeout(1500)
    expect(main).not_to_contain_text("Building the report")
    # The navigation marks the report's section, not the incidents'.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Weekly report")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents")).not_to_have_attribute(
        "aria-current", "page"
    )
