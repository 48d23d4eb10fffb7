"""End to end through a real Celery worker on the real Redis broker: what the fake host sees, and when.

Each scenario prints one row of the scenario table (writes expected, writes seen by the fake host, duplicates,
time to converge); the assertions are on the host's final state and on there being no duplicate, never on speed
(the time guards are generous).
"""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from hostsync.tasks import sweep
from intake.services.repositories import change_new_revision
from portal.celery import app as celery_app
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, HostConnection, HostSyncState
from reviews.services.signoff import review_submit

pytestmark = pytest.mark.worker
ROWS: list[str] = []


@pytest.fixture
def celery_worker(transactional_db):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def _wait_for(predicate, timeout: float = 90.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("the host did not converge in time")


def _row(name: str, expected: int, seen: int, duplicates: int, seconds: float) -> None:
    ROWS.append(f"| {name} | {expected} | {seen} | {duplicates} | {seconds:.2f} s |")
    print(ROWS[-1])


def _duplicates(fake) -> int:
    """Check runs beyond one per commit and state change are fine; more than one comment per pull request is not."""
    per_pr: dict[int, int] = {}
    for comment in fake.comments.values():
        per_pr[comment["number"]] = per_pr.get(comment["number"], 0) + 1
    return sum(n - 1 for n in per_pr.values())


def _shows(fake, sha: str, state: str) -> bool:
    """The host shows that state on the commit, and every write of the push has arrived (the outbox is clean)."""
    run = fake.shown(sha) or {}
    shown = "pending" if run.get("status") == "in_progress" else run.get("conclusion")
    return shown == state and _clean()


def _clean() -> bool:
    return not any(r.is_dirty for r in HostSyncState.objects.all())


def _approve(change: Change, senior) -> None:
    review_submit(
        change=change,
        reviewer=senior,
        verdict="approve",
        head_sha=change.head_sha,
        seconds_spent=60,
        confirm_fast=True,
    )


def test_pending_then_success_on_sign_off(celery_worker, gh_repo, fake_github, make_change, make_engineer):
    senior = make_engineer(6, username="sen", email="sen@example.com")
    change = make_change(gh_repo)
    _wait_for(lambda: (fake_github.shown(change.head_sha) or {}).get("status") == "in_progress")

    started = time.monotonic()
    _approve(change, senior)
    took = _wait_for(lambda: _shows(fake_github, change.head_sha, "success"))

    # create check + create comment, then update check + edit comment
    writes = len(fake_github.writes())
    _row("pending → success on sign-off", 4, writes, _duplicates(fake_github), took)
    assert writes == 4 and len(fake_github.check_runs) == 1 and len(fake_github.comments) == 1
    assert not fake_github.violations and time.monotonic() - started < 60


def test_request_changes_fails_the_check(celery_worker, gh_repo, fake_github, make_change, make_engineer):
    senior = make_engineer(6, username="sen", email="sen@example.com")
    change = make_change(gh_repo)
    _wait_for(lambda: fake_github.shown(change.head_sha) is not None)

    review_submit(change=change, reviewer=senior, verdict="request_changes", head_sha=change.head_sha, seconds_spent=60)
    took = _wait_for(lambda: _shows(fake_github, change.head_sha, "failure"))

    writes = len(fake_github.writes())
    _row("request changes → failure", 4, writes, _duplicates(fake_github), took)
    assert writes == 4 and "requested changes" in fake_github.shown(change.head_sha)["output"]["title"]
    assert not fake_github.violations


def test_new_revision_is_pending_again(celery_worker, gh_repo, fake_github, make_change, make_engineer):
    senior = make_engineer(6, username="sen", email="sen@example.com")
    change = make_change(gh_repo)
    _approve(change, senior)
    _wait_for(lambda: (fake_github.shown(change.head_sha) or {}).get("conclusion") == "success")
    before = len(fake_github.writes())

    new_head = "f" * 40
    change_new_revision(change=change, head_sha=new_head, base_sha="")
    took = _wait_for(lambda: _shows(fake_github, new_head, "pending"))

    writes = len(fake_github.writes()) - before
    _row("new revision → pending again", 2, writes, _duplicates(fake_github), took)
    assert took < 30 and fake_github.shown(change.head_sha)["conclusion"] == "success"  # the old head keeps its run
    assert not fake_github.violations


def test_host_down_for_a_run_of_100_changes(celery_worker, gh_repo, fake_github, make_change, make_engineer):
    senior = make_engineer(6, username="sen", email="sen@example.com")
    fake_github.switch.down = True
    changes = [make_change(gh_repo) for _ in range(100)]
    for change in changes[::2]:  # half of them are signed off while the host is down
        _approve(change, senior)
    _wait_for(lambda: HostSyncState.objects.filter(attempts__gt=0).count() >= 50)

    fake_github.switch.down = False
    sweep.delay()  # the beat's pass; the back-off retries arrive too
    took = _wait_for(_clean, timeout=300)
    wanted = {
        c.head_sha: ("completed", "success") if i % 2 == 0 else ("in_progress", None) for i, c in enumerate(changes)
    }
    shown = {sha: (fake_github.shown(sha) or {}) for sha in wanted}
    assert all((shown[sha].get("status"), shown[sha].get("conclusion")) == w for sha, w in wanted.items())
    # Down: nothing arrived. Up: at most one check run and one comment per change (the signed-off state wins
    # over the superseded pending one, which was never sent).
    arrived = len(fake_github.check_runs) + len(fake_github.comments)
    _row("host down for 100 changes, 50 signed off meanwhile", 200, arrived, _duplicates(fake_github), took)
    assert len(fake_github.check_runs) == 100 and len(fake_github.comments) == 100
    assert _duplicates(fake_github) == 0 and not fake_github.violations


def test_rate_limited_waits_and_resumes(celery_worker, gh_repo, fake_github, make_change):
    fake_github.switch.rate_limited_for = 3
    changes = [make_change(gh_repo) for _ in range(5)]
    took = _wait_for(_clean, timeout=120)

    assert all(fake_github.shown(c.head_sha) for c in changes)
    arrived = len(fake_github.check_runs) + len(fake_github.comments)
    _row("rate limited 3 s, 5 changes", 10, arrived, _duplicates(fake_github), took)
    assert len(fake_github.check_runs) == 5 and len(fake_github.comments) == 5
    assert HostConnection.objects.get(repository=gh_repo).paused_until is not None


def test_installation_removed_disconnects_without_a_retry_loop(celery_worker, gh_repo, fake_github, make_change):
    fake_github.switch.removed_installations.add(77)
    change = make_change(gh_repo)
    took = _wait_for(lambda: HostConnection.objects.get(repository=gh_repo).disconnected_at is not None)
    requests = len(fake_github.log)
    time.sleep(3)  # a retry loop would show up as further requests

    _row("installation removed", 0, len(fake_github.writes()), 0, took)
    assert len(fake_github.log) == requests and not fake_github.writes()
    assert HostSyncState.objects.get(pk=change.pk).is_dirty  # written once the App is installed again


def test_marks_coalesce_into_the_latest_state(celery_worker, gh_repo, fake_github, make_change, make_engineer):
    senior = make_engineer(6, username="sen", email="sen@example.com")
    fake_github.switch.latency = 0.3  # the first write is still in flight while the state changes twice
    change = make_change(gh_repo)
    with transaction.atomic():
        host_sync_mark(change_id=change.pk, reason="assigned")
    _approve(change, senior)
    took = _wait_for(lambda: _clean() and (fake_github.shown(change.head_sha) or {}).get("conclusion") == "success")

    writes = len(fake_github.writes())
    _row("three marks while writing (coalesced)", "≤ 4", writes, _duplicates(fake_github), took)
    assert writes <= 4 and len(fake_github.comments) == 1 and not fake_github.violations
