"""The profile page creates and replaces API tokens that the API then accepts."""

from __future__ import annotations

import re

from rest_framework.authtoken.models import Token

from reviews.models import AuditEvent


def test_profile_needs_login(client, db):
    assert client.get("/me/").status_code == 302


def test_a_token_is_created_shown_once_and_works_on_the_api(client, make_engineer):
    engineer = make_engineer(6)
    client.force_login(engineer.user)

    body = client.post("/me/token/").content.decode()

    key = re.search(r'<code id="new-token">([0-9a-f]{40})</code>', body)[1]
    assert Token.objects.get(user=engineer.user).key == key
    assert key not in client.get("/me/").content.decode()
    client.logout()
    response = client.get("/api/v1/changes/999999/checks/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404  # authenticated: the change simply does not exist


def test_replacing_the_token_revokes_the_old_one(client, make_engineer):
    engineer = make_engineer(6)
    client.force_login(engineer.user)
    first = re.search(r'id="new-token">(\w+)<', client.post("/me/token/").content.decode())[1]

    second = re.search(r'id="new-token">(\w+)<', client.post("/me/token/").content.decode())[1]

    assert first != second
    assert not Token.objects.filter(key=first).exists()
    assert AuditEvent.objects.filter(action="api_token.rotated").count() == 2


def test_token_creation_needs_post(client, make_engineer):
    client.force_login(make_engineer(4).user)

    assert client.get("/me/token/").status_code == 405
