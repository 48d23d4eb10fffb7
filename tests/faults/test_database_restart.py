"""Scenario 3: the database drops every connection (what a restart looks like to the portal) under a load of
deliveries, served by gunicorn as deployed; only the requests in flight fail, the host redelivers them."""

from __future__ import annotations

import threading
import time

import psycopg
from django.db import connection

from reviews.models import Change
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "3. database restart"
RESTARTS = 3


def _terminate_every_other_backend() -> int:
    """pg_terminate_backend on every session of the test database but this one (never the machine's server)."""
    with psycopg.connect(harness.test_database_url(), autocommit=True) as own:
        row = own.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return row[0]


def test_dropped_database_connections_fail_only_the_requests_in_flight(broker, tmp_path):
    count = harness.size("db_load")
    repo = hostload.pull_request_repo(tmp_path / "origin", list(range(1, count + 1)))
    hostload.organisation(repo)
    sent = [hostload.Sent.new(hostload.pull_request_event(repo, n)) for n in repo.heads]
    answers: dict[str, hostload.Answer] = {}
    restarts: list[tuple[float, float, int]] = []  # (before, after, sessions ended)

    with (
        harness.workers(tmp_path) as pool,
        harness.web_server(tmp_path, PORTAL_GITHUB_WEBHOOK_SECRET=hostload.GITHUB_SECRET) as base,
    ):
        pool.start("worker")
        first = sent[: len(sent) // 4]  # warms the server's connections, which the restarts then cut
        answers.update(hostload.post_all_http(base, first))
        storm_done = threading.Event()

        def storm() -> None:
            for _ in range(RESTARTS):
                time.sleep(0.7)
                before = time.monotonic()
                ended = _terminate_every_other_backend()
                restarts.append((before, time.monotonic(), ended))
            storm_done.set()

        stormer = threading.Thread(target=storm)
        stormer.start()
        answers.update(hostload.post_all_http(base, sent[len(first) :]))
        stormer.join(timeout=60)
        connection.close()  # this test's own session was among those ended

        def in_flight(answer: hostload.Answer) -> bool:
            return any(answer.started <= after and answer.ended >= before for before, after, _ in restarts)

        rejected = [i for i, a in answers.items() if not 200 <= a.code < 300]
        outside = [(i, answers[i].code) for i in rejected if not in_flight(answers[i])]
        # The host redelivers what was refused, under the same delivery id, until it is accepted.
        redelivered = 0
        by_id = {s.delivery_id: s for s in sent}
        for _ in range(5):
            again = [by_id[i] for i, a in answers.items() if not 200 <= a.code < 300]
            if not again:
                break
            redelivered += len(again)
            answers.update(hostload.post_all_http(base, again))
        accepted = {i for i, a in answers.items() if 200 <= a.code < 300}
        last_restart = restarts[-1][1]

        def swept_and_done() -> bool:
            sweep_unprocessed(0)  # beat's sweep: applies deliveries stored but not applied, resends lost diffs
            time.sleep(1)
            return not Change.objects.exclude(diff_state=Change.DiffState.DONE).exists() and (
                Change.objects.count() == count
            )

        harness.wait_for(
            swept_and_done,
            timeout=harness.PATIENCE,
            what=lambda: f"every delivery processed: {harness.progress()}\n{pool.log_tail('worker')}",
            every=0,
        )
        recovered = time.monotonic() - last_restart

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
            notes=[f"{len(rejected)} refused during {RESTARTS} restarts, {redelivered} redelivered"],
        )
    )
    print(f"\n{SCENARIO}: {len(rejected)} refused, {len(outside)} outside a restart, {restarts}")  # noqa: T201
    assert sum(ended for _, _, ended in restarts) > 0, "no session was ended: nothing was tested"
    assert not outside, f"requests that started after a restart failed: {outside[:10]}"
    assert len(accepted) == count
    harness.assert_invariants(found)
