"""In Chromium: each role lands on its work, the header search (focused with "/"), the shared shortcuts list on the
queue, and the styled error pages. Screenshots at 1440 and 390 px go to var/screenshots/navigation/."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from incidents.models import Incident
from tests.browsing import log_in
from tests.conftest import PHONE_WIDTH, _new_page
from tests.reviews.api_fixtures import make_change

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "navigation"
LANDINGS = {
    "senior": ("/", "My review queue"),
    "author": ("/changes/mine/", "My open changes"),
    "manager": ("/dashboards/", None),
    "incident_reviewer": ("/incidents/", "Incidents"),
    "admin": ("/overview/", "Overview"),
}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.fixture
def world(people, repository):
    make_change(repository, people["author"].engineer, title="Fix checkout timeout", number=4242)
    make_change(repository, people["author"].engineer, title="Checkout retries")
    Incident.objects.create(title="Checkout down", severity="SEV2", started_at=timezone.now())
    return people


@pytest.mark.parametrize("width", [1440, PHONE_WIDTH])
def test_each_role_logs_in_to_its_own_start_page(live_server, browser, world, width):
    for role, (path, heading) in LANDINGS.items():
        for page in _new_page(browser, width, 900):
            log_in(page, live_server.url, world[role].username)
            expect(page).to_have_url(live_server.url + path)
            if heading:
                expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1 or role == "author"
            shot(page, f"landing-{role}")


def test_slash_focuses_the_search_and_one_match_opens_it(live_server, page: Page, world):
    log_in(page, live_server.url, world["senior"].username)

    page.keyboard.press("/")
    expect(page.locator("#site-search")).to_be_focused()
    page.keyboard.type("4242")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Fix checkout timeout")).to_be_visible()


@pytest.mark.parametrize("width", [1440, PHONE_WIDTH])
def test_several_matches_are_listed_in_one_step(live_server, browser, world, width):
    for page in _new_page(browser, width, 900):
        log_in(page, live_server.url, world["author"].username)
        page.locator("#site-search").fill("checkout")
        page.locator("#site-search").press("Enter")

        expect(page.get_by_role("heading", name="3 results for “checkout”")).to_be_visible()
        page.get_by_role("link", name="Checkout retries").click()
        expect(page.get_by_role("heading", name="Checkout retries")).to_be_visible()
        page.go_back()
        shot(page, "search-results")


def test_question_mark_opens_the_one_shortcuts_list_on_the_queue(live_server, page: Page, world):
    log_in(page, live_server.url, world["senior"].username)

    page.keyboard.press("?")

    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for section in ("Every page", "Review queue", "Change page"):
        expect(dialog.get_by_role("heading", name=section)).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("width", [1440, PHONE_WIDTH])
def test_refusals_and_missing_pages_are_styled_pages(live_server, browser, world, width):
    for page in _new_page(browser, width, 900):
        log_in(page, live_server.url, world["author"].username)
        expect(page.get_by_role("link", name="Weekly report")).to_have_count(0)

        response = page.goto(live_server.url + "/incidents/reports/weekly/")
        assert response.status == 403
        expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()
        shot(page, "error-403")

        response = page.goto(live_server.url + "/no/such/page/")
        assert response.status == 404
        expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
        shot(page, "error-404")


def test_the_incidents_list_at_both_widths(live_server, browser, world):
    for width in (1440, PHONE_WIDTH):
        for page in _new_page(browser, width, 900):
            log_in(page, live_server.url, world["incident_reviewer"].username)
            page.goto(live_server.url + "/incidents/?severity=SEV2")
            expect(page.get_by_role("link", name="Checkout down")).to_be_visible()
            page.get_by_label("Severity").select_option("SEV1")
            expect(page).to_have_url(live_server.url + "/incidents/?q=&severity=SEV1&service=&state=&week=")
            expect(page.get_by_text("No incident matches these filters.")).to_be_visible()
            shot(page, "incidents-filtered")
