"""Celery entry points of notifications: send one message, send what is due, look at deadlines."""

from __future__ import annotations

from celery import shared_task

from notifications.services.deadlines import deadlines_scan
from notifications.services.delivery import due_messages, message_deliver
from portal.enqueue import send_task


@shared_task(name="notifications.deliver", acks_late=True)
def deliver(message_id: int) -> str:
    """Send one outgoing message if it is due; a failure is recorded with its next try (see dispatch_due)."""
    return message_deliver(message_id=message_id)


@shared_task(name="notifications.dispatch_due")
def dispatch_due() -> int:
    """Queue every message whose time has come: bursts, digests, quiet hours over, retries.

    A message being sent is not due (its lease pushes due_at ahead), so a second copy of a task finds nothing to do.
    """
    return sum(send_task("notifications.deliver", pk) for pk in due_messages())


@shared_task(name="notifications.scan_deadlines")
def scan_deadlines() -> dict:
    """Remind seniors of reviews due soon; tell managers of overdue ones."""
    return deadlines_scan()
