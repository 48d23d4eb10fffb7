"""What an incident reviewer does with a mouse and keyboard: confirm a suspect, then write an action item."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from incidents.models import ActionItem, Incident, IncidentChangeLink
from reviews.models import AuditEvent, Change, Deployment, Service
from tests.browsing import log_in

pytestmark = pytest.mark.browser

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A wider page than the shared one: the incident page lays out suspects beside the review."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def incident(transactional_db, repository, make_engineer) -> Incident:
    """An outage of checkout with two deployed suspects."""
    checkout = Service.objects.create(name="checkout-api", repository=repository, path_prefixes=["checkout/"])
    author = make_engineer(4, username="june")
    for n, (title, hours, lines) in enumerate([("Cache the cart", 1, 12), ("Rewrite tax rounding", 20, 640)]):
        change = Change.objects.create(
            repository=repository,
            external_id=f"{n + 1:040x}",
            head_sha=f"{n + 1:040x}",
            title=title,
            author=author,
            state=Change.State.MERGED,
            opened_at=START - timedelta(days=2),
            merged_at=START - timedelta(hours=hours + 1),
            lines_added=lines,
            risk_score=0.3 + 0.4 * n,
            diff_state=Change.DiffState.DONE,
        )
        change.files.create(path="checkout/pricing.py", status="modified", lines_added=lines)
        deployment = Deployment.objects.create(
            service=checkout, sha=change.head_sha, deployed_at=START - timedelta(hours=hours)
        )
        deployment.changes.add(change)
    incident = Incident.objects.create(title="Checkout charges the wrong tax", severity="SEV2", started_at=START)
    incident.services.add(checkout)
    return incident


def test_an_incident_reviewer_confirms_a_suspect_and_writes_an_action_item(
    live_server, page: Page, incident: Incident, make_engineer
):
    reviewer = make_engineer(6, username="ines", is_incident_reviewer=True)
    owner = make_engineer(5, username="olga")
    log_in(page, live_server.url, reviewer.user.username)

    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Checkout charges the wrong tax"))).to_be_visible()
    suspects = page.locator("#suspects tbody tr")
    expect(suspects).to_have_count(2)
    # The change deployed an hour before leads; the reviewer confirms the older rewrite the evidence points to.
    expect(suspects.first).to_contain_text("Cache the cart")
    top = suspects.filter(has_text="Rewrite tax rounding")
    expect(top).to_contain_text("deployed to checkout-api 20 h before the start")

    top.get_by_placeholder("Reason").fill("The tax lines it rewrote are the ones that broke")
    top.get_by_role("button", name="Confirm").click()

    confirmed = page.locator("#suspects tbody tr").filter(has_text="Rewrite tax rounding")
    expect(confirmed.locator(".state.confirmed")).to_have_text("Confirmed")
    expect(page.locator("#links")).to_contain_text("The tax lines it rewrote are the ones that broke")
    expect(page.locator("#coe")).to_contain_text("Author: June (L4)")
    link = IncidentChangeLink.objects.get()
    assert (link.change.title, link.state, link.decided_by) == ("Rewrite tax rounding", "confirmed", reviewer.user)

    actions = page.locator("#action-items")
    actions.get_by_label("Action").fill("Add a test for tax rounding")
    actions.get_by_label("Owner").select_option(label=owner.display_name + " (L5)")
    actions.get_by_label("Due").fill("2026-12-01")
    actions.get_by_role("button", name="Add action item").click()

    row = page.locator("#action-items tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Add a test for tax rounding")
    expect(row).to_contain_text("Olga")
    with page.expect_response(lambda r: "/actions/" in r.url and r.request.method == "POST") as answer:
        page.locator("#action-items select[name=status]").select_option("in_progress")
    assert answer.value.status == 200

    item = ActionItem.objects.get()
    assert (item.title, item.owner, str(item.due_date), item.status) == (
        "Add a test for tax rounding",
        owner,
        "2026-12-01",
        "in_progress",
    )
    assert AuditEvent.objects.filter(action="incident.link").count() == 1


def test_an_engineer_who_is_not_an_incident_reviewer_sees_no_buttons(
    live_server, page: Page, incident: Incident, make_engineer
):
    log_in(page, live_server.url, make_engineer(8, username="dan").user.username)

    page.goto(f"{live_server.url}/incidents/{incident.pk}/")

    expect(page.locator("#suspects tbody tr")).to_have_count(2)
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)
    expect(page.get_by_role("button", name="Add action item")).to_have_count(0)
