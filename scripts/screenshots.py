"""Screenshots of a running portal for the README: the queue, a change page and the weekly report.

    make run   # in another shell: the demo at http://127.0.0.1:8000
    .venv/bin/python scripts/screenshots.py --out-dir docs/screenshots --week 2026-W45

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
# The incident page shows "started Mon 2 Nov 2026 10:00".
STARTED_RE = re.compile(r"started \w{3} (\d{1,2} \w{3} \d{4})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running portal (default: %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=Path("screenshots"), help="where the PNGs go")
    parser.add_argument("--username", default="maya", help="a senior with a queue (default: %(default)s)")
    parser.add_argument("--password", default="countersign-demo", help="(default: the demo password)")
    parser.add_argument(
        "--week",
        help="ISO week of the weekly report, e.g. 2026-W45; default: the week of the first listed incident",
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


def shoot(page: Page, url: str, path: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=False)
    print(f"{path}  <- {page.url}")


def first_incident_week(page: Page, base_url: str) -> str | None:
    """The ISO week of the first incident listed, so that the report has something to show."""
    page.goto(urljoin(base_url, "incidents/"))
    link = page.locator("table a[href*='/incidents/']").first
    if link.count() == 0:
        return None
    link.click()
    page.wait_for_load_state("networkidle")
    match = STARTED_RE.search(page.locator(".meta").first.inner_text())
    if match is None:
        return None
    year, week, _ = dt.datetime.strptime(match.group(1), "%d %b %Y").isocalendar()
    return f"{year}-W{week:02d}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(20_000)
            page = context.new_page()
            log_in(page, args.base_url, args.username, args.password)

            shoot(page, args.base_url, args.out_dir / "queue.png")

            change_link = page.locator("a.change-link").first
            if change_link.count():
                shoot(page, urljoin(args.base_url, change_link.get_attribute("href")), args.out_dir / "change.png")
            else:
                print(f"the queue of {args.username!r} is empty: no change page to shoot", file=sys.stderr)

            week = args.week or first_incident_week(page, args.base_url)
            report = urljoin(args.base_url, "incidents/reports/weekly/") + (f"?week={week}" if week else "")
            shoot(page, report, args.out_dir / "weekly-report.png")
            context.close()
        except PlaywrightError as exc:
            raise SystemExit(f"screenshots failed: {exc}") from None
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
