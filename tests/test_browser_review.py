"""Issue 5 in a real browser: a senior filters the queue, reviews with the keyboard, comments and signs off;
the author sees the verdict; a too-fast approval is confirmed as a rubber stamp; the pages fit a phone."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.filelist import file_anchor
from reviews.models import Assignment, Change, Engineer, Review
from reviews.services.signoff import change_attest, review_submit
from tests.conftest import PHONE_WIDTH
from tests.test_browser import AI_TRAILER, log_in

pytestmark = pytest.mark.browser

TITLE = "Round discounts to whole cents"
DECOY_TITLE = "Rename the invoice helper"
PRICING_BEFORE = "def discount(amount, rate):\n    return amount * rate\n"
PRICING_AFTER = "def discount(amount, rate):\n    return round(amount * rate, 2)\n"
FILES = {  # in the order of the file tree: docs/ before shop/, names sorted
    "docs/pricing.md": "# Pricing\n\nDiscounts are rounded to whole cents.\n",
    "shop/pricing.py": PRICING_AFTER,
    "shop/tax.py": "def vat(amount):\n    return round(amount * 0.2, 2)\n",
}


@dataclass(frozen=True)
class Scenario:
    change: Change
    author: Engineer
    senior: Engineer


@pytest.fixture
def review_change(transactional_db, make_engineer, work_repo) -> Scenario:
    """An attested AI-assisted change of three files by a junior, assigned to the only senior, from a real git tree."""
    author = make_engineer(4, username="june", email="june@example.com")
    senior = make_engineer(6, username="maya", email="maya@example.com")
    work_repo.commit({"shop/pricing.py": PRICING_BEFORE}, "Add pricing")
    work_repo.branch("feature/rounding")
    work_repo.commit(
        FILES,
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
    assert change.files_count == len(FILES)
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.get().reviewer == senior
    return Scenario(change=change, author=author, senior=senior)


def add_decoy(scenario: Scenario) -> Change:
    """A second change in the senior's queue, not AI-assisted, so the AI filter has something to hide."""
    decoy = Change.objects.create(
        repository=scenario.change.repository,
        external_id="branch:decoy",
        title=DECOY_TITLE,
        author=scenario.author,
        head_sha="d" * 40,
        diff_sha="d" * 40,
        diff_state=Change.DiffState.DONE,
        state=Change.State.OPEN,
        review_state=Change.ReviewState.NEEDS_SIGN_OFF,
        required_sign_offs=1,
        review_minutes=10,
        risk_score=scenario.change.risk_score,
        ai_assisted=False,
        opened_at=timezone.now(),
    )
    Assignment.objects.create(change=decoy, reviewer=scenario.senior, reason="least load", estimated_minutes=10)
    return decoy


def risk_band(score: float) -> str:
    return "high" if score >= 0.6 else "medium" if score >= 0.3 else "low"


def diff_file(page: Page, path: str):
    return page.locator(f"#{file_anchor(path)}")


def viewed_box(page: Page, path: str):
    return page.locator(f"#{file_anchor(path)}-head").get_by_role("checkbox", name="Viewed")


def focused_file(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement.closest('.diff-file')?.id ?? null")


def open_approve_dialog(page: Page):
    page.get_by_role("button", name="Approve", exact=True).click()
    dialog = page.get_by_role("dialog", name="Sign off this revision?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#approve-summary-list")).to_be_visible()
    return dialog


def no_page_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH + 1, f"{page.url} scrolls sideways: {width} px wide"


