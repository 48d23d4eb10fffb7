"""Celery queues: one per kind of work, so that a flood of one (a burst of deliveries, a report build) cannot
starve the others; everything not routed here stays on the default `celery` queue.

A worker started without `-Q` consumes every queue below (what `make run-full` and the tests do); in production
each queue can get workers of its own, e.g. `celery -A portal worker -Q intake,diffs` (see the README).
"""

from __future__ import annotations

from kombu import Queue

DEFAULT_QUEUE = "celery"
INTAKE = "intake"
DIFFS = "diffs"
HOST_WRITES = "hostwrites"
NOTIFICATIONS = "notifications"
REPORTS = "reports"

QUEUE_NAMES = (DEFAULT_QUEUE, INTAKE, DIFFS, HOST_WRITES, NOTIFICATIONS, REPORTS)

_ROUTED = {
    INTAKE: (
        "reviews.delivery_apply",
        "reviews.repository_poll",
        "reviews.poll_repositories",
        "reviews.deployment_from_host",
        "reviews.change_refresh_metadata",
    ),
    DIFFS: ("reviews.change_pull_diff",),
    HOST_WRITES: ("hostsync.change_push", "hostsync.sweep", "hostsync.reconcile"),
    NOTIFICATIONS: ("notifications.deliver", "notifications.dispatch_due", "notifications.scan_deadlines"),
    REPORTS: (
        "incidents.weekly_report_draft",
        "incidents.weekly_report_build",
        "incidents.weekly_report_pdf",
        "incidents.weekly_report_email",
        "reviews.whatif_run",
        "insights.rebuild_knowledge",
    ),
}

CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
# Declared explicitly: a worker without -Q consumes all of them, and a name mistyped in -Q is refused.
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in QUEUE_NAMES)
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in _ROUTED.items() for task in tasks}


def queue_of(task_name: str) -> str:
    """The queue a task is sent to."""
    return CELERY_TASK_ROUTES.get(task_name, {}).get("queue", DEFAULT_QUEUE)
