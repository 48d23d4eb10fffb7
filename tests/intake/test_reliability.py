"""Nothing that arrives is lost: a dead broker, a killed worker, a task run twice and repeated polls, on Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from intake.services.repositories import repository_register
from intake.tasks import change_pull_diff, repository_poll
from portal.celery import app as celery_app
from portal.conf.queues import QUEUE_NAMES
from portal.enqueue import send_task
from portal.worker_liveness import alive_key, held_key, sent_key
from reviews.models import Change, ChangeFile, Delivery, Repository, Revision
from reviews.tasks import sweep_unprocessed
from tests.conftest import WorkRepo, git

pytestmark = pytest.mark.worker

BASE_DIR = Path(__file__).resolve().parents[2]  # the checkout: tests/intake/ is two levels down
GITHUB_SECRET = "gh-webhook-secret-for-reliability-tests"
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
VISIBILITY_TIMEOUT = 3


@pytest.fixture
def broker(transactional_db) -> redis.Redis:
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.flushdb()
    yield client
    client.close()


def _wait_for(
    predicate: Callable[[], bool], timeout: float = 60.0, what: str | Callable[[], str] = "the worker to finish"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def _queued(broker: redis.Redis) -> int:
    """Messages waiting on any of the portal's queues."""
    return sum(broker.llen(queue) for queue in QUEUE_NAMES)


def _idle(broker: redis.Redis) -> bool:
    """No message queued and none reserved; checked twice, since a message is briefly in neither place."""
    for _ in range(2):
        if _queued(broker) or broker.hlen("unacked"):
            return False
        time.sleep(0.3)
    return True


def _point_producers_at(url: str) -> None:
    # The app caches a connection pool and a producer pool for the broker it first used: forget both, so that
    # the next send looks them up for the new URL. kombu keeps one pool per URL and hands the same one back when
    # the URL is restored; force_close_all() would empty it for good, and the next send would wait forever.
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def _broker_down() -> Iterator[None]:
    original = celery_app.conf.broker_url
    _point_producers_at(DEAD_BROKER)
    try:
        yield
    finally:
        _point_producers_at(original)


def _github_repository(work_repo: WorkRepo) -> Repository:
    return Repository.objects.create(
        name="acme/shop", provider=Repository.Provider.GITHUB, clone_url=str(work_repo.path), default_branch="main"
    )


def _pull_request_head(work_repo: WorkRepo, number: int) -> str:
    """A head reachable only as refs/pull/<number>/head, as GitHub serves a fork's pull request."""
    work_repo.branch(f"fork-{number}")
    head = work_repo.commit({f"app/pr{number}.py": f"n = {number}\n"}, f"Pull request {number}")
    git(work_repo.path, "update-ref", f"refs/pull/{number}/head", head)
    work_repo.checkout("main")
    git(work_repo.path, "branch", "-q", "-D", f"fork-{number}")
    return head


def _pull_request_opened(number: int, head: str, base: str) -> dict:
    return {
        "action": "opened",
        "number": number,
        "repository": {"full_name": "acme/shop"},
        "pull_request": {
            "number": number,
            "title": f"Pull request {number}",
            "body": "Adds a module.",
            "user": {"login": "octocat"},
            "head": {"sha": head, "ref": f"fork-{number}"},
            "base": {"sha": base, "ref": "main"},
            "state": "open",
            "draft": False,
            "labels": [],
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-20T10:00:00Z",
        },
    }


def _post_github(client, payload: dict):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": signature,
    }
    return client.post(reverse("webhook-github"), body, content_type="application/json", headers=headers)


def _topic_change(work_repo: WorkRepo) -> Change:
    """An open change on a plain git repository whose diff has not been pulled yet."""
    repository = Repository.objects.create(name="acme/shop", clone_url=str(work_repo.path), default_branch="main")
    work_repo.commit({"README.md": "x\n"}, "Initial import")
    work_repo.branch("topic")
    head = work_repo.commit({"app/a.py": "a = 1\n", "app/b.py": "b = 1\n"}, "Topic work")
    work_repo.checkout("main")
    return Change.objects.create(
        repository=repository,
        external_id="branch:topic",
        title="Topic work",
        source_branch="topic",
        target_branch="main",
        head_sha=head,
        state=Change.State.OPEN,
        opened_at=timezone.now(),
    )


# --- a dead broker ----------------------------------------------------------------------------------