def test_senior_filters_reviews_with_the_keyboard_comments_and_signs_off(
    live_server, page: Page, review_change: Scenario
):
    change, senior = review_change.change, review_change.senior
    add_decoy(review_change)
    band = risk_band(change.risk_score)
    log_in(page, live_server.url, senior.user.username)

    table = page.locator("#queue-table")
    expect(table.get_by_role("link", name=DECOY_TITLE)).to_be_visible()
    expect(table.get_by_role("link", name=TITLE)).to_be_visible()

    # Filters: htmx swaps the table in place (no page load) and pushes the parameters into the URL.
    # A select inside its label is named by the label and the chosen option, e.g. "AI AI or not".
    ai_filter = page.get_by_label(re.compile(r"^AI\b"))
    risk_filter = page.get_by_label(re.compile(r"^Risk\b"))
    page.evaluate("() => { window.__samePage = true; }")
    ai_filter.select_option("yes")
    expect(page).to_have_url(re.compile(r"[?&]ai=yes(&|$)"))
    expect(table.get_by_role("link", name=DECOY_TITLE)).to_have_count(0)
    expect(table.get_by_role("link", name=TITLE)).to_be_visible()
    risk_filter.select_option(band)
    expect(page).to_have_url(re.compile(rf"[?&]risk={band}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]ai=yes(&|$)"))
    expect(page.locator("#queue-count")).to_have_text("1")
    assert page.evaluate("() => window.__samePage === true"), "the filter reloaded the whole page"

    # A reload keeps the filter: the form shows it and the table still hides the other change.
    page.reload()
    expect(ai_filter).to_have_value("yes")
    expect(risk_filter).to_have_value(band)
    expect(table.get_by_role("link", name=DECOY_TITLE)).to_have_count(0)

    # j selects the first row, o opens it.
    page.keyboard.press("j")
    expect(table.locator("tr.queue-row.selected")).to_contain_text(TITLE)
    page.keyboard.press("o")
    expect(page).to_have_url(f"{live_server.url}/changes/{change.pk}/")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()

    # j/k move between files; v marks the focused file viewed, and that survives a reload.
    docs, pricing, tax = (file_anchor(p) for p in FILES)
    page.keyboard.press("j")
    assert focused_file(page) == docs
    page.keyboard.press("j")
    assert focused_file(page) == pricing
    page.keyboard.press("j")
    assert focused_file(page) == tax
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert focused_file(page) == docs
    expect(viewed_box(page, "docs/pricing.md")).not_to_be_checked()
    page.keyboard.press("v")
    expect(viewed_box(page, "docs/pricing.md")).to_be_checked()
    expect(page.locator("#viewed-count")).to_have_text("1")
    expect(diff_file(page, "docs/pricing.md")).to_have_class(re.compile(r"\bis-viewed\b"))
    page.reload()
    expect(viewed_box(page, "docs/pricing.md")).to_be_checked()
    expect(viewed_box(page, "shop/pricing.py")).not_to_be_checked()
    expect(page.locator("#viewed-count")).to_have_text("1")

    # ? opens the shortcuts overlay; its Close button closes it.
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_hidden()
    page.keyboard.press("?")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Mark the current file viewed")
    shortcuts.get_by_role("button", name="Close the keyboard shortcuts").click()
    expect(shortcuts).to_be_hidden()

    # An inline comment on the added line of shop/pricing.py, then resolved.
    pricing_file = diff_file(page, "shop/pricing.py")
    pricing_file.get_by_role("button", name="Comment on line 2", exact=True).click()
    form = pricing_file.locator("form.comment-form")
    expect(form).to_be_visible()
    form.get_by_role("textbox").fill("Round half to even, or half up? Say which in the docstring.")
    form.get_by_role("button", name="Comment", exact=True).click()
    thread = pricing_file.get_by_role("article", name="Thread on shop/pricing.py line 2")
    expect(thread).to_be_visible()
    expect(thread).to_contain_text("Round half to even, or half up?")
    expect(thread).to_contain_text("Blocks sign-off")
    expect(form).to_have_count(0)
    thread.get_by_role("button", name="Resolve thread").click()
    expect(thread.locator(".thread-resolved")).to_have_text("Resolved by Maya")
    # A resolved thread folds to its summary line; reopening stays possible inside it.
    expect(thread.get_by_role("button", name="Reopen thread", include_hidden=True)).to_have_count(1)

    # Approve asks first: the dialog names the revision and how many files were viewed.
    dialog = open_approve_dialog(page)
    expect(dialog).to_contain_text(change.head_sha)
    expect(dialog).to_contain_text(f"1 of {len(FILES)}")
    dialog.get_by_role("button", name="Sign off").click()
    expect(page).to_have_url(live_server.url + "/queue/")
    expect(page.get_by_role("status")).to_contain_text(f"Recorded: approve on {change.short_sha}.")

    review = Review.objects.get(change=change)
    assert review.reviewer == senior
    assert review.verdict == Review.Verdict.APPROVE
    assert review.head_sha == change.head_sha
    assert review.files_viewed == 1 and review.files_total == len(FILES)
    assert not review.rubber_stamp
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED


