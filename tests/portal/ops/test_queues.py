"""Separate queues: each kind of work has its own, and a flood of one does not starve the others."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from portal.celery import app as celery_app
from portal.conf import queues

FLOOD = 300
BASE_DIR = Path(__file__).resolve().parents[3]
ran: list[str] = []


@celery_app.task(name="ops.test_flood_item")
def _flood_item() -> None:
    ran.append("flood")
    time.sleep(0.01)


@celery_app.task(name="ops.test_other_queue_probe")
def _probe() -> None:
    ran.append("probe")


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("reviews.delivery_apply", "intake"),
        ("reviews.repository_poll", "intake"),
        ("reviews.change_pull_diff", "diffs"),
        ("hostsync.change_push", "hostwrites"),
        ("hostsync.sweep", "hostwrites"),
        ("notifications.deliver", "notifications"),
        ("incidents.weekly_report_build", "reports"),
        ("reviews.whatif_run", "reports"),
        ("reviews.sweep_unprocessed", "celery"),
        ("reviews.verify_ledger", "celery"),
    ],
)
def test_each_kind_of_task_has_its_queue(task, queue):
    assert queues.queue_of(task) == queue
    assert celery_app.amqp.router.route({}, task)["queue"].name == queue


def test_every_routed_task_exists():
    celery_app.loader.import_default_modules()
    assert set(queues.CELERY_TASK_ROUTES) <= set(celery_app.tasks)


def test_a_worker_started_without_q_consumes_every_queue():
    assert set(celery_app.amqp.queues) == set(queues.QUEUE_NAMES)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_flood_on_the_intake_queue_does_not_starve_notifications():
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.flushdb()
    ran.clear()
    for _ in range(FLOOD):
        _flood_item.apply_async(queue=queues.INTAKE)
    _probe.apply_async(queue=queues.NOTIFICATIONS)  # sent last, behind the whole flood
    assert broker.llen(queues.INTAKE) == FLOOD and broker.llen(queues.NOTIFICATIONS) == 1

    # One worker consuming every queue, as `make run-full` starts it: it takes from the queues in turn.
    started = time.monotonic()
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        deadline = time.monotonic() + 60
        while "probe" not in ran and time.monotonic() < deadline:
            time.sleep(0.05)
        waited = time.monotonic() - started
        left = broker.llen(queues.INTAKE)
    broker.flushdb()
    assert "probe" in ran
    before = ran.index("probe")
    assert before <= 5, f"the notification waited behind {before} flood tasks"
    assert left >= FLOOD - 50  # most of the flood was still waiting when the notification ran
    print(f"notification ran after {before} of {FLOOD} flood tasks, {waited:.2f} s after the worker started")  # noqa: T201


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_of_its_own_serves_its_queue_while_another_is_flooded(tmp_path):
    from tests.intake.test_reliability import _log_tail, _test_database_url, _wait_for

    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.flushdb()
    send = celery_app.send_task
    for n in range(FLOOD):
        send("reviews.delivery_apply", args=(10_000_000 + n,))  # routed to intake; nobody consumes it here
    send("notifications.dispatch_due")
    assert broker.llen(queues.INTAKE) == FLOOD and broker.llen(queues.NOTIFICATIONS) == 1

    # The documented command line of a notifications worker, as a real process.
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-not-secret",
    }
    argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "notifications", "--concurrency=1"]
    argv += ["-n", "notify@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    log_path = tmp_path / "notify.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_for(
            lambda: broker.llen(queues.NOTIFICATIONS) == 0 and broker.hlen("unacked") == 0,
            timeout=120,  # a cold worker process on a busy machine is slow to start
            what=lambda: f"the notifications worker to run its task:\n{_log_tail(log_path)}",
        )
        assert broker.llen(queues.INTAKE) == FLOOD  # the flood is untouched, waiting for intake workers
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        broker.flushdb()
    assert "Traceback" not in _log_tail(log_path)
