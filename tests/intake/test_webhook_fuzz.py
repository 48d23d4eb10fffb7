"""Signed webhook bodies of every shape, from GitHub, GitLab and PagerDuty: never a 500.

hypothesis builds payloads from the hosts' real examples with values replaced, added or removed, and from arbitrary
JSON; each body is signed as its host signs it, so the fuzzing reaches the parsing behind the signature check.
Raise the examples per host with WEBHOOK_FUZZ_EXAMPLES=500.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviews.models import Repository
from tests.incidents.test_pagerduty import event as pagerduty_event

EXAMPLES = int(os.environ.get("WEBHOOK_FUZZ_EXAMPLES", "60"))
FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_SECRET = "gh-fuzz-secret"
GITLAB_TOKEN = "gl-fuzz-token"
PAGERDUTY_SECRET = "pd-fuzz-secret"
DELETE = object()

GITHUB_EVENTS = ["pull_request", "pull_request_review", "push", "ping", "deployment_status", "installation", "issues"]
GITLAB_EVENTS = ["Merge Request Hook", "Push Hook", "Deployment Hook", "Note Hook", "Pipeline Hook"]
PAGERDUTY_TYPES = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.priority_updated",
    "incident.annotated",
    "incident.reopened",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "0" * 40, "2026-11-20T10:00:00Z", "not-a-date", "octo/shop", "main", "open", "merged"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON value (to the containers as well as the leaves)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _apply(base: dict, edits: list[tuple[tuple, Any]]) -> dict:
    payload = copy.deepcopy(base)
    for path, value in edits:
        parent = payload
        try:
            for step in path[:-1]:
                parent = parent[step]
            if value is DELETE and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif value is not DELETE:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the container
    return payload


def mutations(base: dict) -> st.SearchStrategy[dict]:
    """The example with up to five of its values replaced by arbitrary JSON or removed."""
    edit = st.tuples(st.sampled_from(_paths(base)), json_values | st.just(DELETE))
    return st.lists(edit, max_size=5).map(lambda edits: _apply(base, edits))


def payloads(examples: list[dict]) -> st.SearchStrategy[dict]:
    """A host's payloads: its examples, mutated, or arbitrary JSON objects."""
    return st.sampled_from(examples).flatmap(mutations) | st.dictionaries(st.text(max_size=12), json_values, max_size=5)


def _load(host: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / host).glob("*.json"))]


GITHUB_PAYLOADS = payloads(_load("github"))
GITLAB_PAYLOADS = payloads(_load("gitlab"))
PAGERDUTY_PAYLOADS = payloads([pagerduty_event(t) for t in PAGERDUTY_TYPES])
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@pytest.fixture(autouse=True)
def _secrets(settings, db):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN
    settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET = PAGERDUTY_SECRET
    Repository.objects.create(name="octo/shop", provider="github", clone_url="https://example.com/octo/shop.git")
    Repository.objects.create(name="platform/billing", provider="gitlab", clone_url="https://example.com/b.git")


def _post(client, url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST in a savepoint rolled back afterwards, so every example meets the same database."""
    with transaction.atomic():
        status = client.post(url, body, content_type="application/json", headers=headers).status_code
        transaction.set_rollback(True)
    return status


def _hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _fuzz(client, host: str, strategy: st.SearchStrategy, post) -> Counter:
    """Run the bounded examples for one host; the statuses seen, by code."""
    seen: Counter = Counter()

    @FUZZ
    @given(example=strategy)
    def run(example):
        status = post(example)
        seen[status] += 1
        assert status < 500, example

    run()
    print(f"{host} webhook fuzz: {sum(seen.values())} signed bodies, statuses {dict(sorted(seen.items()))}")
    # Some bodies were accepted: the signing is right and the fuzzing reaches the parsing behind it.
    assert any(200 <= code < 300 for code in seen), seen
    return seen


def test_no_signed_github_body_gets_a_500(client):
    def post(example):
        payload, event = example
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": "sha256=" + _hmac(GITHUB_SECRET, body),
        }
        return _post(client, "/webhooks/github/", body, headers)

    _fuzz(client, "GitHub", st.tuples(GITHUB_PAYLOADS, st.sampled_from(GITHUB_EVENTS)), post)


def test_no_signed_gitlab_body_gets_a_500(client):
    def post(example):
        payload, event = example
        body = json.dumps(payload).encode()
        headers = {
            "X-Gitlab-Event": event,
            "X-Gitlab-Token": GITLAB_TOKEN,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "Idempotency-Key": str(uuid.uuid4()),
        }
        return _post(client, "/webhooks/gitlab/", body, headers)

    _fuzz(client, "GitLab", st.tuples(GITLAB_PAYLOADS, st.sampled_from(GITLAB_EVENTS)), post)


def test_no_signed_pagerduty_body_gets_a_500(client):
    def post(payload):
        body = json.dumps(payload).encode()
        headers = {"X-Webhook-Id": str(uuid.uuid4()), "X-PagerDuty-Signature": "v1=" + _hmac(PAGERDUTY_SECRET, body)}
        return _post(client, "/webhooks/pagerduty/", body, headers)

    _fuzz(client, "PagerDuty", PAGERDUTY_PAYLOADS, post)
