"""Webhook endpoints (intake.webhooks) and deliveries (reviews.services.deliveries) on PostgreSQL and Redis."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from intake import webhooks
from intake.services.repositories import repository_register
from portal.conf.queues import QUEUE_NAMES
from reviews.models import AuditEvent, Change, Delivery, Review

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_SECRET = "gh-webhook-secret-for-tests"
GITLAB_TOKEN = "gl-webhook-token-for-tests"

HEAD1 = "1b9d6bcdbbfd4b2d9a7b3c2e1f0a9b8c7d6e5f4a"
HEAD2 = "c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7"
MERGE = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
GL_HEAD1 = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
GL_HEAD2 = "b83d6e391c22777fca1ed3012fce84f633d7fed0"
GL_MERGE = "279484c09fbe69ededfced8c1bb6e6d24616b468"
TITLE = "Retry payment gateway calls"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_github(client, event, payload=None, *, body=None, delivery=None, secret=GITHUB_SECRET, headers=None):
    """POST as GitHub does: JSON body, X-Hub-Signature-256 over it, a delivery GUID."""
    body = json.dumps(payload).encode() if body is None else body
    sent = {
        "User-Agent": "GitHub-Hookshot/2c1e4f3",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "509413120",
        "X-Hub-Signature-256": sign(secret, body),
    }
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post(reverse("webhook-github"), body, content_type="application/json", headers=sent)


def post_gitlab(client, event, payload=None, *, body=None, key=None, event_uuid=None, token=GITLAB_TOKEN, headers=None):
    """POST as GitLab does: X-Gitlab-Token, Idempotency-Key, X-Gitlab-Event-UUID (a header set to None is left out)."""
    body = json.dumps(payload).encode() if body is None else body
    sent = {
        "User-Agent": "GitLab/17.6.0",
        "X-Gitlab-Event": event,
        "X-Gitlab-Token": token,
        "X-Gitlab-Instance": "https://gitlab.example.com",
        "X-Gitlab-Webhook-UUID": "2f0f3cbb-5b3e-4e42-9c8b-6a1c8f0b6a11",
        "X-Gitlab-Event-UUID": event_uuid or str(uuid.uuid4()),
        "Idempotency-Key": key or str(uuid.uuid4()),
    }
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post(reverse("webhook-gitlab"), body, content_type="application/json", headers=sent)


def queued() -> list[tuple[str, list]]:
    """(task name, args) of every message waiting on the Redis broker's queues."""
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    messages = [json.loads(raw) for queue in QUEUE_NAMES for raw in broker.lrange(queue, 0, -1)]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@pytest.fixture(autouse=True)
def _broker_and_secrets(settings):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN


@pytest.fixture
def shop(db, work_repo):
    return repository_register(name="octo/shop", url=str(work_repo.path), provider="github")


@pytest.fixture
def billing(db, work_repo):
    return repository_register(name="platform/billing", url=str(work_repo.path), provider="gitlab")


@pytest.fixture
def ada(make_engineer):
    """The author: an L4 known to both hosts."""
    return make_engineer(4, username="ada", github_login="ada-lovelace", gitlab_username="ada.lovelace")


@pytest.fixture
def grace(make_engineer):
    """A senior reviewer known to both hosts (GitHub logins compare case-insensitively)."""
    return make_engineer(6, username="grace", github_login="Grace-Hopper", gitlab_username="grace.hopper")


def opened(client, **changes):
    payload = load("github/pull_request.opened.json")
    payload["pull_request"].update(changes)
    response = post_github(client, "pull_request", payload)
    assert response.status_code == 202, response.json()
    return Change.objects.get(external_id="pr:42")


# --- GitHub pull requests --------------------------------------------------------------------------


