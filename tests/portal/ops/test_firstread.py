"""A request's first read standing in for Django's connection health check (portal.ops.firstread)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from portal.ops.firstread import first_read
from reviews.models import Repository

pytestmark = pytest.mark.django_db(transaction=True)  # outside a transaction, as a request's first query is


def _as_at_a_request_start() -> None:
    connection.ensure_connection()
    connection.health_check_enabled = True
    connection.health_check_done = False  # what Django's request_started handler leaves for the first query


def test_a_healthy_kept_connection_is_not_checked_by_a_separate_round_trip(monkeypatch):
    _as_at_a_request_start()
    monkeypatch.setattr(connection, "is_usable", lambda: pytest.fail("a SELECT 1 was sent"))
    reads = []

    assert first_read(lambda: reads.append(1) or Repository.objects.count()) == 0
    assert reads == [1]
    assert Repository.objects.count() == 0  # later queries of the request: no check either


def test_a_read_on_a_connection_broken_while_idle_runs_again_on_a_new_one():
    _as_at_a_request_start()
    broken = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        # A database restart, for this one session; waited for, so the read below meets a closed connection.
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [broken])
    reads = []

    assert first_read(lambda: reads.append(1) or Repository.objects.count()) == 0
    assert len(reads) == 2
    assert connection.connection.info.backend_pid != broken
