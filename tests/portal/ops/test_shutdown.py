"""Graceful shutdown: a worker told to stop (SIGTERM) finishes the task it is running before it exits; a killed
worker's task goes back to the queue (acks_late and reject_on_worker_lost, see tests/intake/test_reliability.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from intake.tasks import change_pull_diff
from portal.celery import app as celery_app
from reviews.models import Change
from tests.intake.test_reliability import (
    BASE_DIR,
    _log_tail,
    _queued,
    _test_database_url,
    _topic_change,
    _wait_for,
    _waiting_on_a_row_lock,
    broker,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.worker


def test_every_task_acknowledges_late_and_is_requeued_if_its_worker_dies():
    celery_app.loader.import_default_modules()
    ours = [t for name, t in celery_app.tasks.items() if not name.startswith("celery.")]
    assert len(ours) >= 20
    # Every task is idempotent (tasks.py: "running a task twice does no harm"), so every one may run again.
    assert [t.name for t in ours if not t.acks_late] == []
    assert [t.name for t in ours if not t.reject_on_worker_lost] == []
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1  # a stopping worker holds one message at most


def _prefork_worker(log_path, name: str) -> subprocess.Popen:
    """A `celery worker` as deployed (prefork, one child) on the test database and broker."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-not-secret",
        "PORTAL_DATA_DIR": str(django_settings.DATA_DIR),
        "PORTAL_LOG_FORMAT": "text",
    }
    argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=prefork", "--concurrency=1"]
    argv += ["--loglevel=INFO", f"--hostname={name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def test_a_worker_told_to_stop_finishes_its_task_first(broker, work_repo, tmp_path):  # noqa: F811
    change = _topic_change(work_repo)
    log_path = tmp_path / "worker.log"
    worker = None
    try:
        # Hold the change's row so that the worker is caught inside the task when it is told to stop.
        with transaction.atomic():
            Change.objects.select_for_update().get(pk=change.pk)
            change_pull_diff.delay(change.pk)
            worker = _prefork_worker(log_path, "stopping")
            _wait_for(
                lambda: broker.hlen("unacked") == 1 and _waiting_on_a_row_lock(),
                timeout=120,  # a cold worker process on a busy machine is slow to start
                what=lambda: f"the worker to start the task:\n{_log_tail(log_path)}",
            )
            worker.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert worker.poll() is None, "the worker left with its task unfinished"
            told_at = time.monotonic()
        # The row is released: the task goes on, completes, and only then does the worker exit.
        assert worker.wait(timeout=60) == 0, _log_tail(log_path)
        stopped_in = time.monotonic() - told_at
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    change.refresh_from_db()
    assert change.diff_state == Change.DiffState.DONE
    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert broker.hlen("unacked") == 0 and _queued(broker) == 0  # acknowledged, not left for another worker
    assert "Warm shutdown" in _log_tail(log_path)
    print(f"worker finished its task and exited {stopped_in:.1f} s after the lock was released")  # noqa: T201
