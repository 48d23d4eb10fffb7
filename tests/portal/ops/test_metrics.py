"""/metrics: loopback or bearer token only; queue depths, task timings and failures, webhooks, review latency."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from portal.conf.queues import QUEUE_NAMES
from portal.ops import metrics

TOKEN = "metrics-token-for-tests-0123456789"
BASE_DIR = Path(__file__).resolve().parents[3]


def _samples(body: bytes) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_metrics_are_served_to_loopback(client, broker):
    broker.rpush("diffs", b"a", b"b", b"c")
    broker.rpush("intake", b"x")
    response = client.get("/metrics")  # the test client connects from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.content)
    depths = {dict(labels)["queue"]: v for (name, labels), v in samples.items() if name == "countersign_queue_depth"}
    assert depths == {**dict.fromkeys(QUEUE_NAMES, 0.0), "diffs": 3.0, "intake": 1.0}
    assert samples[("countersign_queue_unacked", ())] == 0.0


def test_a_request_through_a_proxy_or_from_elsewhere_needs_the_token(client, settings):
    settings.PORTAL_METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403  # a local proxy's request

    settings.PORTAL_METRICS_TOKEN = TOKEN
    refused = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert allowed.status_code == 200 and b"countersign_task_duration_seconds" in allowed.content


def test_metrics_refuse_a_post(client):
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_webhook_deliveries_are_counted_per_host_and_outcome(client, settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = "gh-secret-for-metrics-tests"

    def value(host: str, outcome: str) -> float:
        return metrics.WEBHOOKS.labels(host, outcome)._value.get()

    before = {o: value("github", o) for o in ("received", "accepted", "rejected")}
    response = client.post("/webhooks/github/", b"{}", content_type="application/json")  # unsigned
    assert response.status_code == 401
    assert value("github", "received") == before["received"] + 1
    assert value("github", "rejected") == before["rejected"] + 1
    assert value("github", "accepted") == before["accepted"]


@pytest.mark.django_db
def test_a_portal_verdict_records_its_latency_from_the_assignment(make_engineer):
    from datetime import timedelta

    from django.utils import timezone

    from reviews.models import Assignment, Change, Repository, Review

    author, senior = make_engineer(level=3), make_engineer(level=7)
    repository = Repository.objects.create(name="acme/ops", clone_url="file:///nowhere", default_branch="main")
    change = Change.objects.create(
        repository=repository,
        external_id="1",
        number=1,
        title="t",
        author=author,
        head_sha="a" * 40,
        opened_at=timezone.now(),
    )
    assignment = Assignment.objects.create(change=change, reviewer=senior, reason="r")
    assigned = timezone.now() - timedelta(hours=2)
    Assignment.objects.filter(pk=assignment.pk).update(created_at=assigned)

    def count() -> float:
        return metrics.REVIEW_LATENCY.labels("approve")._sum.get(), _histogram_count(metrics.REVIEW_LATENCY, "approve")

    total_before, count_before = count()
    Review.objects.create(
        change=change,
        reviewer=senior,
        verdict="approve",
        head_sha="a" * 40,
        seconds_spent=600,
        created_at=assigned + timedelta(hours=2),
    )
    total_after, count_after = count()
    assert count_after == count_before + 1
    assert total_after - total_before == pytest.approx(2 * 3600)


def _histogram_count(histogram, *labels) -> float:
    child = histogram.labels(*labels)
    return sum(bucket.get() for bucket in child._buckets)


@pytest.mark.django_db(transaction=True)
def test_several_processes_add_up_in_the_multiprocess_directory(tmp_path):
    # Two processes each record a task run and a failure; a third serves /metrics with the sum of both.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    record = (
        "import django; django.setup()\n"
        "from portal.ops import metrics\n"
        "metrics.TASK_SECONDS.labels('reviews.change_pull_diff', 'SUCCESS').observe(0.3)\n"
        "metrics.TASK_FAILURES.labels('reviews.change_pull_diff').inc()\n"
    )
    serve = (
        "import sys, django; django.setup()\n"
        "from portal.ops import metrics\n"
        "sys.stdout.buffer.write(metrics.exposition())\n"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], cwd=BASE_DIR, env=env, check=True, timeout=120)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", serve], cwd=BASE_DIR, env=env, check=True, timeout=120, capture_output=True
    ).stdout
    samples = _samples(out)
    assert samples[("countersign_task_failures_total", (("task", "reviews.change_pull_diff"),))] == 2.0
    key = ("countersign_task_duration_seconds_count", (("state", "SUCCESS"), ("task", "reviews.change_pull_diff")))
    assert samples[key] == 2.0


def test_a_webhook_accepted_by_the_view_counts_as_accepted(rf):
    from django.http import JsonResponse

    from portal.ops import metrics
    from portal.ops.middleware import WebhookMetricsMiddleware

    accepted = metrics.WEBHOOKS.labels("gitlab", "accepted")
    before = accepted._value.get()
    WebhookMetricsMiddleware(lambda request: JsonResponse({}, status=202))(rf.post("/webhooks/gitlab/"))
    WebhookMetricsMiddleware(lambda request: JsonResponse({}, status=202))(rf.post("/webhooks/unknown/"))
    assert accepted._value.get() == before + 1
