"""The request id and the Celery task of the code now running, for log records (a logging filter) and messages."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from celery import Task, current_task

# What an incoming X-Request-ID may hold to be kept (a proxy's UUID or token, 8 to 128 plain characters); anything
# else is replaced by a fresh id, so a client cannot write arbitrary text or a huge value into every log line.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

request_id: ContextVar[str | None] = ContextVar("countersign_request_id", default=None)


def accept_or_make(incoming: str | None) -> str:
    """The incoming request id when well-formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def running_task() -> Task | None:
    """The Celery task this thread is running, if any."""
    task = current_task._get_current_object()
    if task is None or task.request is None or not task.request.id:
        return None
    return task


def current_request_id() -> str | None:
    """The id of the request being answered, or of the request that sent the running task; None outside both."""
    rid = request_id.get()
    if rid:
        return rid
    task = running_task()
    if task is not None:
        sent_by = getattr(task.request, "request_id", None)
        return sent_by if isinstance(sent_by, str) and WELL_FORMED.fullmatch(sent_by) else None
    return None


class ContextFilter(logging.Filter):
    """Adds request_id, task_id and task_name to every record (None outside a request or a task), and `context`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        task = running_task()
        record.task_id = task.request.id if task is not None else None
        record.task_name = task.name if task is not None else None
        # For plain text lines: the ids in brackets, or nothing outside a request and a task.
        ids = [f"request={record.request_id}"] if record.request_id else []
        ids += [f"task={record.task_name}[{record.task_id}]"] if task is not None else []
        record.context = f" [{' '.join(ids)}]" if ids else ""
        return True