def test_deliveries_are_accepted_while_the_broker_is_down_and_the_sweeper_finishes_them(
    broker, client, settings, work_repo, caplog
):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    _github_repository(work_repo)
    base = work_repo.commit({"README.md": "x\n"}, "Initial import")
    heads = {number: _pull_request_head(work_repo, number) for number in (11, 12, 13)}

    with _broker_down(), caplog.at_level(logging.WARNING, logger="portal.enqueue"):
        for number, head in heads.items():
            started = time.monotonic()
            response = _post_github(client, _pull_request_opened(number, head, base))
            assert response.status_code == 202, response.content
            assert time.monotonic() - started < 5, "a dead broker must not hold the host's request"

    assert sum("the sweeper will resend it" in r.getMessage() for r in caplog.records) == 3
    assert list(Delivery.objects.values_list("status", flat=True)) == [Delivery.Status.PROCESSED] * 3
    changes = {c.number: c for c in Change.objects.all()}
    assert {n: (c.head_sha, c.diff_state) for n, c in changes.items()} == {
        n: (head, Change.DiffState.PENDING) for n, head in heads.items()
    }
    assert _queued(broker) == 0

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        sweep_unprocessed.delay(0)
        _wait_for(lambda: not Change.objects.exclude(diff_state=Change.DiffState.DONE).exists())

    for number, change in changes.items():
        assert list(change.files.values_list("path", flat=True)) == [f"app/pr{number}.py"]


