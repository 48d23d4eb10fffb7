"""The change page of a large change in Chromium: a large file's diff loads part by part as the reader scrolls, a
lock file loads when asked, the filter box narrows the files, and the folded cards remember being opened."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.filelist import file_anchor
from reviews.models import Change
from tests.test_browser import log_in

pytestmark = pytest.mark.browser

BIG_LINES = 450


@pytest.fixture
def big_change(transactional_db, make_engineer, work_repo) -> Change:
    make_engineer(7, username="maya", email="maya@example.com")
    work_repo.commit({"README.md": "# Shop\n"}, "Initial import")
    work_repo.branch("feature/big")
    body = "".join(f'\tlog.Printf("step %d", {n})\n' for n in range(BIG_LINES - 4))
    work_repo.commit(
        {
            "a/small.py": "def small():\n    return 1\n",
            "b/big.go": "package b\n\nfunc big() {\n" + body + "}\n",
            "c/package-lock.json": "".join(f'  "dep{n}": "1.0.{n}",\n' for n in range(120)),
        },
        "Big work",
    )
    work_repo.checkout("main")
    repository = repository_register(name="acme/big", url=str(work_repo.path))
    repository_import(repository=repository)
    change = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=change.pk)
    return change


def code_rows(page: Page, path: str):
    return page.locator(f"#{file_anchor(path)} table.diff tr.add")


def test_a_large_diff_loads_part_by_part_as_the_reader_scrolls(live_server, page: Page, big_change: Change):
    log_in(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/changes/{big_change.pk}/")

    expect(code_rows(page, "a/small.py")).to_have_count(2)
    big = page.locator(f"#{file_anchor('b/big.go')}")
    # Scrolled by selector: the file's card may be swapped in while a held element handle would go stale.
    page.evaluate("(s) => document.querySelector(s)?.scrollIntoView()", f"#{file_anchor('b/big.go')}")
    expect(code_rows(page, "b/big.go")).to_have_count(200)
    expect(big.locator("span.kn").first).to_be_visible()  # highlighted Go: "package"
    more = f"#{file_anchor('b/big.go')} tr.diff-more"
    for shown in (400, BIG_LINES):
        page.evaluate("(s) => { const row = document.querySelector(s); if (row) row.scrollIntoView(); }", more)
        expect(code_rows(page, "b/big.go")).to_have_count(shown)
    expect(big.locator("tr.diff-more")).to_have_count(0)


def test_a_lock_file_loads_only_when_asked(live_server, page: Page, big_change: Change):
    log_in(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/changes/{big_change.pk}/")
    lock = page.locator(f"#{file_anchor('c/package-lock.json')}")

    page.evaluate("(s) => document.querySelector(s)?.scrollIntoView()", f"#{file_anchor('c/package-lock.json')}")
    page.wait_for_timeout(300)
    expect(lock.locator("table.diff")).to_have_count(0)
    lock.get_by_role("button", name="Load diff").click()
    expect(code_rows(page, "c/package-lock.json")).to_have_count(120)


def test_the_filter_narrows_the_files_and_a_card_remembers_being_opened(live_server, page: Page, big_change: Change):
    log_in(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/changes/{big_change.pk}/")

    page.get_by_label("Filter files by path").fill("lock")
    expect(page.locator(".tree-file:visible")).to_have_count(1)
    expect(page.locator(f"#{file_anchor('a/small.py')}")).to_be_hidden()
    expect(page.locator("#file-filter-count")).to_have_text("1 of 3")

    policy = page.locator("#card-policy")
    expect(policy).not_to_have_attribute("open", "")
    policy.locator("> summary").click()
    page.reload()
    expect(page.locator("#card-policy")).to_have_attribute("open", "")