def test_signed_pull_request_opened_is_stored_as_a_change_and_its_diff_queued(
    client, shop, ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(
            client,
            "pull_request",
            load("github/pull_request.opened.json"),
            delivery="d1f0e2c0-c2a1-11ef-8a1a-1f2e3d4c5b6a",
        )

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json() == {"detail": "accepted", "delivery": delivery.pk, "status": "processed"}
    assert (delivery.provider, delivery.delivery_id, delivery.event, delivery.action) == (
        "github",
        "d1f0e2c0-c2a1-11ef-8a1a-1f2e3d4c5b6a",
        "pull_request",
        "opened",
    )
    assert (delivery.status, delivery.repository, delivery.attempts) == ("processed", shop, 1)
    change = Change.objects.get()
    assert change.repository == shop
    assert (change.external_id, change.number, change.head_sha, change.title) == ("pr:42", 42, HEAD1, TITLE)
    assert change.labels == ["payments", "ai-assisted"]
    assert change.author == ada and change.author_name == "ada-lovelace" and change.author_email == ada.email
    assert (change.source_branch, change.target_branch) == ("feature/retry-payments", "main")
    assert (change.state, change.is_draft, change.merged_at) == ("open", False, None)
    assert change.opened_at == change.host_updated_at == at(10)
    assert change.diff_state == Change.DiffState.PENDING
    assert queued() == [("reviews.change_pull_diff", [change.pk])]
    assert AuditEvent.objects.filter(action="change.received", target_id=str(change.pk)).count() == 1


def test_pull_request_by_an_unknown_login_keeps_the_login_as_author_name(client, shop):
    change = opened(client)

    assert change.author is None
    assert change.author_name == "ada-lovelace"


def test_bad_signature_is_refused_and_nothing_is_stored(client, shop):
    response = post_github(client, "pull_request", load("github/pull_request.opened.json"), secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["detail"] == "signature missing or invalid"
    assert not Delivery.objects.exists()
    assert not Change.objects.exists()


def test_missing_signature_is_refused(client, shop):
    response = post_github(
        client, "pull_request", load("github/pull_request.opened.json"), headers={"X-Hub-Signature-256": None}
    )

    assert response.status_code == 401
    assert not Delivery.objects.exists()


def test_signature_over_a_different_body_is_refused(client, shop):
    payload = load("github/pull_request.opened.json")
    signed = json.dumps(payload).encode()
    payload["pull_request"]["head"]["sha"] = HEAD2
    response = post_github(
        client, "pull_request", payload, headers={"X-Hub-Signature-256": sign(GITHUB_SECRET, signed)}
    )

    assert response.status_code == 401
    assert not Change.objects.exists()


def test_nothing_is_trusted_when_no_secret_is_configured(client, shop, settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = ""

    response = post_github(client, "pull_request", load("github/pull_request.opened.json"), secret="")

    assert response.status_code == 401


def test_repository_secret_works_when_the_global_secret_is_empty(client, shop, settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = ""
    shop.webhook_secret = "octo-shop-own-secret"
    shop.save(update_fields=["webhook_secret"])

    response = post_github(
        client, "pull_request", load("github/pull_request.opened.json"), secret="octo-shop-own-secret"
    )

    assert response.status_code == 202
    assert Change.objects.get().external_id == "pr:42"


def test_repository_secret_replaces_the_global_one_for_that_repository(client, shop):
    shop.webhook_secret = "octo-shop-own-secret"
    shop.save(update_fields=["webhook_secret"])
    payload = load("github/pull_request.opened.json")

    assert post_github(client, "pull_request", payload, secret=GITHUB_SECRET).status_code == 401
    assert post_github(client, "pull_request", payload, secret="octo-shop-own-secret").status_code == 202
    assert Delivery.objects.count() == 1


def test_same_delivery_twice_is_stored_once(client, shop):
    payload = load("github/pull_request.opened.json")
    first = post_github(client, "pull_request", payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    second = post_github(client, "pull_request", payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["detail"].startswith("duplicate")
    assert second.json()["delivery"] == first.json()["delivery"]
    assert Delivery.objects.count() == 1
    assert Change.objects.count() == 1
    assert Delivery.objects.get().attempts == 1


def test_same_delivery_id_from_the_other_host_is_a_different_delivery(client, shop, billing):
    post_github(client, "pull_request", load("github/pull_request.opened.json"), delivery="shared-id")

    response = post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"), key="shared-id")

    assert response.status_code == 202
    assert Delivery.objects.count() == 2


def test_synchronize_with_a_new_head_is_a_new_revision_of_the_same_change(
    client, shop, django_capture_on_commit_callbacks
):
    change = opened(client)
    change.diff_state = Change.DiffState.DONE
    change.diff_sha = HEAD1
    change.save(update_fields=["diff_state", "diff_sha"])

    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(client, "pull_request", load("github/pull_request.synchronize.json"))

    assert response.status_code == 202
    change.refresh_from_db()
    assert Change.objects.count() == 1
    assert change.head_sha == HEAD2
    assert change.diff_state == Change.DiffState.PENDING
    assert change.review_state == Change.ReviewState.PENDING_POLICY
    assert change.host_updated_at == at(11)
    revision = AuditEvent.objects.get(action="change.new_revision")
    assert revision.target_id == str(change.pk)
    assert revision.payload == {"from": HEAD1, "to": HEAD2}
    assert ("reviews.change_pull_diff", [change.pk]) in queued()


def test_event_older_than_what_is_stored_does_not_overwrite_it(client, shop):
    opened(client)
    post_github(client, "pull_request", load("github/pull_request.synchronize.json"))  # updated_at 11:00

    response = post_github(client, "pull_request", load("github/pull_request.edited.json"))  # updated_at 10:30

    assert response.status_code == 202
    change = Change.objects.get()
    assert change.title == TITLE
    assert change.head_sha == HEAD2
    assert change.host_updated_at == at(11)


def test_edited_in_order_updates_the_title_without_a_new_revision(client, shop):
    opened(client)

    post_github(client, "pull_request", load("github/pull_request.edited.json"))

    change = Change.objects.get()
    assert change.title == "Retry payment gateway calls with backoff"
    assert change.head_sha == HEAD1
    assert not AuditEvent.objects.filter(action="change.new_revision").exists()


def test_draft_and_ready_for_review_follow_the_host(client, shop):
    opened(client)

    post_github(client, "pull_request", load("github/pull_request.converted_to_draft.json"))
    assert Change.objects.get().is_draft is True

    post_github(client, "pull_request", load("github/pull_request.ready_for_review.json"))
    assert Change.objects.get().is_draft is False


def test_closed_with_merged_true_is_merged(client, shop):
    opened(client)

    response = post_github(client, "pull_request", load("github/pull_request.closed_merged.json"))

    assert response.status_code == 202
    change = Change.objects.get()
    assert change.state == Change.State.MERGED
    assert change.merged_at == at(12)
    assert change.merge_sha == MERGE
    assert change.head_sha == HEAD1  # a closed pull request gets no new revision


def test_closed_without_merge_is_closed_and_reopened_is_open(client, shop):
    opened(client)

    post_github(client, "pull_request", load("github/pull_request.closed_unmerged.json"))
    change = Change.objects.get()
    assert (change.state, change.merged_at, change.merge_sha) == ("closed", None, "")

    post_github(client, "pull_request", load("github/pull_request.reopened.json"))
    change.refresh_from_db()
    assert change.state == Change.State.OPEN
    assert change.host_updated_at == at(13)


def test_merged_pull_request_replaces_the_commit_change_polled_before_it(client, shop):
    Change.objects.create(
        repository=shop, external_id=MERGE, title="Merge pull request #42", head_sha=MERGE, state="merged",
        opened_at=at(12), merged_at=at(12),
    )  # fmt: skip
    opened(client)

    post_github(client, "pull_request", load("github/pull_request.closed_merged.json"))

    assert list(Change.objects.values_list("external_id", flat=True)) == ["pr:42"]


def test_first_event_seen_is_a_merge_creates_the_change_as_merged(client, shop):
    response = post_github(client, "pull_request", load("github/pull_request.closed_merged.json"))

    assert response.status_code == 202
    change = Change.objects.get()
    assert (change.state, change.merged_at, change.head_sha) == ("merged", at(12), HEAD2)


# --- GitHub reviews --------------------------------------------------------------------------------


def test_approval_by_a_known_senior_on_the_current_head_is_a_host_review(client, shop, ada, grace):
    change = opened(client)

    response = post_github(client, "pull_request_review", load("github/pull_request_review.approved.json"))

    assert response.status_code == 202
    assert response.json()["status"] == "processed"
    review = Review.objects.get()
    assert (review.change, review.reviewer, review.verdict) == (change, grace, Review.Verdict.APPROVE)
    assert (review.source, review.head_sha) == (Review.Source.HOST, HEAD1)
    assert review.ledger_hash
    assert review.created_at == at(10, 20)  # GitHub's submitted_at, not the arrival time
    assert Delivery.objects.get(event="pull_request_review").status == Delivery.Status.PROCESSED


def test_a_review_submitted_in_the_future_is_stamped_now(client, shop, ada, grace):
    opened(client)
    payload = load("github/pull_request_review.approved.json")
    payload["review"]["submitted_at"] = "2999-01-01T00:00:00Z"

    post_github(client, "pull_request_review", payload)

    assert Review.objects.get().created_at <= timezone.now()


def test_changes_requested_by_a_known_senior_is_recorded(client, shop, ada, grace):
    opened(client)

    post_github(client, "pull_request_review", load("github/pull_request_review.changes_requested.json"))

    assert Review.objects.get().verdict == Review.Verdict.REQUEST_CHANGES


def test_review_by_an_unknown_login_is_ignored_with_a_reason(client, shop):
    opened(client)
    payload = load("github/pull_request_review.approved.json")
    payload["review"]["user"]["login"] = "mallory-outsider"

    response = post_github(client, "pull_request_review", payload)

    assert response.status_code == 202
    delivery = Delivery.objects.get(event="pull_request_review")
    assert delivery.status == Delivery.Status.IGNORED
    assert delivery.error == "reviewer 'mallory-outsider' is not a known engineer"
    assert response.json()["detail"] == delivery.error
    assert not Review.objects.exists()


def test_review_of_an_older_revision_delivered_late_is_ignored(client, shop, ada, grace):
    opened(client)
    post_github(client, "pull_request", load("github/pull_request.synchronize.json"))

    post_github(client, "pull_request_review", load("github/pull_request_review.approved.json"))

    delivery = Delivery.objects.get(event="pull_request_review")
    assert (delivery.status, delivery.error) == ("ignored", "review of an older revision")
    assert not Review.objects.exists()


def test_review_submitted_on_a_commit_older_than_the_head_does_not_count(client, shop, ada, grace):
    opened(client)
    post_github(client, "pull_request", load("github/pull_request.synchronize.json"))
    payload = load("github/pull_request_review.approved.json")  # review.commit_id is HEAD1
    payload["pull_request"]["head"]["sha"] = HEAD2
    payload["pull_request"]["updated_at"] = "2026-11-20T11:05:00Z"

    post_github(client, "pull_request_review", payload)

    assert Delivery.objects.get(event="pull_request_review").error == "review of an older revision"
    assert not Review.objects.exists()


def test_author_approving_their_own_pull_request_is_ignored(client, shop, make_engineer):
    make_engineer(6, username="ada", github_login="ada-lovelace")
    opened(client)
    payload = load("github/pull_request_review.approved.json")
    payload["review"]["user"]["login"] = "ada-lovelace"

    post_github(client, "pull_request_review", payload)

    delivery = Delivery.objects.get(event="pull_request_review")
    assert delivery.status == Delivery.Status.IGNORED
    assert "own change" in delivery.error
    assert not Review.objects.exists()


# --- GitHub push, deployments, ping, other events --------------------------------------------------


def test_push_to_the_default_branch_queues_a_poll(client, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(client, "push", load("github/push.json"))

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error) == ("processed", "fetch of the default branch queued")
    assert queued() == [("reviews.repository_poll", [shop.pk])]


def test_push_to_another_branch_is_ignored(client, shop, django_capture_on_commit_callbacks):
    payload = load("github/push.json")
    payload["ref"] = "refs/heads/feature/retry-payments"

    with django_capture_on_commit_callbacks(execute=True):
        post_github(client, "push", payload)

    assert Delivery.objects.get().status == Delivery.Status.IGNORED
    assert queued() == []


def test_successful_deployment_status_is_received_and_its_task_queued(client, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(client, "deployment_status", load("github/deployment_status.json"))

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RECEIVED
    assert queued() == [("reviews.deployment_from_host", [delivery.pk])]


def test_failed_deployment_status_is_ignored(client, shop):
    payload = load("github/deployment_status.json")
    payload["deployment_status"]["state"] = "failure"

    post_github(client, "deployment_status", payload)

    assert (Delivery.objects.get().status, Delivery.objects.get().error) == ("ignored", "deployment failure")


def test_unknown_event_is_stored_as_ignored(client, shop):
    payload = load("github/pull_request.opened.json")
    payload["action"] = "opened"

    response = post_github(client, "issues", payload)

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.event) == ("ignored", "issues")
    assert delivery.error == "event 'issues' not used"
    assert not Change.objects.exists()


def test_ping_answers_pong(client, shop):
    response = post_github(client, "ping", load("github/ping.json"))

    assert response.status_code == 200
    assert response.json()["detail"] == "pong"
    assert Delivery.objects.get().status == Delivery.Status.IGNORED


def test_delivery_for_an_unregistered_repository_is_stored_as_ignored(client, shop):
    payload = load("github/pull_request.opened.json")
    payload["repository"]["full_name"] = "octo/warehouse"

    response = post_github(client, "pull_request", payload)

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.repository, delivery.repository_name) == ("ignored", None, "octo/warehouse")
    assert delivery.error == "repository 'octo/warehouse' is not registered"
    assert not Change.objects.exists()


# --- GitHub: malformed requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"action": "opened",', "body is not valid JSON"),
        (b"\xff\xfe\x00garbage", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b'[{"action": "opened"}]', "body must be a JSON object"),
        (b'"opened"', "body must be a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON"),
    ],
    ids=["truncated", "not-utf8", "empty", "array", "string", "nested-too-deep"],
)
def test_signed_body_that_is_not_a_json_object_is_refused(client, shop, body, message):
    response = post_github(client, "pull_request", body=body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not Delivery.objects.exists()


def test_unsigned_body_nested_too_deep_is_refused_as_unsigned(client, shop):
    body = b"[" * 100_000 + b"]" * 100_000

    response = post_github(client, "pull_request", body=body, headers={"X-Hub-Signature-256": None})

    assert response.status_code == 401


def test_signed_payload_of_the_wrong_shape_is_refused_and_nothing_stored(client, shop):
    payload = load("github/pull_request.opened.json")
    del payload["pull_request"]["head"]

    response = post_github(client, "pull_request", payload)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "payload does not match the pull_request event: pull_request.head must be an object"
    )
    assert not Delivery.objects.exists()
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("number", 2**31, "pull_request.number must be a positive integer"),  # one past PostgreSQL's integer
        ("number", True, "pull_request.number must be a positive integer"),
        ("head", {"ref": "--upload-pack=x", "sha": HEAD1}, "is not an acceptable branch name"),
        ("head", {"ref": "feature/retry-payments", "sha": "HEAD"}, "pull_request.head.sha must be a full commit SHA"),
    ],
    ids=["number-overflows-integer", "number-bool", "option-like-ref", "symbolic-sha"],
)
def test_signed_pull_request_with_a_field_out_of_bounds_is_refused(client, shop, field, value, message):
    payload = load("github/pull_request.opened.json")
    payload["pull_request"][field] = value

    response = post_github(client, "pull_request", payload)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Change.objects.exists()


def _deep(levels: int) -> list:
    return json.loads("[" * levels + "]" * levels)


@pytest.mark.parametrize(
    ("event", "fixture", "mutate", "message"),
    [
        ("pull_request", "pull_request.opened.json", lambda p: p["pull_request"].update(title="Retry\x00"), "U+0000"),
        ("ping", "ping.json", lambda p: p["hook"]["config"].update({"\x00": "1"}), "U+0000"),
        ("ping", "ping.json", lambda p: p["hook"].update(config=_deep(200)), "nested deeper than 100 levels"),
    ],
    ids=["nul-in-value", "nul-in-key", "nested-too-deep"],
)
def test_signed_payload_postgresql_cannot_store_is_refused(client, shop, event, fixture, mutate, message):
    payload = load(f"github/{fixture}")
    mutate(payload)

    response = post_github(client, event, payload)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "missing", ["X-GitHub-Event", "X-GitHub-Delivery"], ids=["without-event", "without-delivery-id"]
)
def test_delivery_without_its_event_or_id_header_is_refused(client, shop, missing):
    response = post_github(client, "pull_request", load("github/pull_request.opened.json"), headers={missing: None})

    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_overlong_delivery_id_is_refused(client, shop):
    response = post_github(client, "pull_request", load("github/pull_request.opened.json"), delivery="x" * 201)

    assert response.status_code == 400


