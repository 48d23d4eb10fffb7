"""Scenario 1: Redis (broker and cache) stopped for real while deliveries arrive; the sweeper completes them all."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from portal.celery import app as celery_app
from reviews.models import Change, Delivery
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "1. broker down"


def _point_producers_at(url: str) -> None:
    # The app caches a connection pool and a producer pool for the broker it first used: forget both, so that the
    # next send looks them up for the new URL (kombu keeps one pool per URL and hands it back when it is restored).
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def private_redis(broker, settings) -> Iterator[harness.PrivateRedis]:
    """A Redis of the scenario's own serving as broker and cache, as one Redis does in a deployment."""
    server = harness.PrivateRedis()
    server.start()
    original = celery_app.conf.broker_url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    _point_producers_at(server.url)
    try:
        yield server
    finally:
        _point_producers_at(original)
        server.stop()


def test_deliveries_posted_while_redis_is_stopped_are_all_completed_by_the_sweeper(private_redis, tmp_path):
    count = harness.size("deliveries")
    repo = hostload.pull_request_repo(tmp_path / "origin", list(range(1, count + 1)))
    hostload.organisation(repo)
    sent = [hostload.Sent.new(hostload.pull_request_event(repo, n)) for n in repo.heads]

    private_redis.stop()
    started = time.monotonic()
    codes = hostload.post_all(sent)
    posting = time.monotonic() - started
    accepted = {i for i, code in codes.items() if code == 202}
    assert len(accepted) == count, f"{count - len(accepted)} deliveries refused while Redis was down: {codes}"
    assert Delivery.objects.filter(status=Delivery.Status.PROCESSED).count() == count  # stored and applied
    assert Change.objects.filter(diff_state=Change.DiffState.PENDING).count() == count  # their diffs wait
    # One refused connection per task sent, no retrying with sleeps (was ~2 s a task: kombu's connect retries).
    assert posting / count < 0.5, f"a stopped Redis held the host's requests: {posting:.1f} s for {count}"

    private_redis.start()
    restarted = time.monotonic()
    with harness.workers(tmp_path, REDIS_URL=private_redis.url) as pool:
        pool.start("after-restart")

        def swept_and_done() -> bool:
            sweep_unprocessed(0)  # what beat runs every minute
            time.sleep(1)
            return not Change.objects.exclude(diff_state=Change.DiffState.DONE).exists()

        harness.wait_for(
            swept_and_done,
            timeout=harness.PATIENCE,
            what=lambda: f"every diff pulled:\n{pool.log_tail('after-restart')}",
            every=0,
        )
        recovered = time.monotonic() - restarted

    found = harness.check_invariants(accepted)
    harness.record(
        Row(
            SCENARIO,
            attempted=count,
            accepted=len(accepted),
            processed=found.processed,
            lost=len(found.lost),
            duplicated=len(found.duplicated),
            recovered_in=recovered,
        )
    )
    harness.assert_invariants(found)
