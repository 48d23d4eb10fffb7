"""Delivery: a burst becomes one message, nothing is sent twice, digests wait for their hour, failures back off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.services.delivery import due_messages, message_deliver, message_retry
from notifications.services.notify import Note, notify
from reviews.models import (
    ChatWebhook,
    MessageItem,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundMessage,
)


def note(n: int, change=None, kind=NotificationKind.TURN) -> Note:
    return Note(kind=kind, key=f"event:{n}", title=f"Event {n}", url=f"/changes/{n}/", body=f"body {n}", change=change)


def deliver_due() -> list[str]:
    """Deliver what is due, leaving out the senior's assignment notice from the fixture."""
    mine = set(OutboundMessage.objects.filter(recipient__user__username="leo").values_list("pk", flat=True))
    return [message_deliver(message_id=pk) for pk in due_messages() if pk in mine]


def test_a_burst_of_200_events_becomes_one_message_per_channel_and_repeats_are_ignored(
    org, chat_server, settings, django_assert_max_num_queries
):
    settings.PORTAL_NOTIFY_BURST_SECONDS = 60
    ChatWebhook.objects.create(
        provider="slack", url=f"http://127.0.0.1:{chat_server.server_port}/slack", team=org.author.team
    )
    NotificationPreference.objects.create(engineer=org.author, kind=NotificationKind.TURN, email=True, chat=True)

    assert sum(notify(note(n), [org.author]) for n in range(200)) == 200
    assert sum(notify(note(n), [org.author]) for n in range(200)) == 0  # the same events again: nothing new

    assert Notification.objects.filter(recipient=org.author).count() == 200
    messages = OutboundMessage.objects.filter(recipient=org.author)
    assert sorted(messages.values_list("channel", flat=True)) == ["chat", "email"]
    assert MessageItem.objects.filter(message__recipient=org.author).count() == 400
    assert deliver_due() == []  # the burst window is still open

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert sorted(deliver_due()) == ["sent", "sent"]
        assert deliver_due() == []  # sent once, never again

    author_mail = [m for m in mail.outbox if m.to == [org.author.email]]
    assert len(author_mail) == 1 and "200 notifications" in author_mail[0].subject
    assert len(chat_server.received.requests) == 1
    # A later event starts a new message rather than joining a sent one.
    notify(note(999), [org.author])
    assert messages.filter(status="pending").count() == 2


def test_a_digest_waits_for_the_persons_digest_hour_in_their_time_zone(org):
    org.author.time_zone, org.author.digest_hour = "America/New_York", 8
    org.author.save()
    NotificationPreference.objects.create(engineer=org.author, kind=NotificationKind.SIGNED_OFF, mode="digest")
    with time_machine.travel(datetime(2026, 11, 4, 15, 0, tzinfo=UTC)):  # 10:00 in New York
        for n in range(5):
            notify(note(n, kind=NotificationKind.SIGNED_OFF), [org.author])
        message = OutboundMessage.objects.get(recipient=org.author, mode="digest")
    assert message.due_at == datetime(2026, 11, 5, 13, 0, tzinfo=UTC)  # 08:00 in New York the next day
    with time_machine.travel(datetime(2026, 11, 5, 13, 0, 1, tzinfo=UTC)):
        assert "sent" in deliver_due()
    digest = [m for m in mail.outbox if m.to == [org.author.email]]
    assert len(digest) == 1 and digest[0].subject == "Countersign daily digest: 5 notifications"


def test_quiet_hours_hold_an_instant_message_until_they_end(org):
    org.author.time_zone, org.author.quiet_start, org.author.quiet_end = "Europe/Paris", time(22), time(7)
    org.author.save()
    with time_machine.travel(datetime(2026, 11, 4, 22, 30, tzinfo=UTC)):  # 23:30 in Paris
        notify(note(1), [org.author])
        assert OutboundMessage.objects.get(recipient=org.author).due_at == datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
        assert deliver_due() == []


def test_a_failing_webhook_is_retried_with_back_off_then_marked_failed_for_admins(org, chat_server, settings):
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 3
    chat_server.received.status = 503
    ChatWebhook.objects.create(
        provider="mattermost", url=f"http://127.0.0.1:{chat_server.server_port}/hooks/x", engineer=org.author
    )
    NotificationPreference.objects.create(engineer=org.author, kind=NotificationKind.TURN, email=False, chat=True)
    notify(note(1), [org.author])
    message = OutboundMessage.objects.get(recipient=org.author)

    waits = []
    now = timezone.now()
    for _ in range(3):
        with time_machine.travel(now):
            result = message_deliver(message_id=message.pk)
        message.refresh_from_db()
        waits.append(round((message.due_at - now).total_seconds()))
        now = message.due_at + timedelta(seconds=1)
    assert result == "failed" and message.status == "failed" and "503" in message.last_error
    assert waits[:2] == [60, 120]  # doubling from the base
    assert len(chat_server.received.requests) == 3

    chat_server.received.status = 200
    assert message_retry(message_id=message.pk)
    assert message_deliver(message_id=message.pk) == "sent"


def test_a_webhook_refusing_the_request_fails_at_once(org, chat_server):
    chat_server.received.status = 404
    ChatWebhook.objects.create(
        provider="slack", url=f"http://127.0.0.1:{chat_server.server_port}/gone", engineer=org.author
    )
    NotificationPreference.objects.create(engineer=org.author, kind=NotificationKind.TURN, email=False, chat=True)
    notify(note(1), [org.author])

    assert deliver_due() == ["failed"]


def test_plain_http_webhooks_are_refused_unless_allowed(org, settings):
    settings.PORTAL_CHAT_ALLOW_HTTP = False
    ChatWebhook.objects.create(provider="slack", url="http://hooks.example/x", engineer=org.author)
    NotificationPreference.objects.create(engineer=org.author, kind=NotificationKind.TURN, email=False, chat=True)
    notify(note(1), [org.author])

    assert deliver_due() == ["failed"]
    assert "https" in OutboundMessage.objects.get(recipient=org.author).last_error


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_email_off_for_a_kind_sends_none_of_it(org, kind):
    NotificationPreference.objects.create(engineer=org.author, kind=kind, email=False)
    notify(note(1, kind=kind), [org.author])

    assert Notification.objects.filter(recipient=org.author, kind=kind).exists()  # the inbox has it all the same
    assert not OutboundMessage.objects.filter(recipient=org.author).exists()
