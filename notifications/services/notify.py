"""Telling people: one inbox item per event per person, queued for their channels in the caller's transaction.

Services of every domain call `notify` inside their own transaction (the outbox pattern): the notification and
its outgoing messages commit with the change that caused them, or not at all. Nothing is sent here; a worker
sends the messages (`notifications.deliver`), never the web request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import schedule
from notifications.preferences import choices_for, zone_of
from portal.enqueue import enqueue_later
from reviews.models import Change, Channel, ChatWebhook, Engineer, MessageItem, Notification, OutboundMessage

MAX_RECIPIENTS = 500


@dataclass(frozen=True)
class Note:
    """What to tell: the same for every recipient of one event."""

    kind: str
    key: str
    title: str
    url: str
    body: str = ""
    details: tuple[str, ...] = ()
    change: Change | None = None
    action_url: str = ""
    action_label: str = ""
    extra: dict = field(default_factory=dict)


def notify(note: Note, recipients: Iterable[Engineer | int | None], *, exclude: Iterable[int | None] = ()) -> int:
    """Record the note for each recipient (once per event: a repeated key is ignored) and queue their messages.

    Returns how many notifications were new. Runs in the caller's transaction (or its own).
    """
    skip = {e for e in exclude if e is not None}
    ids = []
    for r in recipients:
        pk = r.pk if isinstance(r, Engineer) else r
        if pk is not None and pk not in skip and pk not in ids:
            ids.append(pk)
    created = 0
    with transaction.atomic():
        people = Engineer.objects.filter(pk__in=ids[:MAX_RECIPIENTS]).select_related("team")
        hooks = _chat_reachable(people)
        for engineer in people:
            notification = _record(note, engineer)
            if notification is None:
                continue
            created += 1
            choice = choices_for(engineer)[note.kind]
            if choice.email and engineer.email:
                _queue(notification, engineer, Channel.EMAIL, choice.mode)
            if choice.chat and engineer.pk in hooks:
                _queue(notification, engineer, Channel.CHAT, choice.mode)
    return created


def _record(note: Note, engineer: Engineer) -> Notification | None:
    """The notification, or None when this person was already told of this event."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate loses here, the caller's work goes on
            return Notification.objects.create(
                recipient=engineer,
                kind=note.kind,
                key=note.key[:200],
                title=note.title[:300],
                body=note.body[:20000],
                url=note.url[:500],
                details=[str(d)[:500] for d in note.details[:50]],
                change=note.change,
                action_url=note.action_url[:500],
                action_label=note.action_label[:100],
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _chat_reachable(people) -> set[int]:
    """Who can be reached in chat: a webhook of their own or their team's."""
    own = set(ChatWebhook.objects.filter(engineer__in=people).values_list("engineer_id", flat=True))
    teams = set(ChatWebhook.objects.filter(team__engineers__in=people).values_list("team_id", flat=True))
    return own | {p.pk for p in people if p.team_id in teams}


def _queue(notification: Notification, engineer: Engineer, channel: str, mode: str) -> None:
    """Add the notification to the message still collecting for this person and channel, or start one."""
    message = _collecting(engineer, channel, mode)
    MessageItem.objects.create(notification=notification, channel=channel, message=message)  # a new notification
    if mode == OutboundMessage.Mode.INSTANT and not getattr(message, "_announced", False):
        wait = max(0, int((message.due_at - timezone.now()).total_seconds()))
        if wait <= settings.PORTAL_NOTIFY_BURST_SECONDS + 5:  # held for quiet hours: the beat's dispatch sends it
            enqueue_later("notifications.deliver", wait + 1, message.pk)


def _collecting(engineer: Engineer, channel: str, mode: str) -> OutboundMessage:
    pending = OutboundMessage.objects.select_for_update().filter(
        recipient=engineer, channel=channel, mode=mode, status=OutboundMessage.Status.PENDING
    )
    message = pending.first()
    if message is not None:
        message._announced = True  # its delivery is already queued
        return message
    due = schedule.send_at(
        now=timezone.now(),
        mode=mode,
        zone=zone_of(engineer),
        quiet_start=engineer.quiet_start,
        quiet_end=engineer.quiet_end,
        digest_hour=engineer.digest_hour,
        burst_seconds=settings.PORTAL_NOTIFY_BURST_SECONDS,
    )
    try:
        with transaction.atomic():
            return OutboundMessage.objects.create(recipient=engineer, channel=channel, mode=mode, due_at=due)
    except IntegrityError:  # another transaction started it meanwhile: join that one
        message = pending.get()
        message._announced = True
        return message
