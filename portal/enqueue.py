"""Sending Celery tasks by name, after commit, tolerating a broker outage.

Services enqueue through here instead of importing task modules: tasks stay the thin outer layer (they import
services), and no service <-> tasks import circle appears. The stored state is the source of truth; a task that
could not be sent is sent again by the sweeper (reviews.sweep_unprocessed), and a task noted as in flight is left
alone by it for the lease.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from portal.worker_liveness import holder_alive, sent_key

log = logging.getLogger(__name__)
_discovery = threading.Lock()


def task_named(name: str) -> Task:
    """The registered task of that name; the apps' tasks modules are imported on first use.

    The task object (not `send_task`) keeps eager mode working (demo runs without a broker) and sends
    with the task's own options.
    """
    from portal.celery import app

    try:
        return app.tasks[name]
    except KeyError:
        pass
    # One thread at a time: a second thread's import returns at once while the first one is still executing the
    # tasks modules (already in sys.modules, not yet registered), and its send failed with NotRegistered.
    with _discovery:
        app.loader.import_default_modules()  # autodiscovers every installed app's tasks module
    return app.tasks[name]


def _send(name: str, args: tuple[Any, ...]) -> bool:
    try:
        task_named(name).delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure: the stored state is the source of truth
        log.warning("could not enqueue %s%r; the sweeper will resend it", name, args, exc_info=True)
        return False
    return True


def send_task(name: str, *args: Any) -> bool:
    """Send a task now and note it as in flight for a while; False (logged) when the broker is down."""
    if not _send(name, args):
        return False
    try:
        cache.set(sent_key(name, args), 1, timeout=settings.PORTAL_TASK_LEASE_SECONDS)
    except Exception:  # noqa: BLE001 - without the note the sweeper merely sends the task once more
        log.warning("could not note %s%r as sent", name, args, exc_info=True)
    return True


def send_task_once(name: str, *args: Any) -> bool:
    """Send a task unless another sender has it in flight: the in-flight note is taken first (SET NX), so of
    several processes told of the same work, one sends it. False when another had it or Redis is down (logged)."""
    key = sent_key(name, args)
    try:
        if not cache.add(key, 1, timeout=settings.PORTAL_TASK_LEASE_SECONDS):
            return False
    except Exception:  # noqa: BLE001 - no cache, no broker either (one Redis): the sweeper resends it later
        log.warning("could not note %s%r as sent; the sweeper will send it", name, args, exc_info=True)
        return False
    if _send(name, args):
        return True
    try:
        cache.delete(key)  # not sent after all: the sweeper's next pass must not take it for in flight
    except Exception:  # noqa: BLE001 - the note then only delays the resend until its lease ends
        log.warning("could not clear the note of %s%r", name, args, exc_info=True)
    return False


def not_in_flight(name: str, ids: list[int]) -> list[int]:
    """The ids whose task nobody is working on: what the sweeper should send again.

    Held by a worker with a fresh heartbeat: in flight, however long ago it was sent (a retry waiting out
    its back-off). Held by a worker whose heartbeat stopped (killed): lost with it, send again now rather
    than wait for the lease. Held by no worker: in flight while the lease of its sending lasts (queued).
    """
    if not ids:
        return []
    keys = {sent_key(name, (i,)): i for i in ids}
    try:
        sent = cache.get_many(list(keys))
        holders = holder_alive(list(keys))
    except Exception:  # noqa: BLE001 - no cache: resend everything (tasks are idempotent)
        return ids
    return [i for key, i in keys.items() if not holders.get(key, key in sent)]


def enqueue_later(name: str, countdown: int, *args: Any) -> None:
    """Like `enqueue`, run no sooner than `countdown` seconds from now (a short wait: long ones belong to beat)."""

    def send() -> None:
        try:
            task_named(name).apply_async(args=args, countdown=countdown)
        except Exception:  # noqa: BLE001 - the stored state is the source of truth; the beat's dispatch resends
            log.warning("could not enqueue %s%r; the beat will send it", name, args, exc_info=True)

    transaction.on_commit(send)


def enqueue(name: str, *args: Any) -> None:
    """Send a task by name once the current transaction commits; if the broker is down, log it (the sweeper resends)."""
    transaction.on_commit(lambda: send_task(name, *args))
