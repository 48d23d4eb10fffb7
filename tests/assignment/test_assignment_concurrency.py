"""Assignments made by parallel workers on PostgreSQL: one active assignment per change, nobody past their cap."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from assignment.services import assign as assign_services
from assignment.services.assign import change_assign
from reviews.ledger.chain import GENESIS_HASH
from reviews.models import Assignment, Change, LedgerHead

WORKERS_PER_CHANGE = 2
CHANGES = 6
CAP = 2


def _slow(pick):
    """The real engine, then a pause: every worker has read the loads before any of them writes."""

    def slow_pick(*args, **kwargs):
        result = pick(*args, **kwargs)
        time.sleep(0.3)
        return result

    return slow_pick


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_assign_a_change_twice_nor_push_a_senior_past_the_cap(
    make_engineer, repository, monkeypatch
):
    LedgerHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    author = make_engineer(4)
    seniors = [make_engineer(6 + n, weekly_capacity_minutes=10_000, max_open_assignments=CAP) for n in range(3)]
    changes = [
        Change.objects.create(
            repository=repository,
            external_id=f"branch:{n}",
            title=f"change {n}",
            author=author,
            head_sha=f"{n:040x}",
            diff_sha=f"{n:040x}",
            diff_state="done",
            state="open",
            review_state="needs_sign_off",
            required_sign_offs=1,
            review_minutes=20,
            opened_at=timezone.now(),
        )
        for n in range(CHANGES)
    ]
    monkeypatch.setattr(assign_services, "pick_in_batch", _slow(assign_services.pick_in_batch))
    jobs = [c.pk for c in changes for _ in range(WORKERS_PER_CHANGE)]
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(change_id: int) -> None:
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                change = (
                    Change.objects.select_for_update(of=("self",))
                    .select_related("repository", "author")
                    .get(pk=change_id)
                )
                change_assign(change=change)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(change_id,)) for change_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    active = Assignment.objects.filter(state=Assignment.State.ACTIVE)
    per_change = {c.pk: active.filter(change=c).count() for c in changes}
    per_senior = {s.display_name: active.filter(reviewer=s).count() for s in seniors}
    assert all(n <= 1 for n in per_change.values()), f"a change was assigned twice: {per_change}"
    assert all(n <= CAP for n in per_senior.values()), f"a senior was pushed past the cap of {CAP}: {per_senior}"
    # Three seniors with two places each: with the locking right, every change finds one.
    assert sum(per_change.values()) == CHANGES
