"""Scenario 9: the mail server and the chat webhook down while notifications pile up; when they return, every
notification is delivered once per channel, in the order it happened."""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes
from http.server import ThreadingHTTPServer

from aiosmtpd.controller import Controller

from notifications.services.notify import Note, notify
from notifications.tasks import dispatch_due
from reviews.models import ChatWebhook, NotificationKind, NotificationPreference, OutboundMessage
from tests.faults import harness
from tests.faults.harness import Row
from tests.notifications.conftest import Received, _Handler

SCENARIO = "9. mail and chat down"
TITLE = re.compile(r"Fault note (\d{3})")
MORE = re.compile(r"and (\d+) more in the inbox")


class Mailbox:
    """What the SMTP server accepted, in order."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def notes(self) -> list[int]:
        found = []
        for raw in self.messages:
            parsed = message_from_bytes(raw)
            text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
            found += [int(n) for n in dict.fromkeys(TITLE.findall(text.decode()))]
        return found


class _Switchable(_Handler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        if self.server.down:
            self.send_response(503)
            self.end_headers()
            return
        super().do_POST()


def _chat_notes(received: Received) -> tuple[list[int], int]:
    """The notes chat posts listed, in order, and how many they only counted: Slack takes 50 blocks per post, so a
    message that collected more notes while chat was down lists the first ones and "and N more in the inbox"."""
    found, counted = [], 0
    for _, _, payload in received.requests:
        found += [int(n) for n in dict.fromkeys(TITLE.findall(str(payload)))]
        counted += sum(int(n) for n in MORE.findall(str(payload)))
    return found, counted


def test_notifications_wait_for_mail_and_chat_and_are_delivered_once_in_order(
    broker, make_engineer, tmp_path, settings
):
    settings.PORTAL_NOTIFY_BURST_SECONDS = 0
    settings.PORTAL_CHAT_ALLOW_HTTP = True
    count = harness.size("notifications")
    person = make_engineer(6, username="maya", email="maya@example.com")
    kind = NotificationKind.values[0]
    NotificationPreference.objects.create(engineer=person, kind=kind, email=True, chat=True)
    chat = ThreadingHTTPServer(("127.0.0.1", 0), _Switchable)
    chat.received, chat.down = Received(), True
    threading.Thread(target=chat.serve_forever, daemon=True).start()
    ChatWebhook.objects.create(engineer=person, provider="slack", url=f"http://127.0.0.1:{chat.server_port}/hook")
    mailbox, smtp_port = Mailbox(), harness.free_port()  # no SMTP server yet: connections are refused
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "3",
        "PORTAL_NOTIFY_BURST_SECONDS": "0",
        "PORTAL_NOTIFY_RETRY_BASE_SECONDS": "1",
        "PORTAL_NOTIFY_RETRY_CAP_SECONDS": "4",
        "PORTAL_NOTIFY_MAX_ATTEMPTS": "100",
        "PORTAL_CHAT_ALLOW_HTTP": "true",
    }
    smtp = None
    try:
        with harness.workers(tmp_path, **env) as pool:
            pool.start("worker", concurrency=4)
            for n in range(count):
                notify(Note(kind=kind, key=f"fault-{n}", title=f"Fault note {n:03d}", url="/"), [person])
                time.sleep(0.5)  # the worker tries (and fails) meanwhile: the notes spread over several messages
                dispatch_due()
            # Both channels' first messages failed and were tried again; the later ones wait behind them.
            harness.wait_for(
                lambda: OutboundMessage.objects.filter(attempts__gte=2).values("channel").distinct().count() == 2,
                timeout=120,
                what=lambda: f"both channels tried again while down:\n{pool.log_tail('worker')}",
            )
            messages = OutboundMessage.objects.count()
            smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
            smtp.start()
            chat.down = False
            back = time.monotonic()

            def all_sent() -> bool:
                dispatch_due()  # what beat runs every minute
                time.sleep(0.5)
                return not OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists()

            harness.wait_for(
                all_sent,
                timeout=120,
                what=lambda: f"every message sent:\n{pool.log_tail('worker')}",
                every=0,
            )
            recovered = time.monotonic() - back
    finally:
        if smtp is not None:
            smtp.stop()
        chat.shutdown()
        chat.server_close()

    expected = list(range(count))
    mailed, (chatted, counted) = mailbox.notes(), _chat_notes(chat.received)
    duplicated = (len(mailed) - len(set(mailed))) + (len(chatted) - len(set(chatted)))
    lost = len(set(expected) - set(mailed)) + max(0, count - len(set(chatted)) - counted)
    found = harness.check_invariants(set())
    harness.record(
        Row(
            SCENARIO,
            attempted=2 * count,  # each notification by e-mail and in chat
            accepted=2 * count,
            processed=len(set(mailed)) + len(set(chatted)) + counted,
            lost=lost,
            duplicated=duplicated,
            recovered_in=recovered,
            notes=[f"{messages} messages (notes collected while their channel was down)"],
        )
    )
    assert mailed == expected, f"e-mails carried the notes in this order: {mailed}"
    assert chatted == sorted(set(chatted)), f"chat carried the notes in this order: {chatted}"
    assert len(chatted) + counted == count, (chatted, counted)
    harness.assert_invariants(found)
