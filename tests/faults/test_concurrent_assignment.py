"""Scenario 4: four workers, each on its own database connection, assign changes among 50 seniors with caps."""

from __future__ import annotations

import threading
import time

from django.db import connection, transaction
from django.utils import timezone

from assignment.services.assign import change_assign
from reviews.models import Assignment, Change, Engineer
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "4. concurrent assignment"
WORKERS = 4


def test_four_workers_assign_changes_without_a_double_assignment_or_a_senior_past_the_cap(broker, tmp_path):
    count, seniors = harness.size("changes"), harness.size("seniors")
    cap = max(1, count * 4 // 5 // seniors)  # places for four changes in five: the caps are reached
    repo = hostload.pull_request_repo(tmp_path / "origin", [])
    repository = hostload.organisation(repo, seniors=seniors, cap=cap)
    author = Engineer.objects.get(github_login=hostload.AUTHOR_LOGIN)
    now = timezone.now()
    Change.objects.bulk_create(
        Change(
            repository=repository,
            external_id=f"pr:{n}",
            number=n,
            title=f"Change {n}",
            author=author,
            head_sha=f"{n:040x}",
            diff_sha=f"{n:040x}",
            diff_state=Change.DiffState.DONE,
            state=Change.State.OPEN,
            review_state=Change.ReviewState.NEEDS_SIGN_OFF,
            required_sign_offs=1,
            review_minutes=10,
            opened_at=now,
        )
        for n in range(1, count + 1)
    )
    pending = list(Change.objects.values_list("pk", flat=True))
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def worker() -> None:
        try:
            start.wait(timeout=30)
            while True:
                with lock:
                    if not pending:
                        return
                    change_id = pending.pop()
                with transaction.atomic():
                    change = (
                        Change.objects.select_for_update(of=("self",))
                        .select_related("repository", "author")
                        .get(pk=change_id)
                    )
                    change_assign(change=change)
        except BaseException as exc:  # reported below, with the others  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * harness.PATIENCE)
    took = time.monotonic() - started

    assert not errors, errors[:3]
    places = seniors * cap
    assigned = Assignment.objects.filter(state=Assignment.State.ACTIVE).values("change_id").distinct().count()
    found = harness.check_invariants(set())
    left_waiting = count - assigned
    harness.record(
        Row(
            SCENARIO,
            attempted=count,
            accepted=count,
            processed=assigned + min(left_waiting, max(0, count - places)),  # the rest wait for a free place
            lost=max(0, min(count, places) - assigned),
            duplicated=len(found.duplicated),
            recovered_in=took,
            notes=[f"{seniors} seniors with a cap of {cap}: {places} places for {count} changes"],
        )
    )
    harness.assert_invariants(found)
    assert assigned == min(count, places), f"{assigned} assigned, {places} places for {count} changes"
