"""Scenario 5: every delivery sent twice, all of them shuffled and posted in parallel; the latest revision wins."""

from __future__ import annotations

import random
import time
from collections import Counter

from reviews.models import Change, Delivery
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "5. duplicates, out of order"
REVISIONS = 3


def test_deliveries_sent_twice_and_shuffled_make_one_change_per_pull_request_at_its_latest_revision(broker, tmp_path):
    count = harness.size("duplicated_pulls")
    repo = hostload.pull_request_repo(tmp_path / "origin", list(range(1, count + 1)), revisions=REVISIONS)
    hostload.organisation(repo, seniors=5)
    unique = [hostload.Sent.new(hostload.pull_request_event(repo, n, r)) for n in repo.heads for r in range(REVISIONS)]
    sent = unique * 2  # the host retried every one of them: same delivery id, same body
    random.Random(21).shuffle(sent)

    with harness.workers(tmp_path) as pool:
        pool.start("worker")
        codes: Counter[int] = Counter()
        for batch in (sent[: len(sent) // 2], sent[len(sent) // 2 :]):  # a repeat may race its first copy
            codes.update(hostload.post_all(batch, threads=6).values())
        posted = time.monotonic()
        # One answer per delivery id is kept by post_all; count what the host saw per request instead.
        stored = Delivery.objects.count()

        def latest_everywhere() -> bool:
            sweep_unprocessed(0)
            time.sleep(1)
            return not Change.objects.exclude(diff_state=Change.DiffState.DONE).exists()

        harness.wait_for(
            latest_everywhere,
            timeout=harness.PATIENCE,
            what=lambda: f"every diff pulled: {harness.progress()}\n{pool.log_tail('worker')}",
            every=0,
        )
        recovered = time.monotonic() - posted

    accepted = {s.delivery_id for s in unique}
    found = harness.check_invariants(accepted)
    per_pull = Counter(Change.objects.values_list("number", flat=True))
    found.duplicated += [f"pull request {n} has {k} changes" for n, k in per_pull.items() if k > 1]
    heads = dict(Change.objects.values_list("number", "head_sha"))
    found.lost += [
        f"pull request {n} is at {heads.get(n)}, not its latest revision"
        for n in repo.heads
        if heads.get(n) != repo.heads[n][-1]
    ]
    diffs = dict(Change.objects.values_list("number", "diff_sha"))
    found.lost += [
        f"pull request {n}'s diff is of {diffs.get(n)}" for n in repo.heads if diffs.get(n) != repo.heads[n][-1]
    ]
    harness.record(
        Row(
            SCENARIO,
            attempted=len(sent),
            accepted=len(accepted),
            processed=found.processed,
            lost=len(found.lost),
            duplicated=len(found.duplicated) + max(0, stored - len(unique)),
            recovered_in=recovered,
            notes=[f"{len(unique)} deliveries of {count} pull requests, each sent twice: answers {dict(codes)}"],
        )
    )
    harness.assert_invariants(found)
    assert stored == len(unique)
    assert len(per_pull) == count
