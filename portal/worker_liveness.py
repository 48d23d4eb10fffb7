"""Which worker holds which task, and whether that worker is still alive: lets the sweeper skip a dead worker's lease.

A worker writes a heartbeat into the cache every few seconds while it runs, and notes each task message it
takes (at `task_received`, so a reserved message not yet started counts too) under the task's in-flight key,
clearing the note when the task run ends. After `kill -9` the heartbeat stops; once it has expired the
sweeper knows the worker's tasks are held by nobody and sends them again at once (tasks are idempotent)
instead of waiting for the lease or for Redis's visibility timeout.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

from celery.signals import task_postrun, task_received, worker_ready, worker_shutdown
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

# One name per worker process start: a worker restarted under the same hostname must not revive the
# heartbeat its killed predecessor stopped writing.
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
_stop = threading.Event()
_thread: threading.Thread | None = None


def sent_key(task_name: str, args: tuple[Any, ...] | list[Any]) -> str:
    """The cache key under which a sent task counts as in flight (shared with the sweeper)."""
    return "sent:" + task_name + ":" + ":".join(str(a) for a in args)


def held_key(key: str) -> str:
    """The cache key naming the worker instance that holds the task of in-flight key `key`."""
    return "held:" + key


def alive_key(instance: str) -> str:
    """The cache key a live worker instance keeps refreshing."""
    return "alive:" + instance


# When any worker last wrote its heartbeat (a Unix time), for the readiness check (portal.ops.health).
LATEST_KEY = "alive-latest"


def beat_once(instance: str = INSTANCE) -> None:
    """Write one heartbeat, valid for PORTAL_WORKER_HEARTBEAT_TTL seconds."""
    cache.set_many({alive_key(instance): 1, LATEST_KEY: time.time()}, timeout=settings.PORTAL_WORKER_HEARTBEAT_TTL)


def _beat_forever() -> None:
    while not _stop.is_set():
        try:
            beat_once()
        except Exception:  # noqa: BLE001 - a cache outage must not end the heartbeat for good
            log.warning("could not write the worker heartbeat", exc_info=True)
        _stop.wait(settings.PORTAL_WORKER_HEARTBEAT_SECONDS)


@worker_ready.connect
def _start_heartbeat(**_: Any) -> None:
    # worker_ready fires in the worker's main process, which outlives its pool's children.
    global _thread
    if _thread is not None and _thread.is_alive():
        return  # a worker started again in the same process (tests) keeps the one heartbeat
    _stop.clear()
    _thread = threading.Thread(target=_beat_forever, name="countersign-heartbeat", daemon=True)
    _thread.start()


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    _stop.set()


@task_received.connect
def _note_held(request: Any = None, **_: Any) -> None:
    if request is None:
        return
    try:
        key = sent_key(request.task_name, tuple(request.args or ()))
        cache.set(held_key(key), INSTANCE, timeout=settings.PORTAL_TASK_LEASE_SECONDS)
    except Exception:  # noqa: BLE001 - without the note the sweeper falls back to the lease
        log.warning("could not note task %s as held", getattr(request, "id", "?"), exc_info=True)


@task_postrun.connect
def _clear_held(sender: Any = None, args: Any = None, state: str | None = None, **_: Any) -> None:
    # Also after a failure or a retry: a retry is a new message, noted again when a worker receives it.
    if sender is None:
        return
    key = sent_key(sender.name, tuple(args or ()))
    try:
        # A run that failed (the database went away under it, say) is no longer in flight: the next sweep sends it
        # again instead of waiting out the lease of its first sending.
        cache.delete_many([held_key(key), key] if state == "FAILURE" else [held_key(key)])
    except Exception:  # noqa: BLE001 - a stale note only means a resend, and tasks are idempotent
        log.warning("could not clear the held note of %s", sender.name, exc_info=True)


def holder_alive(keys: list[str]) -> dict[str, bool]:
    """For each in-flight key a worker took: whether that worker's heartbeat is still fresh."""
    holders = cache.get_many([held_key(k) for k in keys])
    if not holders:
        return {}
    alive = cache.get_many([alive_key(i) for i in set(holders.values())])
    return {k: alive_key(holders[held_key(k)]) in alive for k in keys if held_key(k) in holders}
