"""The API's rate limiter (portal.throttling): it limits while Redis answers and fails open, logged, when not."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from portal.throttling import FailOpenUserRateThrottle
from reviews.services.accounts import api_token_create

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once


@pytest.fixture
def token(django_user_model) -> str:
    user = django_user_model.objects.create_user(username="ci-bot", password="pw-for-tests-only")
    return api_token_create(user=user, actor=user, name="t")[1]


def _get_checks(client, token: str):
    url = reverse("api-change-checks", args=[999999])
    return client.get(url, headers={"Authorization": f"Token {token}"})


def test_the_api_answers_while_redis_is_down_and_logs_that_it_did_not_rate_limit(client, settings, token, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    with caplog.at_level(logging.WARNING, logger="portal.throttling"):
        response = _get_checks(client, token)

    assert response.status_code == 404  # the endpoint's own answer for a change that does not exist, not a 500
    assert any("rate limit not applied" in r.getMessage() for r in caplog.records)


def test_the_api_still_rate_limits_while_redis_answers(client, token, monkeypatch):
    cache.clear()
    monkeypatch.setattr(FailOpenUserRateThrottle, "rate", "2/minute", raising=False)

    statuses = [_get_checks(client, token).status_code for _ in range(3)]

    assert statuses == [404, 404, 429]


def test_each_token_has_its_own_budget_and_a_429_says_when_to_come_back(client, django_user_model, monkeypatch):
    cache.clear()
    monkeypatch.setattr(FailOpenUserRateThrottle, "rate", "2/minute", raising=False)
    user = django_user_model.objects.create_user(username="deploy-bot", password="pw-for-tests-only")
    busy = api_token_create(user=user, actor=user, name="ci")[1]
    other = api_token_create(user=user, actor=user, name="deploys")[1]

    answers = [_get_checks(client, busy) for _ in range(3)]

    assert [a.status_code for a in answers] == [404, 404, 429]
    limited = answers[-1]
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Content-Type"].startswith("application/json")
    assert "throttled" in limited.json()["detail"].lower() or "limit" in limited.json()["detail"].lower()
    # The same owner's other token still has its whole budget.
    assert [_get_checks(client, other).status_code for _ in range(2)] == [404, 404]
