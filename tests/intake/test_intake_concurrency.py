"""Deliveries of new pull/merge requests arriving together, on real PostgreSQL connections (one per thread)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client

from intake import tasks as intake_tasks
from intake.services import deliveries
from intake.services.repositories import repository_register
from reviews import tasks
from reviews.models import Change, Delivery
from tests.intake.test_webhooks import GITHUB_SECRET, GITLAB_TOKEN, load, post_github, post_gitlab, queued

FIXTURES = Path(__file__).parent / "fixtures"
PULL_REQUESTS = 5
GITHUB_PER_PULL = 6  # opened and five pushes: 30 deliveries
GITLAB_PER_MERGE = 8  # open and seven pushes: 40 deliveries


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _sha(pull: int, push: int) -> str:
    return f"{pull:08x}{push:032x}"


def github_deliveries(pull: int) -> list[dict]:
    """The opened event and five synchronize events of one new pull request, each a newer head."""
    payloads = []
    for push in range(GITHUB_PER_PULL):
        payload = _load("github/pull_request.opened.json" if push == 0 else "github/pull_request.synchronize.json")
        pr = payload["pull_request"]
        pr["number"] = 100 + pull
        pr["head"]["sha"] = _sha(pull, push)
        pr["updated_at"] = f"2026-11-20T10:{push:02d}:00Z"
        if push:
            payload["before"], payload["after"] = _sha(pull, push - 1), _sha(pull, push)
        payloads.append(payload)
    return payloads


def gitlab_deliveries(merge: int) -> list[dict]:
    """The open event and seven update events (with oldrev: new commits) of one new merge request."""
    payloads = []
    for push in range(GITLAB_PER_MERGE):
        payload = _load("gitlab/merge_request.open.json" if push == 0 else "gitlab/merge_request.update_commits.json")
        attrs = payload["object_attributes"]
        attrs["iid"] = 200 + merge
        attrs["last_commit"]["id"] = _sha(merge, push)
        attrs["updated_at"] = f"2026-11-20 10:{push:02d}:00 UTC"
        if push:
            attrs["oldrev"] = _sha(merge, push - 1)
        payloads.append(payload)
    return payloads


def _post_together(jobs: list[tuple[str, dict]]) -> list[int]:
    """POST every delivery at once, each from its own thread and database connection; the status codes."""
    start = threading.Barrier(len(jobs))
    codes: list[int] = [0] * len(jobs)

    def send(index: int, host: str, payload: dict) -> None:
        client = Client(raise_request_exception=False)  # a server error is an answer, as the host sees it
        try:
            start.wait(timeout=30)
            if host == "github":
                response = post_github(client, "pull_request", payload)
            else:
                response = post_gitlab(client, "Merge Request Hook", payload)
            codes[index] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, host, payload)) for i, (host, payload) in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return codes


@pytest.fixture(autouse=True)
def _broker_and_secrets(settings):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_new_pull_and_merge_requests_are_all_stored_and_make_one_change_each(work_repo):
    shop = repository_register(name="octo/shop", url=str(work_repo.path), provider="github")
    billing = repository_register(name="platform/billing", url=str(work_repo.path), provider="gitlab")

    codes: list[int] = []
    for n in range(PULL_REQUESTS):
        # One round per pull request: its opened and synchronize deliveries (and a merge request's) race each other.
        jobs = [("github", p) for p in github_deliveries(n)] + [("gitlab", p) for p in gitlab_deliveries(n)]
        codes += _post_together(jobs)

    failed = [code for code in codes if not 200 <= code < 300]
    total = PULL_REQUESTS * (GITHUB_PER_PULL + GITLAB_PER_MERGE)
    stored = Delivery.objects.count()
    print(f"\nconcurrent new-request deliveries: {len(failed)} of {total} answered an error, {stored} stored")
    assert len(codes) == total
    assert failed == []
    assert stored == total
    assert Delivery.objects.exclude(status=Delivery.Status.PROCESSED).count() == 0
    for n in range(PULL_REQUESTS):
        github = Change.objects.get(repository=shop, external_id=f"pr:{100 + n}")
        gitlab = Change.objects.get(repository=billing, external_id=f"mr:{200 + n}")
        assert github.head_sha == _sha(n, GITHUB_PER_PULL - 1)  # the latest head wins, whatever the arrival order
        assert gitlab.head_sha == _sha(n, GITLAB_PER_MERGE - 1)
    assert Change.objects.filter(repository=shop).count() == PULL_REQUESTS
    assert Change.objects.filter(repository=billing).count() == PULL_REQUESTS


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_application_fails_is_stored_answered_202_and_applied_again_by_the_sweeper(
    work_repo, monkeypatch
):
    repository_register(name="octo/shop", url=str(work_repo.path), provider="github")
    real = deliveries.change_apply_host

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(deliveries, "change_apply_host", broken)
    client = Client(raise_request_exception=False)
    response = post_github(client, "pull_request", load("github/pull_request.opened.json"))

    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get()  # committed: this test's database is not rolled back between statements
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RECEIVED, 1)
    assert delivery.error == "RuntimeError: database hiccup"
    assert response.json()["status"] == "received"
    assert not Change.objects.exists()

    monkeypatch.setattr(deliveries, "change_apply_host", real)
    assert tasks.sweep_unprocessed(0) == 1
    assert ("reviews.delivery_apply", [delivery.pk]) in queued()
    assert intake_tasks.delivery_apply(delivery.pk) == Delivery.Status.PROCESSED
    assert intake_tasks.delivery_apply(delivery.pk) == Delivery.Status.PROCESSED  # twice does no harm

    change = Change.objects.get()
    assert (change.external_id, change.revisions.count()) == ("pr:42", 0)
    assert Delivery.objects.get().attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_delivery_that_keeps_failing_is_marked_failed_for_an_admin(work_repo, monkeypatch, settings):
    repository_register(name="octo/shop", url=str(work_repo.path), provider="github")

    def broken(**kwargs):
        raise RuntimeError("still broken")

    monkeypatch.setattr(deliveries, "change_apply_host", broken)
    post_github(Client(raise_request_exception=False), "pull_request", load("github/pull_request.opened.json"))
    delivery = Delivery.objects.get()
    for _ in range(settings.PORTAL_DELIVERY_MAX_ATTEMPTS - 1):
        intake_tasks.delivery_apply(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, settings.PORTAL_DELIVERY_MAX_ATTEMPTS)
    assert tasks.sweep_unprocessed(0) == 0
