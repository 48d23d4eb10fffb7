"""Scenario 7: a git host that accepts the connection and never answers; the fetch is cut at its timeout and tried
again with back-off, and the worker goes on with other work meanwhile."""

from __future__ import annotations

import socket
import threading
import time

from reviews.models import Change, Repository
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "7. slow git host"
TIMEOUT = 2  # PORTAL_GIT_TIMEOUT_SECONDS of the worker
SLOW = "acme/slow"


class Tarpit:
    """A TCP server that accepts every connection and never sends a byte; notes when each one opened and closed."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.visits: list[list[float]] = []  # [opened, closed or 0]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            visit = [time.monotonic(), 0.0]
            self.visits.append(visit)
            threading.Thread(target=self._hold, args=(conn, visit), daemon=True).start()

    def _hold(self, conn: socket.socket, visit: list[float]) -> None:
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    if conn.recv(4096) == b"":
                        break  # the client hung up: the fetch was cut
                except TimeoutError:
                    continue
                except OSError:
                    break
        visit[1] = time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self.server.close()


def test_a_hanging_fetch_is_cut_at_its_timeout_and_retried_while_other_work_goes_on(broker, tmp_path):
    count = max(4, harness.size("killed_pulls") // 3)
    fast = hostload.pull_request_repo(tmp_path / "fast", list(range(1, count + 1)))
    slow_repo = hostload.pull_request_repo(tmp_path / "slow", [1])
    hostload.organisation(fast)
    tarpit = Tarpit()
    slow = Repository.objects.create(
        name=SLOW, provider=Repository.Provider.GITHUB, clone_url=f"https://127.0.0.1:{tarpit.port}/acme/slow.git"
    )
    try:
        with harness.workers(tmp_path, PORTAL_GIT_TIMEOUT_SECONDS=str(TIMEOUT)) as pool:
            pool.start("worker", concurrency=1)  # one thread: a stuck fetch would hold up everything behind it
            hanging = hostload.Sent.new(hostload.pull_request_event(slow_repo, 1, repository=SLOW))
            codes = hostload.post_all([hanging])
            harness.wait_for(lambda: len(tarpit.visits) >= 1, timeout=120, what="the fetch to reach the host")
            others = [hostload.Sent.new(hostload.pull_request_event(fast, n)) for n in fast.heads]
            codes |= hostload.post_all(others)
            fast_changes = Change.objects.filter(repository__name=hostload.REPOSITORY)
            harness.wait_for(
                lambda: fast_changes.filter(diff_state=Change.DiffState.DONE).count() == count,
                timeout=harness.PATIENCE,
                what=lambda: f"the other diffs while the host hangs:\n{pool.log_tail('worker')}",
            )
            harness.wait_for(
                lambda: len([v for v in tarpit.visits if v[1]]) >= 2,
                timeout=120,
                what=lambda: f"the hanging fetch to be cut and tried again: {tarpit.visits}\n{pool.log_tail('worker')}",
            )
            # The host answers again: the next try (after its back-off) pulls the diff.
            Repository.objects.filter(pk=slow.pk).update(clone_url=str(slow_repo.path))
            back = time.monotonic()

            def slow_done() -> bool:
                sweep_unprocessed(0)
                time.sleep(0.5)
                return Change.objects.filter(repository=slow, diff_state=Change.DiffState.DONE).exists()

            harness.wait_for(
                slow_done,
                timeout=harness.PATIENCE,
                what=lambda: f"the retried fetch:\n{pool.log_tail('worker')}",
                every=0,
            )
            recovered = time.monotonic() - back
    finally:
        tarpit.close()

    cut = [v[1] - v[0] for v in tarpit.visits if v[1]]
    accepted = {i for i, code in codes.items() if code == 202}
    found = harness.check_invariants(accepted)
    harness.record(
        Row(
            SCENARIO,
            attempted=len(codes),
            accepted=len(accepted),
            processed=found.processed,
            lost=len(found.lost),
            duplicated=len(found.duplicated),
            recovered_in=recovered,
            notes=[f"hanging fetches cut after {[round(c, 1) for c in cut]} s"],
        )
    )
    print(f"\n{SCENARIO}: fetches cut after {[round(c, 1) for c in cut]} s")  # noqa: T201
    assert all(c < TIMEOUT + 5 for c in cut), cut
    # Every try was cut, its connection closed (was: git killed, its transport helper left holding the socket).
    assert all(closed for _, closed in tarpit.visits), tarpit.visits
    harness.assert_invariants(found)