def test_body_larger_than_the_limit_is_refused(client, shop, settings):
    settings.PORTAL_GITHUB_WEBHOOK_MAX_BYTES = 1024

    response = post_github(client, "pull_request", load("github/pull_request.opened.json"))

    assert response.status_code == 413
    assert response.json()["detail"] == "payload larger than 1024 bytes"
    assert not Delivery.objects.exists()


class CountingStream(io.BytesIO):
    """A request body without Content-Length (as a chunked request arrives) that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def chunked_request(name: str, body: bytes, **headers) -> tuple[HttpRequest, CountingStream]:
    request = RequestFactory().post(reverse(name), b"", content_type="application/json", headers=headers)
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = stream = CountingStream(body)
    return request, stream


def refuse_json_parsing(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the body was parsed before its signature was checked")

    monkeypatch.setattr(json, "loads", refuse)


def large_body(repository: str, megabytes: int = 20) -> bytes:
    """A JSON object of about `megabytes` MB naming a repository, the shape that took 2 s of CPU to parse."""
    filler = [{"a": 1, "b": [1.5, None]}] * (megabytes * 1024 * 1024 // 28)
    return json.dumps({"action": "opened", "repository": {"full_name": repository}, "filler": filler}).encode()


def test_unsigned_20_mb_body_is_refused_without_being_parsed(client, shop, monkeypatch):
    shop.webhook_secret = "octo-shop-own-secret"
    shop.save(update_fields=["webhook_secret"])
    body = large_body("octo/shop")
    assert len(body) > 20_000_000
    refuse_json_parsing(monkeypatch)

    response = post_github(client, "pull_request", body=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})

    assert response.status_code == 401
    assert not Delivery.objects.exists()


def test_unsigned_body_naming_many_repositories_tries_a_bounded_number_of_secrets(client, db, work_repo, monkeypatch):
    names = [f"octo/repo-{i}" for i in range(30)]
    for name in names:
        repository = repository_register(name=name, url=str(work_repo.path), provider="github")
        repository.webhook_secret = f"secret-of-{name}"
        repository.save(update_fields=["webhook_secret"])
    body = json.dumps([{"full_name": name} for name in names]).encode()
    tried = []
    real_verify = webhooks.verify_github_signature
    monkeypatch.setattr(webhooks, "verify_github_signature", lambda *args: tried.append(1) or real_verify(*args))

    response = post_github(client, "pull_request", body=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})

    assert response.status_code == 401
    assert len(tried) <= 1 + webhooks.MAX_REPOSITORY_SECRETS


def test_request_without_a_signature_is_refused_before_its_body_is_read(db):
    request, stream = chunked_request("webhook-github", b"{}" * 1000, **{"X-GitHub-Event": "push"})

    response = webhooks.github(request)

    assert response.status_code == 401
    assert stream.taken == 0


def test_body_over_the_cap_without_content_length_is_cut_at_the_cap(db, settings):
    settings.PORTAL_GITHUB_WEBHOOK_MAX_BYTES = 4096
    body = b" " * 10_000_000
    request, stream = chunked_request("webhook-github", body, **{"X-Hub-Signature-256": sign(GITHUB_SECRET, body)})

    response = webhooks.github(request)

    assert response.status_code == 413
    assert json.loads(response.content)["detail"] == "payload larger than 4096 bytes"
    assert stream.taken == 4097


def test_body_over_the_cap_is_refused_from_content_length_before_it_is_read(db, settings):
    settings.PORTAL_GITHUB_WEBHOOK_MAX_BYTES = 4096
    body = b" " * 5000
    request = RequestFactory().post(
        reverse("webhook-github"),
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(GITHUB_SECRET, body)},
    )
    request._stream = stream = CountingStream(body)

    assert webhooks.github(request).status_code == 413
    assert stream.taken == 0


def test_signed_body_under_the_cap_is_read_whole_without_content_length(shop):
    body = json.dumps(load("github/ping.json")).encode()
    request, _ = chunked_request(
        "webhook-github",
        body,
        **{"X-Hub-Signature-256": sign(GITHUB_SECRET, body), "X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1"},
    )

    assert webhooks.github(request).status_code == 200


def test_webhook_body_above_djangos_form_body_limit_is_still_accepted(client, shop, settings):
    """Webhooks read the raw stream: DATA_UPLOAD_MAX_MEMORY_SIZE (forms, the API) does not undercut their own cap."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = load("github/pull_request.opened.json")
    payload["pull_request"]["body"] = "x" * 4000

    response = post_github(client, "pull_request", payload)

    assert response.status_code == 202, response.json()