def test_author_sees_the_verdict_on_the_change_and_in_my_changes(live_server, page: Page, review_change: Scenario):
    change, senior = review_change.change, review_change.senior
    review_submit(
        change=change,
        reviewer=senior,
        verdict=Review.Verdict.APPROVE,
        head_sha=change.head_sha,
        seconds_spent=120,
    )
    log_in(page, live_server.url, review_change.author.user.username)

    page.goto(f"{live_server.url}/changes/{change.pk}/")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    verdict = page.locator("p", has=page.locator(".verdict"))
    expect(verdict).to_have_count(1)
    expect(verdict.locator(".verdict")).to_have_text("Approve")
    expect(verdict).to_contain_text(f"by Maya on {change.head_sha[:10]}")
    expect(page.locator(".page-head .state")).to_have_text("Signed off")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My changes").click()
    expect(page).to_have_url(f"{live_server.url}/changes/mine/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    expect(row.locator(".state")).to_have_text("Signed off")


@pytest.mark.rubber_stamp_guard
def test_a_too_fast_approval_is_confirmed_and_recorded_as_a_rubber_stamp(
    live_server, page: Page, review_change: Scenario
):
    change = review_change.change
    log_in(page, live_server.url, review_change.senior.user.username)
    page.goto(f"{live_server.url}/changes/{change.pk}/")

    dialog = open_approve_dialog(page)
    expect(dialog).to_contain_text(f"0 of {len(FILES)}")
    expect(dialog).to_contain_text("it will be recorded as a rubber stamp")
    with page.expect_response(lambda r: r.url.endswith(f"/changes/{change.pk}/review/")) as answer:
        dialog.get_by_role("button", name="Sign off").click()
    assert answer.value.status == 409
    expect(page.get_by_role("heading", name="Is this a review?")).to_be_visible()
    expect(page.locator("#confirm-fast")).to_contain_text(f"0 of {len(FILES)} files marked viewed")
    assert not Review.objects.filter(change=change).exists()

    page.get_by_role("button", name="Sign off anyway").click()
    expect(page).to_have_url(live_server.url + "/queue/")
    expect(page.get_by_role("status")).to_contain_text(f"Recorded: approve on {change.short_sha}.")
    review = Review.objects.get(change=change)
    assert review.verdict == Review.Verdict.APPROVE
    assert review.head_sha == change.head_sha
    assert review.rubber_stamp and review.confirmed_fast


def test_queue_change_page_and_approve_dialog_fit_a_phone(live_server, phone: Page, review_change: Scenario):
    change = review_change.change
    log_in(phone, live_server.url, review_change.senior.user.username)
    expect(phone.get_by_role("link", name=TITLE)).to_be_visible()
    no_page_scroll(phone)

    phone.goto(f"{live_server.url}/changes/{change.pk}/")
    expect(diff_file(phone, "shop/pricing.py").locator("table.diff")).to_be_visible()
    no_page_scroll(phone)

    dialog = open_approve_dialog(phone)
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    assert dialog.evaluate("d => d.scrollWidth <= d.clientWidth + 1")
    expect(dialog.get_by_role("button", name="Sign off")).to_be_in_viewport()
    no_page_scroll(phone)
