"""Shared fixtures: factories for the domain, and real git repositories made on disk."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from reviews.models import Engineer, Repository, Team

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Test users need a password, not a slow hash of it (Django's advice for test settings)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_rubber_stamp_floor(request, settings):
    """Sign-offs in tests are not timed unless a test asks for the guard (mark `rubber_stamp_guard`)."""
    if request.node.get_closest_marker("rubber_stamp_guard"):
        return
    settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS = 0
    settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES = 0
    settings.PORTAL_REVIEW_REQUIRE_ALL_VIEWED = False


@pytest.fixture(autouse=True)
def _no_login_lockout(request, settings):
    """django-axes off unless a test asks for it (mark `login_lockout`), as its docs advise.

    `client.login()` authenticates without a request, which axes refuses, and tests that share a username
    would otherwise count one another's failures.
    """
    if request.node.get_closest_marker("login_lockout"):
        return
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _deliveries_applied_inline(settings):
    """Webhook tests see the change at once; the queued path (production's) is tested through a real worker."""
    settings.PORTAL_DELIVERY_APPLY = "inline"


@pytest.fixture(autouse=True, scope="session")
def _plain_http() -> None:
    """The test client and live_server speak plain HTTP; production redirects it to HTTPS (tested on its own).

    Session-wide and before any server starts: SecurityMiddleware reads the setting once, when it is built.
    """
    django_settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def team(db) -> Team:
    n = next(_counter)
    return Team.objects.create(name=f"Team {n}", slug=f"team-{n}")


@pytest.fixture
def make_engineer(db, team):
    def make(level: int = 5, *, username: str | None = None, email: str | None = None, **extra) -> Engineer:
        n = next(_counter)
        username = username or f"user{n}"
        user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only")
        return Engineer.objects.create(
            user=user,
            display_name=username.title(),
            email=email or f"{username}@example.com",
            level=level,
            team=extra.pop("team", team),
            **extra,
        )

    return make


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    """Run git in a test work tree (test set-up only; the portal itself uses intake.gitrepo)."""
    base_env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    base_env.update(env or {})
    return subprocess.run(
        ["git", *args], cwd=cwd, env=base_env, check=True, capture_output=True, text=True
    ).stdout.strip()


class WorkRepo:
    """A scratch git work tree for building histories in tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")

    def commit(
        self,
        files: dict[str, str | bytes | None],
        message: str,
        *,
        author: str = "Ada Author <ada@example.com>",
        date: str = "2026-11-02T10:00:00+00:00",
    ) -> str:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                git(self.path, "rm", "-q", "--", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            git(self.path, "add", "--", name)
        name, _, email = author.partition(" <")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email.rstrip(">"),
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email.rstrip(">"),
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return git(self.path, "rev-parse", "HEAD")

    def branch(self, name: str, start: str = "main") -> None:
        git(self.path, "checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        git(self.path, "checkout", "-q", name)


@pytest.fixture
def work_repo(tmp_path) -> WorkRepo:
    return WorkRepo(tmp_path / "work")


@pytest.fixture
def repository(db, work_repo) -> Repository:
    return Repository.objects.create(name="acme/shop", clone_url=str(work_repo.path), default_branch="main")


# --- the browser (Playwright driving Debian's Chromium; never a downloaded browser) ---------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_WIDTH = 390


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the whole session (only one sync Playwright may run in a thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _new_page(browser, width: int, height: int) -> Iterator:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # The Content-Security-Policy blocks an inline script or handler without failing the page: catch it here.
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        yield page
    finally:
        context.close()
    assert refused == [], f"the browser refused content under the Content-Security-Policy: {refused}"


@pytest.fixture
def page(browser) -> Iterator:
    """A desktop-sized page in a fresh browser context."""
    yield from _new_page(browser, 1280, 900)


@pytest.fixture
def phone(browser) -> Iterator:
    """A phone-sized page (390 px wide) in a fresh browser context."""
    yield from _new_page(browser, PHONE_WIDTH, 844)
