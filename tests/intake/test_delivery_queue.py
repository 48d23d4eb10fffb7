"""Deliveries stored and acknowledged in the request, applied by a real Celery worker (PORTAL_DELIVERY_APPLY=queue)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from intake.services import dispatch
from intake.services.deliveries import CHANNEL
from intake.services.repositories import repository_register
from portal.celery import app as celery_app
from reviews.models import Change, Delivery
from tests.intake.test_webhooks import GITHUB_SECRET, HEAD2, TITLE, at, load, post_github, queued

OPENED = "github/pull_request.opened.json"


@pytest.fixture
def queue_mode(settings):
    settings.PORTAL_DELIVERY_APPLY = "queue"
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()


@pytest.fixture
def shop(db, work_repo):
    return repository_register(name="octo/shop", url=str(work_repo.path), provider="github")


@pytest.fixture
def celery_worker(transactional_db, queue_mode):
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not apply the deliveries in time")


def all_applied() -> bool:
    return not Delivery.objects.filter(status=Delivery.Status.RECEIVED).exists()


@pytest.fixture
def announced(transactional_db) -> Iterator[psycopg.Connection]:
    """A connection of its own listening on the deliveries' channel, as an intake worker's listener does."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as listening:
        listening.execute(f"LISTEN {CHANNEL}")
        yield listening


def ids_announced(listening: psycopg.Connection) -> list[int]:
    return [int(n.payload) for n in listening.notifies(timeout=0.5)]


def test_accepted_delivery_is_stored_and_announced_in_two_queries_without_the_broker(
    transactional_db, client, shop, queue_mode, announced, django_assert_max_num_queries
):
    # As in production, outside any transaction: the repository's lookup (its secret), then the INSERT that
    # also NOTIFYs the intake workers. Nothing is sent to Redis: the stored row is the outbox.
    with django_assert_max_num_queries(2):
        response = post_github(client, "pull_request", load(OPENED))

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json() == {"detail": "accepted", "delivery": delivery.pk, "status": "received"}
    assert delivery.repository == shop
    assert (delivery.status, delivery.error, delivery.attempts) == (Delivery.Status.RECEIVED, "", 0)
    assert not Change.objects.exists()
    assert ids_announced(announced) == [delivery.pk]
    assert queued() == []


def test_duplicate_of_a_queued_delivery_answers_200_and_announces_nothing_more(client, shop, queue_mode, announced):
    first = post_github(client, "pull_request", load(OPENED), delivery="d-1")
    again = post_github(client, "pull_request", load(OPENED), delivery="d-1")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {
        "detail": "duplicate delivery, already received",
        "delivery": first.json()["delivery"],
        "status": "received",
    }
    assert ids_announced(announced) == [first.json()["delivery"]]


def test_a_delivery_is_accepted_and_kept_while_redis_is_down(client, shop, queue_mode, monkeypatch):
    def refused(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(redis.Redis, "execute_command", refused)
    response = post_github(client, "pull_request", load(OPENED))

    assert response.status_code == 202
    assert Delivery.objects.get().status == Delivery.Status.RECEIVED  # the sweeper sends it once Redis is back
    monkeypatch.undo()
    assert dispatch.deliveries_waiting(older_than_seconds=0) == [Delivery.objects.get().pk]


@pytest.fixture
def listener(transactional_db, queue_mode) -> Iterator[Callable[[], threading.Thread]]:
    """Starts deliveries_listen in a thread when called, as a worker's DeliveryListener does; stopped at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=dispatch.deliveries_listen, args=(stop,))
    yield lambda: thread.start() or thread
    stop.set()
    if thread.is_alive():
        thread.join(timeout=10)


def test_the_listener_sends_each_announced_delivery_once_and_on_starting_what_arrived_before(client, shop, listener):
    before = post_github(client, "pull_request", load(OPENED)).json()["delivery"]  # nobody was listening
    listener()
    wait_for(lambda: len(queued()) == 1)
    after = [post_github(client, "pull_request", load(OPENED)).json()["delivery"] for _ in range(3)]
    wait_for(lambda: len(queued()) == 4)

    assert sorted(queued()) == [("reviews.delivery_apply", [pk]) for pk in sorted([before, *after])]
    assert dispatch.deliveries_dispatch([before, *after]) == 0  # in flight: a second listener sends none again
    assert dispatch.deliveries_waiting(older_than_seconds=0) == []


def test_ping_is_answered_pong_in_the_request(client, shop, queue_mode):
    response = post_github(client, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})

    assert response.json()["detail"] == "pong"
    assert Delivery.objects.get().status == Delivery.Status.IGNORED
    assert queued() == []


def test_queued_delivery_becomes_a_change_through_the_worker(celery_worker, shop):
    response = post_github(Client(), "pull_request", load(OPENED))

    assert response.status_code == 202
    wait_for(all_applied)
    assert Delivery.objects.get().status == Delivery.Status.PROCESSED
    assert Change.objects.get(external_id="pr:42").title == TITLE


def test_same_event_posted_at_once_from_several_threads_makes_exactly_one_change(celery_worker, shop):
    opened = load(OPENED)
    # The host retried one delivery (same id) while sending the event under other ids too, all at the same moment.
    ids = ["retried"] * 4 + [str(uuid.uuid4()) for _ in range(4)]
    codes: list[int] = []
    start = threading.Barrier(len(ids))

    def send(delivery_id: str) -> None:
        try:
            start.wait()
            codes.append(post_github(Client(), "pull_request", opened, delivery=delivery_id).status_code)
        finally:
            connection.close()  # each thread held a real database connection of its own

    threads = [threading.Thread(target=send, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [200] * 3 + [202] * 5
    wait_for(all_applied)
    assert Delivery.objects.count() == 5
    assert Change.objects.filter(external_id="pr:42").count() == 1


def test_deliveries_arriving_out_of_order_keep_the_newest_state(celery_worker, shop):
    client = Client()
    post_github(client, "pull_request", load("github/pull_request.synchronize.json"))  # updated_at 11:00, first
    wait_for(all_applied)

    late = [post_github(client, "pull_request", load(name)) for name in (OPENED, "github/pull_request.edited.json")]

    assert [r.status_code for r in late] == [202, 202]
    wait_for(all_applied)
    change = Change.objects.get(external_id="pr:42")
    assert (change.title, change.head_sha, change.host_updated_at) == (TITLE, HEAD2, at(11))
