"""Assigning every change left waiting in one batch (assignment.services.assign.changes_assign_waiting)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from assignment.tasks import assign_waiting
from reviews.ledger.chain import GENESIS_HASH
from reviews.models import Assignment, Change, LedgerHead


def _waiting(repository, author, n: int, **extra) -> Change:
    return Change.objects.create(
        repository=repository,
        external_id=f"branch:{n}",
        title=f"change {n}",
        author=author,
        head_sha=f"{n:040x}",
        diff_sha=f"{n:040x}",
        diff_state="done",
        state=extra.pop("state", "open"),
        review_state=extra.pop("review_state", "needs_sign_off"),
        required_sign_offs=1,
        review_minutes=20,
        opened_at=timezone.now(),
        **extra,
    )


@pytest.fixture
def waiting(db, make_engineer, repository):
    """Five changes waiting with nobody assigned, one already assigned, one merged, one with changes requested."""
    author = make_engineer(4)
    seniors = [make_engineer(6 + n % 3, weekly_capacity_minutes=10_000) for n in range(4)]
    changes = [_waiting(repository, author, n) for n in range(5)]
    taken = _waiting(repository, author, 5)
    Assignment.objects.create(change=taken, reviewer=seniors[0], reason="x", estimated_minutes=20)
    _waiting(repository, author, 6, state="merged", merged_at=timezone.now())
    _waiting(repository, author, 7, review_state="changes_requested")
    return seniors, changes, taken


def test_the_task_assigns_every_waiting_change_once(waiting):
    seniors, changes, taken = waiting

    assert assign_waiting() == 5
    assert assign_waiting() == 0

    active = Assignment.objects.filter(state=Assignment.State.ACTIVE)
    assert sorted(active.values_list("change_id", flat=True)) == sorted([c.pk for c in changes] + [taken.pk])
    assert {a.reviewer_id for a in active} <= {s.pk for s in seniors}


def test_the_history_of_the_batch_is_read_once(waiting, django_assert_max_num_queries):
    with django_assert_max_num_queries(1000) as captured:
        assert assign_waiting() == 5

    history = [q for q in captured.captured_queries if "reviews_pathknowledge" in q["sql"]]
    assert len(history) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_assign_a_change_twice(make_engineer, repository):
    LedgerHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    author = make_engineer(4)
    for n in range(3):
        make_engineer(6 + n, weekly_capacity_minutes=10_000)
    changes = [_waiting(repository, author, n) for n in range(8)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=30)
            assign_waiting()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    active = Assignment.objects.filter(state=Assignment.State.ACTIVE)
    assert sorted(active.values_list("change_id", flat=True)) == sorted(c.pk for c in changes)
