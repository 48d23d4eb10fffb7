"""The login page says why a login failed and keeps the username; restarts keep passwords and sessions."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from demo.seed import seed_people
from portal.conf.navigation import development_secret_key

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def maya(db):
    return get_user_model().objects.create_user(username="maya", password=PASSWORD)


def _post(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_the_form_lays_out_one_line_per_field(client, db):
    body = client.get("/accounts/login/").content.decode()

    assert body.count('class="login-row"') == 3


@pytest.mark.login_lockout
def test_a_wrong_password_keeps_the_username_and_says_how_many_tries_are_left(client, settings, maya):
    settings.AXES_FAILURE_LIMIT = 5

    response = _post(client, "maya", "not-it")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Wrong username or password" in body
    assert 'value="maya"' in body
    assert "4 more wrong attempts and this login is locked" in body


@pytest.mark.login_lockout
def test_a_locked_login_says_it_is_locked(client, settings, maya):
    settings.AXES_FAILURE_LIMIT = 2
    _post(client, "maya", "not-it")

    response = _post(client, "maya", "not-it")

    assert response.status_code == 429
    assert "locked" in response.content.decode() and "failed login attempt" in response.content.decode()


def test_a_deactivated_account_is_told_so_with_the_right_password_only(client, maya):
    maya.is_active = False
    maya.save(update_fields=["is_active"])

    right = _post(client, "maya", PASSWORD).content.decode()
    wrong = _post(client, "maya", "not-it").content.decode()

    assert "This account is deactivated" in right
    assert "deactivated" not in wrong and "Wrong username or password" in wrong


def test_reseeding_keeps_existing_passwords_and_so_sessions(client, db):
    seed_people("countersign-demo")
    user = get_user_model().objects.get(username="maya")
    user.set_password("my-own-password")
    user.save()
    client.force_login(user)

    seed_people("countersign-demo")

    user.refresh_from_db()
    assert user.check_password("my-own-password")
    assert client.get("/me/").status_code == 200  # the session's password hash still matches
    assert get_user_model().objects.get(username="admin").check_password("countersign-demo")


def test_the_development_secret_key_is_made_once_and_kept(tmp_path: Path):
    first = development_secret_key(tmp_path / "var")
    second = development_secret_key(tmp_path / "var")

    assert first == second and len(first) >= 50
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
