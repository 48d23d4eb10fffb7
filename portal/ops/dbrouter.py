"""Dashboard reads on a read replica: inside `replica_reads()` reads go to the `replica` database, if one is set.

Only code that asks for it (the dashboards, whose figures may lag a second behind) reads from the replica; every
other read stays on the default database, so a page never misses a write it has just made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings

REPLICA = "replica"
F = TypeVar("F", bound=Callable[..., Any])
_on_replica: ContextVar[bool] = ContextVar("countersign_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica when DATABASE_REPLICA_URL is set; to the default database otherwise."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def reads_from_replica(view: F) -> F:
    """Decorate a view whose reads may come from the replica."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def read_database() -> str:
    """The database alias reads go to now."""
    return REPLICA if _on_replica.get() and REPLICA in settings.DATABASES else "default"


class ReplicaRouter:
    """Sends reads inside `replica_reads()` to the replica; writes and migrations always to the default database."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        """The replica inside `replica_reads()`, else Django's default choice."""
        return REPLICA if _on_replica.get() and REPLICA in settings.DATABASES else None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        """Writes go to the default database."""
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        """The replica holds the same rows, so objects from either may be related."""
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        """Only the default database is migrated; the replica follows it by replication."""
        return db == "default"
