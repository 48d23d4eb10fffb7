"""End to end: a verdict in the portal becomes an e-mail that a real Celery worker sends to a real SMTP server."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from reviews.services.signoff import review_submit
from tests.reviews.test_views import HEAD, make_change
from tests.test_flow import celery_worker  # noqa: F401 - the real worker on the real Redis broker

pytestmark = pytest.mark.worker


class Collect:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    handler = Collect()
    with socket.socket() as probe:  # a free port: the controller checks its server by connecting to the port given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield handler
    finally:
        controller.stop()


def test_changes_requested_reaches_the_author_by_smtp_through_the_worker(
    celery_worker,  # noqa: F811
    smtp_server,
    repository,
    make_engineer,
    settings,
):
    settings.PORTAL_NOTIFY_BURST_SECONDS = 0
    author, senior = make_engineer(4, username="leo"), make_engineer(6, username="maya")
    change = make_change(repository, author, requires_attestation=False)

    review_submit(
        change=change,
        reviewer=senior,
        verdict="request_changes",
        head_sha=HEAD,
        seconds_spent=120,
        comment="Please add a test for the rounding.",
    )

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not smtp_server.messages:
        time.sleep(0.2)
    assert smtp_server.messages, "the worker sent no e-mail"
    mail_from, rcpt, content = smtp_server.messages[0]
    parsed = message_from_bytes(content)
    assert rcpt == [author.email] and mail_from == settings.DEFAULT_FROM_EMAIL
    assert parsed["References"] == f"<change-{change.pk}@127.0.0.1>"
    assert parsed.is_multipart() and {p.get_content_type() for p in parsed.walk()} >= {"text/plain", "text/html"}
    text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Please add a test for the rounding." in text and "requested changes" in text
