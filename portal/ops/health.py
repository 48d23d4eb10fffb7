"""Liveness and readiness checks for a load balancer: each check is cheap, bounded in time and never raises."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from portal.ops.tasksignals import BEAT_LAST_KEY
from portal.worker_liveness import LATEST_KEY

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Check:
    """One readiness check's outcome; `required` checks make the portal unready when they fail."""

    ok: bool
    detail: str
    required: bool = False
    ms: float = 0.0


def _database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, "answered"


def _broker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "no broker: tasks run in-process"
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return True, "answered"


def _age(key: str) -> float | None:
    stamp = cache.get(key)
    return None if stamp is None else max(0.0, time.time() - float(stamp))


def _worker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "no workers: tasks run in-process"
    age = _age(LATEST_KEY)  # the key expires with the heartbeat's time to live
    if age is None:
        return False, f"no worker heartbeat in the last {settings.PORTAL_WORKER_HEARTBEAT_TTL} s"
    return True, f"last heartbeat {age:.0f} s ago"


def _beat() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "no beat: tasks run in-process"
    age = _age(BEAT_LAST_KEY)
    if age is None:
        return False, "beat has sent nothing yet"
    if age > settings.PORTAL_BEAT_STALE_SECONDS:
        return False, f"beat last sent a task {age:.0f} s ago"
    return True, f"last sent a task {age:.0f} s ago"


CHECKS: dict[str, Callable[[], tuple[bool, str]]] = {
    "database": _database,
    "broker": _broker,
    "worker": _worker,
    "beat": _beat,
}


def run_check(name: str) -> Check:
    """Run one check; an exception is a failed check with the exception's class as its detail."""
    started = time.monotonic()
    try:
        ok, detail = CHECKS[name]()
    except Exception as exc:  # noqa: BLE001 - a check reports any failure, it never raises
        # Only the exception's class in the answer, which anyone may read; the message (hosts, users) in the log.
        log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)  # no traceback per probe
        ok, detail = False, f"failed: {type(exc).__name__}"
        if name == "database":
            connection.close_if_unusable_or_obsolete()
    elapsed = (time.monotonic() - started) * 1000
    return Check(ok=ok, detail=detail, required=name in settings.PORTAL_READY_REQUIRED, ms=round(elapsed, 1))


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """(ready, every check's outcome): ready unless a required check failed."""
    results = {name: run_check(name) for name in CHECKS}
    ready = all(r.ok for r in results.values() if r.required)
    return ready, {name: asdict(r) for name, r in results.items()}
