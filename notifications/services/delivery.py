"""Sending the outbox: one message at a time, by a worker, retried with back-off until sent or marked failed."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import schedule
from notifications.channels.chat import ChatError, post
from notifications.channels.email import build_email, send_email
from notifications.compose import compose
from reviews.models import Channel, ChatWebhook, Notification, OutboundMessage

log = logging.getLogger(__name__)

# While one worker sends a message, others leave it alone this long (a send never takes longer: timeouts).
SEND_LEASE = timedelta(minutes=5)


def message_deliver(*, message_id: int) -> str:
    """Send one due message (closing it to new notifications first); a failure schedules a retry or fails it."""
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient__team")
            .filter(pk=message_id, status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING])
            .first()
        )
        if message is None:
            return "gone"  # sent, failed, or another worker holds it
        now = timezone.now()
        if message.due_at > now:
            return "not due"
        if waiting_for := _earlier_unsent(message):
            # In order: a person hears of things as they happened, so this one goes after their earlier message on
            # this channel, which waits for a retry (its channel was down) or is being sent right now.
            message.due_at = max(waiting_for, now) + timedelta(seconds=1)
            message.save(update_fields=["due_at"])
            return "after an earlier message"
        message.status = OutboundMessage.Status.SENDING  # from here on, new notifications start another message
        message.due_at = now + SEND_LEASE
        message.attempts += 1
        message.save(update_fields=["status", "due_at", "attempts"])
    notifications = list(
        Notification.objects.filter(items__message=message).select_related("change__repository").order_by("pk")
    )
    if not notifications:
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.SENT, sent_at=now)
        return "empty"
    try:
        reference = _send(message, notifications)
    except Exception as exc:  # noqa: BLE001 - any failure of the channel is recorded and retried
        return _failed(message, exc)
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), message_id=reference[:300], last_error=""
    )
    return "sent"


def _earlier_unsent(message: OutboundMessage):
    """When the recipient's earlier message of the same channel and mode, not sent yet, is due; None if none."""
    return (
        OutboundMessage.objects.filter(
            recipient_id=message.recipient_id,
            channel=message.channel,
            mode=message.mode,
            status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING],
            pk__lt=message.pk,
        )
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def _send(message: OutboundMessage, notifications: list[Notification]) -> str:
    composed = compose(
        notifications, base_url=settings.PORTAL_BASE_URL, digest=message.mode == OutboundMessage.Mode.DIGEST
    )
    recipient = message.recipient
    if message.channel == Channel.EMAIL:
        return send_email(build_email(message_pk=message.pk, recipient=recipient, composed=composed))
    hook = ChatWebhook.objects.filter(engineer=recipient).first()
    mention = ""
    if hook is None and recipient.team_id is not None:
        hook = ChatWebhook.objects.filter(team_id=recipient.team_id).first()
        mention = recipient.display_name  # the team's channel: say whom it is for
    if hook is None:
        raise ChatError("no chat webhook for this person or their team any more", permanent=True)
    status = post(hook.provider, hook.url, composed, mention=mention)
    return f"{hook.provider}:{status}"


def _failed(message: OutboundMessage, exc: Exception) -> str:
    permanent = isinstance(exc, ChatError) and exc.permanent
    error = f"{exc.__class__.__name__}: {exc}"[:2000]
    if permanent or message.attempts >= settings.PORTAL_NOTIFY_MAX_ATTEMPTS:
        log.warning("notification message %s failed for good: %s", message.pk, error)
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.FAILED, last_error=error)
        return "failed"
    wait = schedule.backoff_seconds(
        message.attempts,
        base=settings.PORTAL_NOTIFY_RETRY_BASE_SECONDS,
        cap=settings.PORTAL_NOTIFY_RETRY_CAP_SECONDS,
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        due_at=timezone.now() + timedelta(seconds=wait), last_error=error
    )
    log.info("notification message %s will be retried in %s s: %s", message.pk, wait, error)
    return "retry"


def due_messages(limit: int = 1000) -> list[int]:
    """Messages whose time has come: collected bursts, digests, quiet hours ended, retries due."""
    return list(
        OutboundMessage.objects.filter(
            status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING], due_at__lte=timezone.now()
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def message_retry(*, message_id: int) -> bool:
    """An admin sends a failed message again; True when it was failed."""
    return bool(
        OutboundMessage.objects.filter(pk=message_id, status=OutboundMessage.Status.FAILED).update(
            status=OutboundMessage.Status.SENDING, attempts=0, due_at=timezone.now(), last_error=""
        )
    )