def test_each_host_has_its_own_cap(client, shop, billing, settings):
    settings.PORTAL_GITLAB_WEBHOOK_MAX_BYTES = 1024

    assert post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json")).status_code == 413
    assert post_github(client, "pull_request", load("github/pull_request.opened.json")).status_code == 202


def test_global_signature_on_a_repository_with_its_own_secret_is_refused_after_the_parse(client, shop, work_repo):
    """A body signed with one repository's secret, naming it as head repo, is still refused for another repository."""
    fork = repository_register(name="someone/shop-fork", url=str(work_repo.path), provider="github")
    fork.webhook_secret = "fork-own-secret"
    fork.save(update_fields=["webhook_secret"])
    shop.webhook_secret = "octo-shop-own-secret"
    shop.save(update_fields=["webhook_secret"])
    payload = load("github/pull_request.opened.json")
    payload["pull_request"]["head"]["repo"] = {"full_name": "someone/shop-fork"}

    assert post_github(client, "pull_request", payload, secret="fork-own-secret").status_code == 401
    assert post_github(client, "pull_request", payload, secret="octo-shop-own-secret").status_code == 202


def test_gitlab_wrong_token_is_refused_before_the_body_is_read(db):
    request, stream = chunked_request("webhook-gitlab", b"{}" * 1000, **{"X-Gitlab-Token": "wrong"})

    response = webhooks.gitlab(request)

    assert response.status_code == 401
    assert stream.taken == 0


