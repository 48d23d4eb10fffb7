"""Scoped, expiring, hashed tokens: what each scope may call, expiry, revocation, last use, rate limit per token."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.audit import ServiceError
from reviews.models import ApiToken
from reviews.models.tokens import token_hash
from reviews.services.accounts import api_token_create, api_token_revoke
from tests.reviews.api_fixtures import make_change


def _call(client, method: str, url: str, key: str, body=None):
    headers = {"Authorization": f"Token {key}"}
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


@pytest.fixture
def senior(make_engineer):
    return make_engineer(6, username="sam")


def test_only_the_hash_is_stored_and_last_use_is_recorded(client, senior):
    token, key = api_token_create(user=senior.user, actor=senior.user, name="laptop", scopes=["read"])
    assert key not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert token.key_hash == token_hash(key)

    assert _call(client, "get", "/api/v1/engineers/", key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_token_may_not_give_verdicts_a_review_token_may(client, senior, make_engineer, repository):
    change = make_change(repository, make_engineer(4))
    body = {"verdict": "comment", "head_sha": change.head_sha, "seconds_spent": 10}
    _, read = api_token_create(user=senior.user, actor=senior.user, name="r", scopes=["read"])
    _, review = api_token_create(user=senior.user, actor=senior.user, name="w", scopes=["review"])

    refused = _call(client, "post", f"/api/v1/changes/{change.pk}/reviews/", read, body)
    assert refused.status_code == 403 and "review" in refused.json()["message"]
    assert _call(client, "post", f"/api/v1/changes/{change.pk}/reviews/", review, body).status_code == 201
    assert _call(client, "get", "/api/v1/changes/", review).status_code == 403  # no read scope


def test_expired_and_revoked_tokens_are_refused(client, senior):
    token, key = api_token_create(
        user=senior.user, actor=senior.user, name="x", scopes=["read"], expires_at=timezone.now() + timedelta(days=1)
    )
    assert _call(client, "get", "/api/v1/engineers/", key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _call(client, "get", "/api/v1/engineers/", key).status_code == 401

    token2, key2 = api_token_create(user=senior.user, actor=senior.user, name="y", scopes=["read"])
    api_token_revoke(token=token2, actor=senior.user)
    response = _call(client, "get", "/api/v1/engineers/", key2)
    assert response.status_code == 401 and response.json()["message"]


def test_only_admins_grant_the_admin_scope(senior, admin_user):
    with pytest.raises(ServiceError):
        api_token_create(user=senior.user, actor=senior.user, name="x", scopes=["admin"])
    with pytest.raises(ServiceError):
        api_token_create(user=senior.user, actor=senior.user, name="x", scopes=["read", "root"])
    token, _ = api_token_create(user=senior.user, actor=admin_user, name="x", scopes=["admin"])
    assert token.scopes == ["admin"]


def test_the_profile_creates_a_scoped_token_and_revokes_it(client, senior, make_engineer):
    client.force_login(senior.user)
    page = client.post("/me/token/", {"name": "ci", "scopes": ["read", "ci"], "expires_on": "2099-01-01"})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=senior.user)
    assert token.scopes == ["ci", "read"] and token.expires_at.year == 2099
    assert client.post("/me/token/", {"name": "x", "scopes": ["admin"]}).status_code == 400

    other = api_token_create(user=make_engineer(5).user, actor=None or senior.user, name="theirs", scopes=["read"])[0]
    assert client.post(f"/me/tokens/{other.pk}/revoke/").status_code == 404
    assert client.post(f"/me/tokens/{token.pk}/revoke/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
