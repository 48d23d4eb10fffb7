"""Celery signals for operations: task timings and failures as metrics, the request id carried into tasks,
beat's last send for the readiness check, and Celery leaving the logging to Django's LOGGING.

Imported by portal.celery, so every worker and beat process (and the web, which sends tasks) connects them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
)
from django.core.cache import cache

from portal.ops import metrics
from portal.ops.context import request_id

log = logging.getLogger(__name__)

BEAT_LAST_KEY = "beat-last-sent"
_in_beat = False
_started: dict[str, float] = {}


@setup_logging.connect
def _keep_django_logging(**_: Any) -> None:
    # Connected at all, this tells Celery not to replace the root logger's handlers: the worker logs through
    # settings.LOGGING (JSON lines with task ids) like the web processes.
    return None


@beat_init.connect
def _mark_beat(**_: Any) -> None:
    global _in_beat
    _in_beat = True


@before_task_publish.connect
def _stamp(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = request_id.get()
    if headers is not None:
        if rid:
            headers.setdefault("request_id", rid)  # the worker's log lines of this task name the request that sent it
        if not headers.get("eta"):
            headers.setdefault("sent_at", time.time())  # for the queue wait (a wall clock: hosts keep NTP time)
    if _in_beat:
        try:
            cache.set(BEAT_LAST_KEY, time.time(), timeout=None)
        except Exception:  # noqa: BLE001 - the readiness check then reports beat as stale, which it is not
            log.warning("could not note beat's last send", exc_info=True)


@task_prerun.connect
def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.monotonic()
    sent_at = getattr(getattr(task, "request", None), "sent_at", None)
    if isinstance(sent_at, int | float) and task is not None:
        metrics.TASK_WAIT.labels(task.name).observe(max(0.0, time.time() - sent_at))


@task_postrun.connect
def _task_ended(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None) if task_id else None
    if started is not None and task is not None:
        metrics.TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.monotonic() - started)


@task_failure.connect
def _task_failed(sender: Any = None, **_: Any) -> None:
    metrics.TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


@task_retry.connect
def _task_retried(sender: Any = None, **_: Any) -> None:
    metrics.TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()