def test_gitlab_global_token_for_a_project_with_its_own_token_is_refused(client, billing):
    billing.webhook_secret = "billing-own-token"
    billing.save(update_fields=["webhook_secret"])
    payload = load("gitlab/merge_request.open.json")

    assert post_gitlab(client, "Merge Request Hook", payload, token=GITLAB_TOKEN).status_code == 401
    assert post_gitlab(client, "Merge Request Hook", payload, token="billing-own-token").status_code == 202


# Signed bodies whose values Python's decoder accepts and PostgreSQL then refuses: each was a 500.
UNSTORABLE_VALUES = {
    "nan": ("NaN", "NaN is not a JSON number"),
    "infinity": ("Infinity", "Infinity is not a JSON number"),
    "minus-infinity": ("-Infinity", "-Infinity is not a JSON number"),
    "overflowing-number": ("1e400", "the number 1e400 is out of range"),
    "lone-surrogate": ('"\\ud800"', "a lone UTF-16 surrogate (\\ud800) at $.extra is not a character"),
    "nul": ('"a\\u0000b"', "contains U+0000 at $.extra, which cannot be stored"),
}


def with_extra_value(payload: dict, raw_value: str) -> bytes:
    """The payload with one more top-level key whose value is written as is (json.dumps cannot write all of them)."""
    return (json.dumps(payload)[:-1] + f', "extra": {raw_value}}}').encode()


