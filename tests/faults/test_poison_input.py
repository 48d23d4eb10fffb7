"""Scenario 6: a delivery whose processing always fails is retried with back-off, then parked as failed with its
error on the admins' delivery log, while the deliveries around it go through."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from reviews.models import Change, Delivery
from reviews.tasks import sweep_unprocessed
from tests.faults import harness, hostload
from tests.faults.harness import Row

SCENARIO = "6. poison input"
POISON = 666
ATTEMPTS = 4
BASE = 1  # seconds: tried again after 1, 2, 4 s


@pytest.fixture
def poison_trigger(broker) -> Iterator[None]:
    """The database refuses the change of one pull request, whatever writes it (web server or worker)."""
    table = Change._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION faults_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.external_id = 'pr:{POISON}' THEN RAISE EXCEPTION 'poison pull request {POISON}'; END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER faults_poison BEFORE INSERT OR UPDATE ON {table} "  # noqa: S608
            "FOR EACH ROW EXECUTE FUNCTION faults_poison()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS faults_poison ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS faults_poison()")


def test_a_poison_delivery_is_retried_with_back_off_then_parked_without_blocking_the_others(
    poison_trigger, tmp_path, settings
):
    settings.PORTAL_DELIVERY_MAX_ATTEMPTS, settings.PORTAL_DELIVERY_RETRY_BASE_SECONDS = ATTEMPTS, BASE
    count = harness.size("killed_pulls")
    numbers = [POISON, *range(1, count + 1)]
    repo = hostload.pull_request_repo(tmp_path / "origin", numbers)
    hostload.organisation(repo)
    sent = [hostload.Sent.new(hostload.pull_request_event(repo, n)) for n in numbers]
    poison = sent[0].delivery_id
    codes = hostload.post_all(sent)
    accepted = {i for i, code in codes.items() if code == 202}
    assert accepted == set(codes), codes  # the poison one too: stored, and its failure is the portal's to retry
    assert Delivery.objects.get(delivery_id=poison).attempts == 1

    tries: list[tuple[float, int]] = []  # (when, attempts) each time the attempts grew
    env = {"PORTAL_DELIVERY_MAX_ATTEMPTS": str(ATTEMPTS), "PORTAL_DELIVERY_RETRY_BASE_SECONDS": str(BASE)}
    with harness.workers(tmp_path, **env) as pool:
        pool.start("worker")
        started = time.monotonic()

        def parked_and_others_done() -> bool:
            sweep_unprocessed(0)
            delivery = Delivery.objects.get(delivery_id=poison)
            if not tries or tries[-1][1] != delivery.attempts:
                tries.append((time.monotonic(), delivery.attempts))
            others = Change.objects.exclude(external_id=f"pr:{POISON}")
            done = not others.exclude(diff_state=Change.DiffState.DONE).exists() and others.count() == count
            return done and delivery.status == Delivery.Status.FAILED

        harness.wait_for(
            parked_and_others_done,
            timeout=harness.PATIENCE,
            what=lambda: f"the poison parked and the others done: {harness.progress()}\n{pool.log_tail('worker')}",
            every=0.2,
        )
        recovered = time.monotonic() - started

    parked = Delivery.objects.get(delivery_id=poison)
    assert (parked.status, parked.attempts) == (Delivery.Status.FAILED, ATTEMPTS)
    assert f"poison pull request {POISON}" in parked.error
    gaps = [later[0] - earlier[0] for earlier, later in zip(tries[1:], tries[2:], strict=False)]
    # After the sweeper's first resend, each wait doubles: 1 s then 2 s (less the polling's granularity).
    assert [t[1] for t in tries] == list(range(1, ATTEMPTS + 1)), tries
    assert all(gap >= BASE * 2**i * 0.8 for i, gap in enumerate(gaps)), gaps

    admin = get_user_model().objects.create_user(username="admin", password="pw-for-tests-only", is_staff=True)
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("reviews:delivery-list"), {"status": "failed"}).content.decode()
    assert poison[:15] in page and f"poison pull request {POISON}" in page

    found = harness.check_invariants(accepted, parked={poison})
    harness.record(
        Row(
            SCENARIO,
            attempted=len(sent),
            accepted=len(accepted),
            processed=found.processed + 1,  # the poison one, parked as failed with its error
            lost=len(found.lost),
            duplicated=len(found.duplicated),
            recovered_in=recovered,
            notes=[f"poison tried {parked.attempts} times, waits {[round(g, 1) for g in gaps]} s"],
        )
    )
    harness.assert_invariants(found)
