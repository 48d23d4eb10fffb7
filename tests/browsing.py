"""What browser tests share: logging in through the form and waiting until the page's scripts run."""

from playwright.sync_api import Page, expect

PASSWORD = "pw-for-tests-only"  # what the make_engineer fixture sets


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the form; return once the landing page's deferred scripts (shortcuts, htmx) have run."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # The header paints before the deferred scripts run; a key pressed in between is lost.
    page.wait_for_load_state()
