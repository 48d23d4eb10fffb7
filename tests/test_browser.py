"""What a person does with a mouse and keyboard: a senior signs off a change, an author cannot."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.models import Change, Engineer, Review
from reviews.services.signoff import change_attest

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests-only"  # what the make_engineer fixture sets
TITLE = "Round discounts to whole cents"
ADDED_LINE = "return round(amount * rate, 2)"
AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"


@dataclass(frozen=True)
class Scenario:
    change: Change
    author: Engineer
    senior: Engineer


@pytest.fixture
def attested_change(transactional_db, make_engineer, work_repo) -> Scenario:
    """An AI-assisted change by a junior, diff pulled and attested, assigned to the only senior."""
    author = make_engineer(4, username="june", email="june@example.com")
    senior = make_engineer(6, username="maya", email="maya@example.com")
    work_repo.commit({"shop/pricing.py": "def discount(amount, rate):\n    return amount * rate\n"}, "Add pricing")
    work_repo.branch("feature/x")
    work_repo.commit(
        {"shop/pricing.py": f"def discount(amount, rate):\n    {ADDED_LINE}\n"},
        TITLE + AI_TRAILER,
        author="June <june@example.com>",
        date="2026-11-03T09:00:00+00:00",
    )
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository_import(repository=repository)
    change = Change.objects.get(repository=repository, state=Change.State.OPEN)
    # The import enqueues the diff on Redis; no worker runs here, so pull it in-process.
    change_pull_diff(change_id=change.pk)
    change_attest(change=change, engineer=author)
    change.refresh_from_db()
    assert change.ai_assisted
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.get().reviewer == senior
    return Scenario(change=change, author=author, senior=senior)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Each role lands on its own start page (a senior on the queue at "/", an author on "My changes").
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.wait_for_load_state()  # the header paints before the deferred scripts run; a key pressed then is lost


def test_senior_approves_an_assigned_change_from_the_queue(live_server, page: Page, attested_change: Scenario):
    change = attested_change.change
    log_in(page, live_server.url, attested_change.senior.user.username)

    expect(page.get_by_role("heading", name="My review queue")).to_be_visible()
    # The stylesheet is served and applied (whitenoise through the finders).
    assert page.evaluate("() => document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0")

    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(f"{live_server.url}/changes/{change.pk}/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("table.diff td.code").filter(has_text=ADDED_LINE)).to_be_visible()

    # review.js counts a second only while the page is visible and the mouse has moved lately.
    for step in range(6):
        page.mouse.move(200 + 40 * step, 300 + 20 * step)
        page.wait_for_timeout(500)
    page.wait_for_function("() => Number(document.getElementById('active_seconds').value) >= 2")
    expect(page.locator("#active-time")).not_to_have_text("0 s")

    page.get_by_role("button", name="Approve").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign off").click()
    expect(page).to_have_url(live_server.url + "/queue/")
    expect(page.get_by_role("status")).to_contain_text(f"Recorded: approve on {change.short_sha}.")

    review = Review.objects.get(change=change)
    assert review.reviewer == attested_change.senior
    assert review.verdict == Review.Verdict.APPROVE
    assert review.head_sha == change.head_sha
    assert review.seconds_spent >= 1
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED


def test_author_sees_no_approve_button_and_a_forged_verdict_is_refused(
    live_server, page: Page, attested_change: Scenario
):
    change = attested_change.change
    log_in(page, live_server.url, attested_change.author.user.username)

    page.goto(f"{live_server.url}/changes/{change.pk}/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/changes/{change.pk}/review/",
        form={
            "csrfmiddlewaretoken": csrf,
            "verdict": "approve",
            "head_sha": change.head_sha,
            "active_seconds": "600",
            "page_token": "forged",
        },
        headers={"X-CSRFToken": csrf},
    )
    assert response.status == 403
    # Refused by the sign-off rule, not by CSRF protection.
    assert "You may not sign off this change." in response.text()
    assert not Review.objects.filter(change=change).exists()