@pytest.mark.parametrize("host", ["github", "gitlab"])
@pytest.mark.parametrize(("raw_value", "message"), UNSTORABLE_VALUES.values(), ids=UNSTORABLE_VALUES.keys())
def test_signed_body_with_a_value_postgresql_cannot_hold_is_a_bad_request(
    client, shop, billing, host, raw_value, message
):
    if host == "github":
        response = post_github(
            client, "pull_request", body=with_extra_value(load("github/pull_request.opened.json"), raw_value)
        )
    else:
        body = with_extra_value(load("gitlab/merge_request.open.json"), raw_value)
        response = post_gitlab(client, "Merge Request Hook", body=body)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("name", ["webhook-github", "webhook-gitlab"])
def test_webhook_answers_only_post(client, db, name):
    assert client.get(reverse(name)).status_code == 405
    assert client.put(reverse(name), b"{}", content_type="application/json").status_code == 405


# --- GitLab ----------------------------------------------------------------------------------------


def test_gitlab_merge_request_open_is_stored_as_a_change(client, billing, ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.provider, delivery.event, delivery.action, delivery.status) == (
        "gitlab",
        "Merge Request Hook",
        "opened",
        "processed",
    )
    change = Change.objects.get()
    assert (change.repository, change.external_id, change.number) == (billing, "mr:7", 7)
    assert (change.head_sha, change.title, change.labels) == (GL_HEAD1, "Retry failed payment runs", ["payments"])
    assert (change.author, change.source_branch, change.target_branch) == (ada, "feature/retry-runs", "main")
    assert change.opened_at == at(10)
    assert queued() == [("reviews.change_pull_diff", [change.pk])]


