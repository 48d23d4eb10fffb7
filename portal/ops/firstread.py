"""A request's first query standing in for Django's connection health check (CONN_HEALTH_CHECKS).

With health checks on, Django sends `SELECT 1` before the first query of every request that reuses a kept
connection: a round trip to PostgreSQL for nothing when the connection is fine, which it nearly always is. A read
that can safely run twice does the same job: on a connection that broke while idle (a database restart) it fails
at once, and it runs again on a new connection, so the request still succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

T = TypeVar("T")


def first_read(read: Callable[[], T]) -> T:
    """Run `read` (read-only, safe to repeat) as the health check of a reused connection: again on a new one if
    the kept connection turns out broken. Outside a request's first query it simply runs `read`."""
    if (
        connection.connection is None
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return read()
    connection.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        connection.close()  # broken while idle; the next query connects again (a new connection is healthy)
        return read()
