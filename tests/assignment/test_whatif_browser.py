"""A manager runs a what-if in the browser: the form, the progress, then the chart and the tables."""

from __future__ import annotations

import copy
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from policy.services.drafts import policy_draft_create, policy_draft_save
from tests.assignment.whatif_history import build
from tests.incidents.test_browser import log_in
from tests.test_flow import celery_worker  # noqa: F401 - the worker fixture

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_manager_runs_a_what_if_and_sees_the_chart_and_the_tables(
    live_server,
    page: Page,
    make_engineer,
    django_user_model,
    celery_worker,  # noqa: F811
):
    build(make_engineer, end=timezone.now())
    make_engineer(5, username="rosa", is_manager=True)  # a manager, not a senior: two teams of seniors
    admin = django_user_model.objects.create_user(username="root", password="pw-for-tests-only", is_staff=True)
    draft = policy_draft_create(actor=admin)
    data = copy.deepcopy(draft.data)
    data["settings"]["size_limit"] = 900  # a draft that differs, deciding the same for these changes
    policy_draft_save(draft=draft, data=data, actor=admin)
    log_in(page, live_server.url, "rosa")

    page.get_by_role("link", name="What-if").click()
    expect(page.get_by_role("heading", name="What-if: senior hours under a policy")).to_be_visible()
    expect(page.get_by_text(f"Opens on draft {draft.pk}")).to_be_visible()
    expect(page.get_by_label("Policy", exact=True)).to_have_value("draft")
    page.get_by_label("Strategy").select_option("balanced")
    page.get_by_label("Last N weeks").fill("2")
    page.get_by_role("button", name="Run the what-if").click()

    expect(page).to_have_url(re.compile(r"/whatif/\d+/$"))
    result = page.locator("#whatif-result")
    expect(result.locator("svg").first).to_be_visible(timeout=30_000)
    expect(result.get_by_role("heading", name="Each week")).to_be_visible()
    expect(result.locator(".whatif-figure").first).to_contain_text("2")
    teams = result.locator("table", has_text="Weeks over capacity")
    expect(teams.locator("tbody tr")).to_have_count(2)
    expect(teams).to_contain_text("Beta")
    seniors = result.locator("table", has_text="90th pct wait")
    expect(seniors).to_contain_text("Tess")
    result.get_by_text("Table view: Senior hours needed per week against capacity").click()
    expect(result.locator(".chart-table table").first).to_contain_text("Capacity")

    page.get_by_role("link", name="What-if").click()
    expect(page.locator("#whatif-runs tbody tr")).to_have_count(1)
