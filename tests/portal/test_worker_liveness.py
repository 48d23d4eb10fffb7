"""Heartbeats and held-task notes (portal.worker_liveness) as the sweeper reads them (not_in_flight)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from intake.tasks import change_pull_diff
from portal import worker_liveness
from portal.enqueue import not_in_flight
from portal.worker_liveness import beat_once, held_key, sent_key

LIVE, DEAD = "host:1:live", "host:2:dead"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("sent", "holder", "resend"),
    [
        (False, None, True),  # never sent, or its lease ran out: send it
        (True, None, False),  # sent, no worker has it yet: queued, within its lease
        (True, LIVE, False),  # a live worker runs it
        (False, LIVE, False),  # a live worker holds it past the lease (waiting out a retry)
        (True, DEAD, True),  # the worker that held it stopped its heartbeat: lost, send it again now
    ],
)
def test_not_in_flight_follows_the_holders_heartbeat_before_the_lease(sent, holder, resend):
    key = sent_key(change_pull_diff.name, (7,))
    beat_once(LIVE)
    if sent:
        cache.set(key, 1)
    if holder:
        cache.set(held_key(key), holder)

    assert not_in_flight(change_pull_diff.name, [7]) == ([7] if resend else [])


def test_a_received_task_is_noted_as_held_by_this_worker_until_its_run_ends():
    request = SimpleNamespace(id="t-1", task_name=change_pull_diff.name, args=[7])
    key = sent_key(change_pull_diff.name, (7,))

    worker_liveness._note_held(request=request)
    assert cache.get(held_key(key)) == worker_liveness.INSTANCE

    worker_liveness._clear_held(sender=change_pull_diff, args=(7,))
    assert cache.get(held_key(key)) is None


@pytest.mark.parametrize(("state", "still_in_flight"), [("SUCCESS", True), ("RETRY", True), ("FAILURE", False)])
def test_a_failed_run_is_no_longer_in_flight_so_the_next_sweep_sends_it_again(state, still_in_flight):
    key = sent_key(change_pull_diff.name, (7,))
    cache.set(key, 1)
    worker_liveness._note_held(request=SimpleNamespace(id="t-1", task_name=change_pull_diff.name, args=[7]))

    worker_liveness._clear_held(sender=change_pull_diff, args=(7,), state=state)

    assert cache.get(held_key(key)) is None
    assert not_in_flight(change_pull_diff.name, [7]) == ([] if still_in_flight else [7])
