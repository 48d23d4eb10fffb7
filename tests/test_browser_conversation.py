"""Issue 17 in a real browser: a senior requests changes, the author reads the comment and pushes a revision, and
the change is back in the senior's "Your turn" with what changed since their review; the inbox and the bell follow.
Screenshots of the timeline, the queue sections and the inbox at 1440 and 390 px go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import
from reviews.models import Change
from reviews.services.signoff import change_attest
from tests.conftest import PHONE_WIDTH
from tests.test_browser_review import PRICING_AFTER, Scenario, log_in, review_change  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

COMMENT = "Round half-even as the ledger does, and add a test for a zero rate."
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


REFUSED: list[str] = []


def open_page(browser, width: int, height: int = 900):
    """A fresh context (a new login) of that width; anything the Content-Security-Policy refuses is collected."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda msg: REFUSED.append(msg.text) if "Content Security Policy" in msg.text else None)
    return context, page


def push_revision(scenario: Scenario, work_repo) -> Change:
    """The author answers with a second commit on the branch; the import and the diff pull run in-process."""
    work_repo.commit(
        {
            "shop/pricing.py": PRICING_AFTER.replace("round(amount * rate, 2)", "round_half_even(amount * rate)"),
            "tests/test_pricing.py": "def test_zero_rate():\n    assert discount(10, 0) == 0\n",
        },
        "Round half-even and test a zero rate",
        author="June <june@example.com>",
        date="2026-11-03T11:00:00+00:00",
    )
    repository_import(repository=scenario.change.repository)
    change_pull_diff(change_id=scenario.change.pk)
    change = Change.objects.get(pk=scenario.change.pk)
    if change.review_state == Change.ReviewState.AWAITING_ATTESTATION:
        change_attest(change=change, engineer=scenario.author)
    return Change.objects.get(pk=scenario.change.pk)


def test_request_changes_reply_new_revision_and_the_seniors_turn_again(
    live_server,
    browser,
    review_change: Scenario,  # noqa: F811 - the imported fixture
    work_repo,
    settings,
):
    settings.PORTAL_BASE_URL = live_server.url
    change = review_change.change
    context, page = open_page(browser, 1440)

    # The senior requests changes with a comment.
    log_in(page, live_server.url, "maya")
    page.get_by_role("link", name=change.title).first.click()
    page.locator("#id_comment").fill(COMMENT)
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator(".messages")).to_contain_text("Recorded: request changes")
    # The change stays in the senior's view, waiting for the author.
    expect(page.locator("#waiting-for-author")).to_contain_text(change.title)
    expect(page.locator("#waiting-for-author")).to_contain_text("June")
    shoot(page, "queue-waiting-1440")
    context.close()

    # The author sees the comment on the change page, and in the inbox behind the bell.
    context, page = open_page(browser, 1440)
    log_in(page, live_server.url, "june")
    # Her turn to attest (when the change came in), then the request for changes.
    expect(page.locator("#inbox-bell .count")).to_have_text("2")
    page.locator("#inbox-bell").click()
    expect(page.locator("#inbox-list")).to_contain_text("Maya requested changes")
    expect(page.locator("#inbox-list")).to_contain_text(COMMENT)
    shoot(page, "inbox-1440")
    page.get_by_role("link", name=f"Maya requested changes: {change.title}").click()
    expect(page.locator("#turn")).to_contain_text("Waiting for: June")
    expect(page.locator("#turn .badge")).to_have_text("Your turn")
    expect(page.locator("#timeline")).to_contain_text("Maya requested changes on r1")
    expect(page.locator("#timeline blockquote").last).to_have_text(COMMENT)
    context.close()

    # The author pushes a revision: the senior's turn again, with what changed since their review.
    change = push_revision(review_change, work_repo)
    assert change.revisions.count() == 2

    context, page = open_page(browser, 1440)
    log_in(page, live_server.url, "maya")
    row = page.locator("#queue-table tr.queue-row", has_text=change.title)
    expect(row).to_contain_text("new revision")
    expect(page.locator("#waiting-for-author")).not_to_contain_text(change.title)
    shoot(page, "queue-your-turn-1440")
    row.get_by_role("link", name="what changed since your review of r1").click()
    expect(page.locator("h1")).to_have_text("Changes since r1")
    expect(page.locator("#files")).to_contain_text("tests/test_pricing.py")
    expect(page.locator("#files")).to_contain_text("round_half_even")
    shoot(page, "interdiff-1440")
    page.goto(f"{live_server.url}/changes/{change.pk}/")
    expect(page.locator("#since-review")).to_contain_text("New since your review of r1")
    expect(page.locator("#turn .badge")).to_have_text("Your turn")
    expect(page.locator("#timeline")).to_contain_text("pushed r2")
    page.locator("#timeline").scroll_into_view_if_needed()
    shoot(page, "change-timeline-1440")
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#inbox-list")).to_contain_text(f"Your turn: {change.title}")
    context.close()

    # The same pages on a phone: nothing scrolls sideways.
    context, page = open_page(browser, PHONE_WIDTH, 844)
    log_in(page, live_server.url, "maya")
    for url, name in (
        ("/queue/", "queue-390"),
        (f"/changes/{change.pk}/", "change-timeline-390"),
        ("/inbox/", "inbox-390"),
    ):
        page.goto(live_server.url + url)
        page.wait_for_load_state()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH + 1, f"{url} scrolls sideways: {width} px"
        shoot(page, name)
    context.close()
    assert REFUSED == [], f"the browser refused content under the Content-Security-Policy: {REFUSED}"
