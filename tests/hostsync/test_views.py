"""The host connections page, its resync button, and the change page's line of what the host was last told."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import HostConnection, HostSyncState

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def admin_user(make_engineer):
    admin = make_engineer(7, username="root", email="root@example.com")
    admin.user.is_staff = True
    admin.user.save()
    return admin.user


@pytest.fixture
def told(gh_repo, make_change):
    change = make_change(gh_repo)
    HostSyncState.objects.filter(pk=change.pk).update(
        sent_generation=1,
        sent_state="pending",
        sent_title="Needs 1 senior sign-off: AI-assisted change by an L3 author",
        head_sha=change.head_sha,
        sent_at=timezone.now(),
    )
    HostConnection.objects.filter(repository=gh_repo).update(
        last_write_at=timezone.now(),
        rate_limit_remaining=4987,
        last_error="host API error 502",
        last_error_at=timezone.now(),
    )
    return change


def test_only_admins_see_the_host_connections(client, make_engineer, told):
    client.force_login(make_engineer(6, username="sen", email="sen@example.com").user)
    assert client.get(reverse("hostsync:connection-list")).status_code == 403
    assert client.post(reverse("hostsync:connection-resync", args=[told.repository_id])).status_code == 403


def test_the_page_lists_connection_last_write_error_and_rate_limit(
    client, admin_user, told, django_assert_max_num_queries
):
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("hostsync:connection-list")).content.decode()
    assert "octo/shop" in page and "installation 77" in page and "4987" in page and "host API error 502" in page


def test_resync_marks_every_open_change_again(client, admin_user, told):
    client.force_login(admin_user)
    HostConnection.objects.filter(repository=told.repository).update(disconnected_at=timezone.now())
    response = client.post(reverse("hostsync:connection-resync", args=[told.repository_id]))
    assert response.status_code == 302
    row = HostSyncState.objects.get(pk=told.pk)
    assert row.is_dirty and row.reason == "resync" and row.sent_fingerprint == ""
    assert HostConnection.objects.get(repository=told.repository).is_connected


def test_change_page_says_what_the_host_was_last_told(client, admin_user, told):
    client.force_login(admin_user)
    page = client.get(reverse("reviews:change-detail", args=[told.pk])).content.decode()
    assert 'id="host-told"' in page and "Needs 1 senior sign-off" in page


@pytest.mark.parametrize("width", [1440, 390])
def test_screenshots_of_the_host_pages(live_server, browser, admin_user, told, width):
    from tests.test_browser import log_in

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url, admin_user.username)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.goto(live_server.url + reverse("hostsync:connection-list"))
        expect(page.get_by_role("heading", name="Host connections")).to_be_visible()
        expect(page.get_by_role("button", name="Resync")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"host-connections-{width}.png"), full_page=True)
        page.goto(live_server.url + reverse("reviews:change-detail", args=[told.pk]))
        expect(page.locator("#host-told")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"change-host-{width}.png"))
    finally:
        context.close()
