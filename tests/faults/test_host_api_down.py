"""Scenario 8: the host's API down, then rate-limited, while changes move; afterwards every status and comment
reaches it, the latest state winning, none twice (the fake GitHub of tests/hostsync checks every request)."""

from __future__ import annotations

import time

from hostsync.tasks import sweep
from reviews.models import HostSyncState
from reviews.services.signoff import review_submit
from tests.faults import harness
from tests.faults.harness import Row
from tests.hostsync.conftest import fake_github, gh_repo, make_change  # noqa: F401 - fixtures

SCENARIO = "8. host API down"


def _duplicates(fake) -> int:
    """Comments beyond one per pull request, and check runs beyond one per commit."""
    comments: dict[int, int] = {}
    for comment in fake.comments.values():
        comments[comment["number"]] = comments.get(comment["number"], 0) + 1
    runs: dict[str, int] = {}
    for run in fake.check_runs.values():
        runs[run["head_sha"]] = runs.get(run["head_sha"], 0) + 1
    return sum(n - 1 for n in comments.values()) + sum(n - 1 for n in runs.values())


def _clean() -> bool:
    return not any(state.is_dirty for state in HostSyncState.objects.all())


def test_statuses_and_comments_reach_the_host_after_an_outage_and_a_rate_limit_latest_state_once(
    broker,
    fake_github,  # noqa: F811
    gh_repo,  # noqa: F811
    make_change,  # noqa: F811
    make_engineer,
    tmp_path,
):
    count = harness.size("moving")
    senior = make_engineer(6, username="sen", email="sen@example.com")
    fake_github.switch.down = True
    env = {
        "PORTAL_GITHUB_APP_ID": fake_github.app_id,
        "PORTAL_GITHUB_APP_PRIVATE_KEY": fake_github.private_key,
        "PORTAL_BASE_URL": "https://countersign.example",
        "PORTAL_HOST_BACKOFF_SECONDS": "1",
        "PORTAL_HOST_BACKOFF_MAX": "2",
    }
    with harness.workers(tmp_path, **env) as pool:
        pool.start("worker", concurrency=4)
        changes = [make_change(gh_repo) for _ in range(count)]
        # They move while the host is down: a third signed off, a third sent back to the author, a third waiting.
        wanted = {}
        for i, change in enumerate(changes):
            verdict = ("approve", "request_changes", None)[i % 3]
            if verdict:
                review_submit(
                    change=change,
                    reviewer=senior,
                    verdict=verdict,
                    head_sha=change.head_sha,
                    seconds_spent=60,
                    confirm_fast=True,
                )
            wanted[change.head_sha] = {
                "approve": ("completed", "success"),
                "request_changes": ("completed", "failure"),
                None: ("in_progress", None),
            }[verdict]
        harness.wait_for(
            lambda: HostSyncState.objects.filter(attempts__gt=0).count() >= count // 2,
            timeout=harness.PATIENCE,
            what=lambda: f"the writes to fail against the host:\n{pool.log_tail('worker')}",
        )
        arrived_while_down = len(fake_github.check_runs) + len(fake_github.comments)
        fake_github.switch.down = False
        fake_github.switch.rate_limited_for = 3  # back, and at once out of requests for a while
        back = time.monotonic()
        sweep.delay()  # the beat's pass; the back-off retries arrive too

        def converged() -> bool:
            time.sleep(0.5)
            return _clean()

        harness.wait_for(
            converged,
            timeout=harness.PATIENCE,
            what=lambda: f"every write to reach the host:\n{pool.log_tail('worker')}",
            every=0,
        )
        recovered = time.monotonic() - back

    shown = {sha: (fake_github.shown(sha) or {}) for sha in wanted}
    wrong = [sha for sha, w in wanted.items() if (shown[sha].get("status"), shown[sha].get("conclusion")) != w]
    missing_comments = count - len({c["number"] for c in fake_github.comments.values()})
    found = harness.check_invariants(set())
    duplicated = _duplicates(fake_github)
    harness.record(
        Row(
            SCENARIO,
            attempted=2 * count,  # a check run and a comment per change
            accepted=2 * count,
            processed=2 * count - len(wrong) - missing_comments,
            lost=len(wrong) + missing_comments,
            duplicated=duplicated + len(found.duplicated),
            recovered_in=recovered,
        )
    )
    assert arrived_while_down == 0
    assert not wrong, f"{len(wrong)} commits do not show their latest state"
    assert missing_comments == 0 and duplicated == 0
    assert not fake_github.violations, fake_github.violations[:5]
    harness.assert_invariants(found)
