"""The profile page creates and replaces API tokens that the API then accepts."""

from __future__ import annotations

import re

from reviews.models import ApiToken, AuditEvent
from reviews.models.tokens import token_hash


def test_profile_needs_login(client, db):
    assert client.get("/me/").status_code == 302


def test_a_token_is_created_shown_once_and_works_on_the_api(client, make_engineer):
    engineer = make_engineer(6)
    client.force_login(engineer.user)

    body = client.post("/me/token/").content.decode()

    key = re.search(r'<code id="new-token">(cs_[\w-]{40,})</code>', body)[1]
    assert ApiToken.objects.get(user=engineer.user).key_hash == token_hash(key)
    assert key not in client.get("/me/").content.decode()
    client.logout()
    response = client.get("/api/v1/changes/999999/checks/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404  # authenticated: the change simply does not exist


def test_replacing_the_token_revokes_the_old_one(client, make_engineer):
    engineer = make_engineer(6)
    client.force_login(engineer.user)
    first = re.search(r'id="new-token">([\w-]+)<', client.post("/me/token/").content.decode())[1]

    second = re.search(r'id="new-token">([\w-]+)<', client.post("/me/token/").content.decode())[1]

    assert first != second
    assert ApiToken.objects.get(key_hash=token_hash(first)).revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.rotated").count() == 2


def test_token_creation_needs_post(client, make_engineer):
    client.force_login(make_engineer(4).user)

    assert client.get("/me/token/").status_code == 405