@pytest.mark.parametrize(
    "token", [None, "", "wrong-token", GITLAB_TOKEN.upper()], ids=["missing", "empty", "wrong", "wrong-case"]
)
def test_gitlab_wrong_or_missing_token_is_refused(client, billing, token):
    response = post_gitlab(
        client, "Merge Request Hook", load("gitlab/merge_request.open.json"), headers={"X-Gitlab-Token": token}
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "token missing or invalid"
    assert not Delivery.objects.exists()


def test_gitlab_project_token_works_when_the_global_token_is_empty(client, billing, settings):
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = ""
    billing.webhook_secret = "billing-own-token"
    billing.save(update_fields=["webhook_secret"])
    payload = load("gitlab/merge_request.open.json")

    assert post_gitlab(client, "Merge Request Hook", payload, token="").status_code == 401
    assert post_gitlab(client, "Merge Request Hook", payload, token="billing-own-token").status_code == 202


def test_gitlab_same_idempotency_key_twice_is_stored_once(client, billing):
    payload = load("gitlab/merge_request.open.json")
    first = post_gitlab(client, "Merge Request Hook", payload, key="4b1a7d3e-98f2-4b8e-a0a5-3f8f0e2c9d11")

    second = post_gitlab(client, "Merge Request Hook", payload, key="4b1a7d3e-98f2-4b8e-a0a5-3f8f0e2c9d11")

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["detail"].startswith("duplicate")
    assert Delivery.objects.get().delivery_id == "4b1a7d3e-98f2-4b8e-a0a5-3f8f0e2c9d11"
    assert Change.objects.count() == 1


def test_gitlab_without_idempotency_key_is_deduplicated_on_the_event_uuid(client, billing):
    payload = load("gitlab/merge_request.open.json")
    event_uuid = "6c5f4d1e-0b5a-4c3b-9e2f-8a7b6c5d4e3f"
    without_key = {"Idempotency-Key": None}
    first = post_gitlab(client, "Merge Request Hook", payload, event_uuid=event_uuid, headers=without_key)

    second = post_gitlab(client, "Merge Request Hook", payload, event_uuid=event_uuid, headers=without_key)

    assert (first.status_code, second.status_code) == (202, 200)
    assert Delivery.objects.get().delivery_id == event_uuid


def test_gitlab_without_any_delivery_id_is_refused(client, billing):
    response = post_gitlab(
        client,
        "Merge Request Hook",
        load("gitlab/merge_request.open.json"),
        headers={"Idempotency-Key": None, "X-Gitlab-Event-UUID": None},
    )

    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_gitlab_update_with_oldrev_is_a_new_revision(client, billing):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    response = post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.update_commits.json"))

    assert response.status_code == 202
    change = Change.objects.get()
    assert change.head_sha == GL_HEAD2
    assert change.diff_state == Change.DiffState.PENDING
    assert AuditEvent.objects.get(action="change.new_revision").payload == {"from": GL_HEAD1, "to": GL_HEAD2}


def test_gitlab_update_without_oldrev_changes_title_and_labels_but_is_no_new_revision(client, billing):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))
    payload = load("gitlab/merge_request.update_labels.json")
    # Even a different last commit is no new revision: without oldrev, GitLab says no commits were pushed.
    payload["object_attributes"]["last_commit"]["id"] = GL_HEAD2

    response = post_gitlab(client, "Merge Request Hook", payload)

    assert response.status_code == 202
    change = Change.objects.get()
    assert change.title == "Retry failed payment runs once"
    assert change.labels == ["payments", "needs-sign-off"]
    assert change.head_sha == GL_HEAD1
    assert not AuditEvent.objects.filter(action="change.new_revision").exists()


def test_gitlab_close_reopen_and_merge_follow_the_host(client, billing):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.close.json"))
    assert Change.objects.get().state == Change.State.CLOSED

    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.reopen.json"))
    assert Change.objects.get().state == Change.State.OPEN

    payload = load("gitlab/merge_request.merge.json")
    payload["object_attributes"]["updated_at"] = payload["object_attributes"]["updated_at"].replace("12:00", "14:00")
    post_gitlab(client, "Merge Request Hook", payload)
    change = Change.objects.get()
    assert (change.state, change.merged_at, change.merge_sha) == ("merged", at(14), GL_MERGE)


def test_gitlab_merge_sets_merged_at(client, billing):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    response = post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.merge.json"))

    assert response.status_code == 202
    change = Change.objects.get()
    assert (change.state, change.merged_at, change.merge_sha) == ("merged", at(12), GL_MERGE)


def test_gitlab_approval_by_a_known_senior_is_a_host_review(client, billing, ada, grace):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))
    change = Change.objects.get()

    response = post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.approved.json"))

    assert response.status_code == 202
    review = Review.objects.get()
    assert (review.change, review.reviewer, review.verdict, review.source) == (change, grace, "approve", "host")
    assert review.head_sha == GL_HEAD1
    assert Change.objects.get().author == ada  # the approver is not taken for the author


def test_gitlab_approval_by_an_unknown_username_is_ignored(client, billing):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.approved.json"))

    delivery = Delivery.objects.get(action="approved")
    assert (delivery.status, delivery.error) == ("ignored", "reviewer 'grace.hopper' is not a known engineer")
    assert not Review.objects.exists()


def test_gitlab_push_to_the_default_branch_queues_a_poll(client, billing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_gitlab(client, "Push Hook", load("gitlab/push.json"))

    assert response.status_code == 202
    assert Delivery.objects.get().status == Delivery.Status.PROCESSED
    assert queued() == [("reviews.repository_poll", [billing.pk])]


def test_gitlab_successful_deployment_is_received_and_its_task_queued(
    client, billing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_gitlab(client, "Deployment Hook", load("gitlab/deployment.json"))

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.action) == ("received", "success")
    assert queued() == [("reviews.deployment_from_host", [delivery.pk])]


def test_gitlab_malformed_json_is_refused(client, billing):
    response = post_gitlab(client, "Merge Request Hook", body=b"{'object_kind': 'merge_request'}")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("body is not valid JSON")


# --- never a 500 -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
GITHUB_FIXTURES = {
    "pull_request": "github/pull_request.opened.json",
    "pull_request_review": "github/pull_request_review.approved.json",
    "push": "github/push.json",
    "deployment_status": "github/deployment_status.json",
    "ping": "github/ping.json",
}
GITLAB_FIXTURES = {
    "Merge Request Hook": "gitlab/merge_request.open.json",
    "Push Hook": "gitlab/push.json",
    "Deployment Hook": "gitlab/deployment.json",
}
TOP_LEVEL = ["action", "repository", "project", "pull_request", "review", "object_attributes", "object_kind", "ref"]


# What Python writes and PostgreSQL cannot hold: NaN, Infinity, lone surrogates and U+0000 (json.dumps escapes them).
hostile_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=12),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(st.characters(codec=None), max_size=8), c, max_size=4),
    max_leaves=12,
)


