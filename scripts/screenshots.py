"""Screenshots of a running portal for the README: queue, change, dashboard, weekly report and what-if.

    make run   # in another shell: the demo at http://127.0.0.1:8000
    .venv/bin/python scripts/screenshots.py --out-dir docs --week 2026-W47

Each page is shot as the demo person who uses it: the senior (maya), the manager (rosa), the incident
reviewer (ines). The weekly report is drafted first when the week has none.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
WEEK_RE = re.compile(r"^\d{4}-W\d{2}$")


NARRATIVE = {
    "summary": "Two SEV3 incidents, both resolved within two hours; one traced to a gateway change.",
    "highlights": "- Detection under five minutes for both incidents\n- Queue depth back under 30",
    "concerns": "- The gateway change shipped without an owner's sign-off",
    "decisions": "- Certificate renewals get a canary (owner: platform on-call)",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running portal (default: %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=Path("screenshots"), help="where the PNGs go")
    parser.add_argument("--username", default="maya", help="a senior with a queue (default: %(default)s)")
    parser.add_argument("--manager", default="rosa", help="a manager, for dashboards and what-if")
    parser.add_argument("--reviewer", default="ines", help="an incident reviewer, for the weekly report")
    parser.add_argument("--password", default="countersign-demo", help="(default: the demo password)")
    parser.add_argument(
        "--week",
        help="ISO week of the weekly report, e.g. 2026-W45; default: the previous ISO week",
    )
    args = parser.parse_args(argv)
    if args.week and not WEEK_RE.match(args.week):
        parser.error(f"--week must look like 2026-W45, not {args.week!r}")
    args.base_url = args.base_url.rstrip("/") + "/"
    return args


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(urljoin(base_url, "accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"could not log in as {username!r} at {base_url}")


def shoot(page: Page, url: str | None, path: Path, *, height: int | None = None) -> None:
    """The page (at `url`, or as it is) down to `height` pixels, or the first screen."""
    if url:
        page.goto(url)
    page.wait_for_load_state("networkidle")
    if height:
        size = page.viewport_size or VIEWPORT
        page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": size["width"], "height": height})
    else:
        page.screenshot(path=str(path), full_page=False)
    print(f"{path}  <- {page.url}")


def previous_week() -> str:
    year, week, _ = (dt.date.today() - dt.timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def as_user(browser, base_url: str, username: str, password: str) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    log_in(page, base_url, username, password)
    return page


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = as_user(browser, args.base_url, args.username, args.password)
            shoot(page, args.base_url, args.out_dir / "queue.png")
            change_link = page.locator("a.change-link").first
            if change_link.count():
                shoot(page, urljoin(args.base_url, change_link.get_attribute("href")), args.out_dir / "change.png")
            else:
                print(f"the queue of {args.username!r} is empty: no change page to shoot", file=sys.stderr)

            page = as_user(browser, args.base_url, args.manager, args.password)
            shoot(page, urljoin(args.base_url, "dashboards/"), args.out_dir / "dashboard.png", height=1450)
            page.goto(urljoin(args.base_url, "whatif/"))
            page.get_by_role("button", name="Run the what-if").click()
            page.wait_for_selector("#whatif-result:not([hx-trigger])")
            shoot(page, None, args.out_dir / "whatif.png", height=1450)

            page = as_user(browser, args.base_url, args.reviewer, args.password)
            week = args.week or previous_week()
            page.goto(urljoin(args.base_url, "incidents/reports/weekly/") + f"?week={week}")
            draft = page.get_by_role("button", name="Draft the report")
            if draft.count():
                draft.click()
            page.wait_for_selector("#report-narrative")
            page.wait_for_selector("#report-status:not([hx-trigger])", state="attached")
            edit = page.get_by_role("link", name="Edit the narrative")
            if edit.count():  # write what the reviewer brings to the meeting
                edit.click()
                for name, text in NARRATIVE.items():
                    page.fill(f"textarea[name={name}]", text)
                page.get_by_role("button", name="Save the narrative").click()
                page.wait_for_selector("text=Edit the narrative")
            shoot(page, None, args.out_dir / "report.png", height=1700)
        except PlaywrightError as exc:
            raise SystemExit(f"screenshots failed: {exc}") from None
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
