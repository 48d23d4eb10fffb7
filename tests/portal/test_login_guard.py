"""Login throttling (django-axes, portal.login_guard): lockout after repeated failures on both login pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from portal.login_guard import forwarded_client

PASSWORD = "pw-for-tests-only"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff(django_user_model):
    # Staff, so that the right password also opens the admin's login page.
    return django_user_model.objects.create_user(username="stella", password=PASSWORD, is_staff=True)


def _log_in(client, url: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(url, {"username": "stella", "password": password}, REMOTE_ADDR=address, headers=headers)


def _fail(client, url: str, times: int, address: str = "10.0.0.1", **headers) -> list[int]:
    return [_log_in(client, url, "wrong-password", address, **headers).status_code for _ in range(times)]


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- forwarded_client: a pure helper ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("10.0.0.9", "", 0, "10.0.0.9"),
        ("10.0.0.9", "6.6.6.6", 0, "10.0.0.9"),  # no proxy trusted: the header is the client's to forge
        ("10.0.0.9", "203.0.113.5", 1, "203.0.113.5"),
        ("10.0.0.9", "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # a forged entry left of the proxy's is ignored
        ("10.0.0.9", "203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("10.0.0.9", "203.0.113.5", 2, "10.0.0.9"),  # fewer hops than proxies: keep the socket's address
        ("10.0.0.9", "", 1, "10.0.0.9"),
    ],
)
def test_forwarded_client_trusts_only_the_entries_its_proxies_wrote(remote, forwarded, proxies, expected):
    assert forwarded_client(remote, forwarded, proxies) == expected


# --- lockout ---------------------------------------------------------------------------------------


@pytest.mark.login_lockout
@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_right_password_is_refused_after_the_failure_limit_with_a_lockout_message(client, settings, staff, url):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=20)

    statuses = _fail(client, url, 3)
    response = _log_in(client, url, PASSWORD)

    assert statuses == [200, 200, 429]  # the third failure already answers with the lockout page
    assert response.status_code == 429
    assert "locked for 20 minutes after 3 failed login attempts" in response.content.decode()
    assert "administrator" in response.content.decode()
    assert not _is_logged_in(client)


@pytest.mark.login_lockout
@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_right_password_still_works_one_failure_short_of_the_limit(client, settings, staff, url):
    settings.AXES_FAILURE_LIMIT = 3

    _fail(client, url, 2)
    response = _log_in(client, url, PASSWORD)

    assert response.status_code == 302
    assert _is_logged_in(client)


@pytest.mark.login_lockout
def test_a_lockout_holds_one_username_from_one_address_only(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, "/accounts/login/", 3, address="10.0.0.1")

    response = _log_in(client, "/accounts/login/", PASSWORD, address="10.0.0.2")

    assert response.status_code == 302  # the attacker at 10.0.0.1 did not lock the owner out


@pytest.mark.login_lockout
def test_behind_a_proxy_the_forwarded_address_is_what_gets_locked(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    _fail(client, "/accounts/login/", 3, address="10.0.0.250", x_forwarded_for="203.0.113.5")

    locked = _log_in(client, "/accounts/login/", PASSWORD, "10.0.0.250", x_forwarded_for="203.0.113.5")
    other = _log_in(client, "/accounts/login/", PASSWORD, "10.0.0.250", x_forwarded_for="198.51.100.7")

    assert locked.status_code == 429
    assert other.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


@pytest.mark.login_lockout
def test_a_lockout_ends_after_the_cool_off(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    _fail(client, "/accounts/login/", 3)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = _log_in(client, "/accounts/login/", PASSWORD)

    assert response.status_code == 302


@pytest.mark.login_lockout
def test_an_admin_unlocks_an_account_by_deleting_its_access_attempt(client, settings, staff, django_user_model):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, "/accounts/login/", 3)
    attempt = AccessAttempt.objects.get()
    admin_client = client.__class__()
    admin_client.force_login(django_user_model.objects.create_superuser(username="root", password=PASSWORD))

    listing = admin_client.get("/admin/axes/accessattempt/")
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    response = _log_in(client, "/accounts/login/", PASSWORD)

    assert listing.status_code == 200 and "stella" in listing.content.decode()
    assert deleted.status_code == 302
    assert response.status_code == 302 and _is_logged_in(client)


@pytest.mark.login_lockout
def test_axes_reset_unlocks_every_account(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, "/accounts/login/", 3)

    call_command("axes_reset", verbosity=0)
    response = _log_in(client, "/accounts/login/", PASSWORD)

    assert response.status_code == 302
