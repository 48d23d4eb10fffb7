"""Scenario 2: a worker process killed with SIGKILL in the middle of diff pulls and assignments; another takes over."""

from __future__ import annotations

import logging
import time
from collections import Counter

from reviews.models import AuditEvent, Change, Revision
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "2. worker killed"


def _done() -> int:
    return Change.objects.filter(diff_state=Change.DiffState.DONE).count()


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(broker, tmp_path, caplog):
    count = harness.size("killed_pulls")
    repo = hostload.pull_request_repo(tmp_path / "origin", list(range(1, count + 1)))
    hostload.organisation(repo, seniors=5)
    with caplog.at_level(logging.WARNING, logger="portal.enqueue"):
        codes = hostload.post_all([hostload.Sent.new(hostload.pull_request_event(repo, n)) for n in repo.heads])
    accepted = {i for i, code in codes.items() if code == 202}
    assert len(accepted) == count
    # The first requests of a process, on parallel threads, each send a task (was: NotRegistered while another
    # thread was still importing the tasks modules, and the diff waited for the sweeper).
    assert not [r.getMessage() for r in caplog.records if r.name == "portal.enqueue"]

    with harness.workers(tmp_path) as pool:
        pool.start("doomed", concurrency=2)
        # Killed once a fifth of the diffs are in: the rest are queued, reserved, or half-way through a transaction.
        harness.wait_for(
            lambda: _done() >= max(1, count // 5),
            timeout=180,
            what=lambda: f"the first worker to start pulling diffs:\n{pool.log_tail('doomed')}",
            every=0.05,
        )
        pool.kill("doomed")
        killed = time.monotonic()
        at_kill = _done()
        pool.start("successor", concurrency=2)

        def swept_and_done() -> bool:
            sweep_unprocessed(0)  # beat's sweep: resends what the dead worker held once its heartbeat expired
            time.sleep(1)
            return _done() == count

        harness.wait_for(
            swept_and_done,
            timeout=harness.PATIENCE,
            what=lambda: f"every diff pulled ({_done()} of {count}):\n{pool.log_tail('successor')}",
            every=0,
        )
        recovered = time.monotonic() - killed

    found = harness.check_invariants(accepted)
    revisions = Counter(Revision.objects.values_list("change_id", "head_sha"))
    assigned = Counter(AuditEvent.objects.filter(action="change.assigned").values_list("target_id", flat=True))
    found.duplicated += [f"change {c} has revision {sha} {n} times" for (c, sha), n in revisions.items() if n > 1]
    found.duplicated += [f"change {c} was assigned {n} times" for c, n in assigned.items() if n > 1]
    harness.record(
        Row(
            SCENARIO,
            attempted=count,
            accepted=len(accepted),
            processed=found.processed,
            lost=len(found.lost),
            duplicated=len(found.duplicated),
            recovered_in=recovered,
            notes=[f"killed with {at_kill} of {count} diffs pulled"],
        )
    )
    harness.assert_invariants(found)
    assert at_kill < count, "the worker finished before it was killed: nothing was tested"
    assert len(assigned) == count  # every change reached a senior, exactly once