# --- a worker killed in the middle of a task ---------------------------------------------------------


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _worker_process(log_dir: Path, name: str, visibility_timeout: int | None = VISIBILITY_TIMEOUT) -> subprocess.Popen:
    """A real `celery worker` process on the test database and broker, as deployed (default visibility if None)."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-not-secret",
        "PORTAL_DATA_DIR": str(django_settings.DATA_DIR),
    }
    if visibility_timeout is not None:
        env["PORTAL_CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
    argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--concurrency=1"]
    argv += ["--loglevel=INFO", f"--hostname={name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_dir / f"{name}.log", "wb") as log:
        return subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def _waiting_on_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL shows the same snapshot of pg_stat_activity on every read: drop it,
        # or a first look taken before the worker reached the lock would be repeated for ever.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def test_a_message_reserved_by_a_killed_worker_is_done_by_the_next_one(broker, work_repo, tmp_path):
    change = _topic_change(work_repo)
    processes: list[subprocess.Popen] = []
    try:
        # Hold the change's row so that the first worker is caught inside the task, after it reserved the message.
        with transaction.atomic():
            Change.objects.select_for_update().get(pk=change.pk)
            change_pull_diff.delay(change.pk)
            first = _worker_process(tmp_path, "first")
            processes.append(first)
            _wait_for(
                lambda: broker.hlen("unacked") == 1 and _waiting_on_a_row_lock(),
                timeout=120,  # a generous guard: a cold worker process on a busy machine is slow to start
                what=lambda: f"the first worker to reserve the task:\n{_log_tail(tmp_path / 'first.log')}",
            )
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)

        change.refresh_from_db()
        assert change.diff_state == Change.DiffState.PENDING
        assert not change.files.exists()
        assert broker.hlen("unacked") == 1 and _queued(broker) == 0  # the message is held, not lost

        # Once the visibility timeout has passed, the next worker to start puts the message back and runs it.
        (_, reserved_at), *_ = broker.zrange("unacked_index", 0, 0, withscores=True)
        time.sleep(max(0.0, reserved_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))
        second = _worker_process(tmp_path, "second")
        processes.append(second)
        _wait_for(
            lambda: Change.objects.filter(pk=change.pk, diff_state=Change.DiffState.DONE).exists(),
            timeout=60,
            what=lambda: f"the second worker to run the task:\n{_log_tail(tmp_path / 'second.log')}",
        )
        _wait_for(lambda: _idle(broker), timeout=15, what="the restored message to be acknowledged")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert change.revisions.count() == 1


def test_a_diff_pull_held_by_a_killed_worker_is_sent_again_once_its_heartbeat_stops(broker, work_repo, tmp_path):
    # Deployed settings: no short visibility timeout and the full lease; only the worker's heartbeat tells.
    change = _topic_change(work_repo)
    key = sent_key(change_pull_diff.name, (change.pk,))
    processes: list[subprocess.Popen] = []
    try:
        with transaction.atomic():
            Change.objects.select_for_update().get(pk=change.pk)
            assert send_task(change_pull_diff.name, change.pk)  # as the intake sends it: noted as in flight
            first = _worker_process(tmp_path, "first", visibility_timeout=None)
            processes.append(first)
            _wait_for(
                lambda: _waiting_on_a_row_lock() and cache.get(held_key(key)) is not None,
                timeout=120,  # a generous guard: a cold worker process on a busy machine is slow to start
                what=lambda: f"the first worker to take the task:\n{_log_tail(tmp_path / 'first.log')}",
            )
            holder = cache.get(held_key(key))
            assert cache.get(alive_key(holder)) == 1  # the first worker's heartbeat
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            killed_at = time.monotonic()

        second = _worker_process(tmp_path, "second", visibility_timeout=None)
        processes.append(second)
        assert sweep_unprocessed(0) == 0  # the heartbeat has not expired yet: the task still counts as held

        def swept_and_done() -> bool:
            sweep_unprocessed(0)  # what beat runs every minute
            time.sleep(0.8)
            return Change.objects.filter(pk=change.pk, diff_state=Change.DiffState.DONE).exists()

        _wait_for(
            swept_and_done,
            timeout=120,  # generous: heartbeat TTL (30 s) plus a cold worker's start on a busy machine
            what=lambda: f"the sweeper and second worker to pull the diff:\n{_log_tail(tmp_path / 'second.log')}",
        )
        recovered_in = time.monotonic() - killed_at
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    print(f"diff pulled {recovered_in:.1f} s after the worker holding it was killed")  # noqa: T201
    assert recovered_in < django_settings.PORTAL_TASK_LEASE_SECONDS  # well before the lease would have let it go
    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert change.revisions.count() == 1


# --- the same task twice at once ---------------------------------------------------------------------


def test_the_same_diff_task_run_twice_at_once_leaves_one_result(broker, work_repo):
    change = _topic_change(work_repo)
    results: list[str] = []

    def record(sender=None, retval=None, **kwargs) -> None:
        if getattr(sender, "name", "") == change_pull_diff.name:
            results.append(retval)

    task_postrun.connect(record, weak=False)
    try:
        # Both are queued before the worker starts, so that its two threads take them at the same moment.
        change_pull_diff.delay(change.pk)
        change_pull_diff.delay(change.pk)
        with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
            _wait_for(lambda: len(results) == 2 and _idle(broker), what=lambda: f"both tasks to finish ({results})")
    finally:
        task_postrun.disconnect(record)

    change.refresh_from_db()
    assert results == [Change.DiffState.DONE] * 2  # neither run failed on the other's fetch of the same mirror
    assert change.diff_state == Change.DiffState.DONE, change.diff_error
    assert sorted(ChangeFile.objects.filter(change=change).values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert Revision.objects.filter(change=change).count() == 1


# --- polling -----------------------------------------------------------------------------------------


def test_polling_again_records_only_the_new_commits(broker, work_repo):
    work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import")
    work_repo.commit({"app/core.py": "a = 2\n"}, "Tune a")
    repository = repository_register(name="acme/shop", url=str(work_repo.path))

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        repository_poll.delay(repository.pk)
        _wait_for(lambda: Change.objects.filter(diff_state=Change.DiffState.DONE).count() == 2)

        work_repo.commit({"app/core.py": "a = 3\n"}, "Tune a again")
        work_repo.commit({"app/extra.py": "e = 1\n"}, "Add extra")
        repository_poll.delay(repository.pk)
        repository_poll.delay(repository.pk)
        _wait_for(lambda: Change.objects.filter(diff_state=Change.DiffState.DONE).count() == 4)
        _wait_for(lambda: _idle(broker), what="every poll and diff to be acknowledged")

    changes = Change.objects.filter(repository=repository).order_by("opened_at", "pk")
    assert [c.title for c in changes] == ["Initial import", "Tune a", "Tune a again", "Add extra"]
    assert {c.state for c in changes} == {Change.State.MERGED}
    assert len({c.external_id for c in changes}) == 4
    assert list(changes.last().files.values_list("path", flat=True)) == ["app/extra.py"]


# --- the sweeper and tasks in flight ----------------------------------------------------------------


def test_the_sweeper_leaves_a_task_in_flight_alone_and_resends_it_after_its_lease(broker, work_repo):
    from django.core.cache import cache

    change = _topic_change(work_repo)
    Change.objects.filter(pk=change.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    broker.delete(*QUEUE_NAMES)

    assert sweep_unprocessed(0) == 1  # sent, and noted as in flight
    assert _queued(broker) == 1
    # A git-host outage: the task waits to retry. Later sweeps do not pile up copies of it.
    assert sweep_unprocessed(0) == 0
    assert sweep_unprocessed(0) == 0
    assert _queued(broker) == 1

    cache.delete(f"sent:reviews.change_pull_diff:{change.pk}")  # the lease ran out: the message may be lost
    assert sweep_unprocessed(0) == 1
    assert _queued(broker) == 2