@st.composite
def deliveries(draw, values=json_values):
    """A random supported event with either an arbitrary object or its documented payload, one field replaced."""
    provider = draw(st.sampled_from(["github", "gitlab"]))
    fixtures = GITHUB_FIXTURES if provider == "github" else GITLAB_FIXTURES
    event = draw(st.sampled_from(sorted(fixtures)))
    if draw(st.booleans()):
        payload = draw(st.dictionaries(st.sampled_from(TOP_LEVEL) | st.text(max_size=12), values, max_size=6))
    else:
        payload = copy.deepcopy(load(fixtures[event]))
        node = payload
        key = draw(st.sampled_from(sorted(node)))
        while isinstance(node[key], dict) and node[key] and draw(st.booleans()):
            node = node[key]
            key = draw(st.sampled_from(sorted(node)))
        node[key] = draw(values)
    return provider, event, payload


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delivery=deliveries())
def test_signed_delivery_of_any_json_object_is_never_a_server_error(client, shop, billing, delivery):
    provider, event, payload = delivery
    post = post_github if provider == "github" else post_gitlab

    response = post(client, event, payload)

    assert response.status_code in {200, 202, 400}, response.content


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(delivery=deliveries(values=hostile_values))
def test_signed_delivery_with_values_postgresql_cannot_hold_is_never_a_server_error(client, shop, billing, delivery):
    provider, event, payload = delivery
    post = post_github if provider == "github" else post_gitlab

    response = post(client, event, payload)

    assert response.status_code in {200, 202, 400}, response.content


# --- the delivery log ------------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="root-admin", password="pw-for-tests-only", is_staff=True)


def test_delivery_log_is_refused_to_a_non_staff_user(client, shop, ada):
    client.force_login(ada.user)

    assert client.get(reverse("reviews:delivery-list")).status_code == 403


def test_delivery_log_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get(reverse("reviews:delivery-list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_delivery_log_lists_deliveries_for_staff(client, shop, staff):
    post_github(client, "pull_request", load("github/pull_request.opened.json"))
    payload = load("github/pull_request.opened.json")
    payload["repository"]["full_name"] = "octo/warehouse"
    post_github(client, "pull_request", payload)
    client.force_login(staff)

    response = client.get(reverse("reviews:delivery-list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "pull_request.opened" in page
    assert "octo/shop" in page and "octo/warehouse" in page
    assert "repository &#x27;octo/warehouse&#x27; is not registered" in page
    assert len(response.context["deliveries"]) == 2

    ignored = client.get(reverse("reviews:delivery-list"), {"status": "ignored"})
    assert [d.repository_name for d in ignored.context["deliveries"]] == ["octo/warehouse"]


def test_redeliver_as_staff_applies_the_delivery_again(client, shop, staff):
    post_github(client, "pull_request", load("github/pull_request.opened.json"))
    delivery = Delivery.objects.get()
    client.force_login(staff)

    response = client.post(reverse("incidents:delivery-redeliver", args=[delivery.pk]))

    assert response.status_code == 302
    assert response.url == reverse("reviews:delivery-list")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("processed", 2)
    assert Change.objects.count() == 1
    assert AuditEvent.objects.get(action="delivery.redelivered").actor == staff


def test_redelivering_an_approval_does_not_outrank_a_later_request_for_changes(client, shop, ada, grace, staff):
    change = opened(client)
    Change.objects.filter(pk=change.pk).update(required_sign_offs=1)
    post_github(client, "pull_request_review", load("github/pull_request_review.approved.json"))
    post_github(client, "pull_request_review", load("github/pull_request_review.changes_requested.json"))
    assert Change.objects.get().review_state == Change.ReviewState.CHANGES_REQUESTED
    approval = Delivery.objects.get(action="submitted", payload__review__state="approved")
    client.force_login(staff)

    client.post(reverse("incidents:delivery-redeliver", args=[approval.pk]))

    approval.refresh_from_db()
    assert (approval.status, approval.attempts) == ("processed", 2)
    assert Review.objects.filter(verdict=Review.Verdict.APPROVE).count() == 1
    assert Change.objects.get().review_state == Change.ReviewState.CHANGES_REQUESTED


def test_redeliver_after_registering_the_repository_creates_the_change(client, db, work_repo, staff):
    post_github(client, "pull_request", load("github/pull_request.opened.json"))
    assert Delivery.objects.get().status == Delivery.Status.IGNORED
    repository_register(name="octo/shop", url=str(work_repo.path), provider="github")
    client.force_login(staff)

    client.post(reverse("incidents:delivery-redeliver", args=[Delivery.objects.get().pk]))

    assert Delivery.objects.get().status == Delivery.Status.PROCESSED
    assert Change.objects.get().external_id == "pr:42"


def test_redeliver_is_refused_to_a_non_staff_user(client, shop, ada):
    post_github(client, "pull_request", load("github/pull_request.opened.json"))
    delivery = Delivery.objects.get()
    client.force_login(ada.user)

    response = client.post(reverse("incidents:delivery-redeliver", args=[delivery.pk]))

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_redeliver_of_a_missing_delivery_is_not_found(client, staff):
    client.force_login(staff)

    assert client.post(reverse("incidents:delivery-redeliver", args=[999999])).status_code == 404
