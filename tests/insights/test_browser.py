"""What a manager does on the dashboards: filter to their team in place, read a chart's table, drill down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Repository, Team
from tests.browsing import log_in
from tests.insights.builders import W47, change, confirm, refresh

pytestmark = pytest.mark.browser

H = timedelta(hours=1)


def test_a_manager_filters_to_their_team_and_drills_down_to_the_failing_changes(
    live_server, page: Page, transactional_db, team, make_engineer
):
    manager = make_engineer(7, username="rosa", is_manager=True)
    other = Team.objects.create(name="Elsewhere", slug="elsewhere")
    mine, theirs = make_engineer(4), make_engineer(4, team=other)
    repo = Repository.objects.create(name="acme/shop", clone_url="/nowhere")
    for i in range(12):
        c = change(
            repo, author=mine, opened=W47, merged=W47 + H, deployed=W47 + 2 * H, ai=True, needs=0, title=f"Mine {i}"
        )
        if i < 3:
            confirm(c, W47 + 3 * H)
    for _ in range(4):
        change(repo, author=theirs, opened=W47, merged=W47 + H, deployed=W47 + 2 * H, ai=True, needs=0)
    refresh()
    log_in(page, live_server.url, "rosa")

    page.get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Quality").click()
    page.get_by_label("From").fill("2026-11-16")
    page.get_by_label("Until (not included)").fill("2026-11-23")
    page.get_by_role("button", name="Apply").click()
    ai_row = page.locator(".card.quality tbody tr").first
    expect(ai_row).to_contain_text("AI-assisted")
    expect(ai_row).to_contain_text("3 of 16")

    page.get_by_label("Team").select_option(label=team.name)
    expect(ai_row).to_contain_text("25.0%")
    expect(ai_row).to_contain_text("3 of 12")
    assert f"team={team.slug}" in page.url

    page.get_by_text("Table view: Change failure rate by size").click()
    expect(page.locator(".chart-table[open] table").first).to_contain_text("25")

    ai_row.get_by_role("link", name="3", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Changes deployed in the period and confirmed as causing an incident"
    )
    expect(page.locator("table.table tbody tr")).to_have_count(3)
    expect(page.locator("table.table")).to_contain_text("Mine 0")
    assert manager.is_manager
