"""E-mail: HTML and text, threaded per change (Message-ID, In-Reply-To, References), with one-click unsubscribe."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.compose import Composed
from notifications.tokens import unsubscribe_token
from reviews.models import Engineer


def mail_domain() -> str:
    """The domain of Message-IDs: the portal's own host, so ids never clash with another sender's."""
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "countersign.invalid"


def thread_root(change_id: int) -> str:
    """The Message-ID every message about a change answers: clients gather them in one thread."""
    return f"<change-{change_id}@{mail_domain()}>"


def build_email(*, message_pk: int, recipient: Engineer, composed: Composed) -> EmailMultiAlternatives:
    """The e-mail of one outgoing message."""
    kind = next(iter(composed.kinds)) if len(composed.kinds) == 1 else "all"
    unsubscribe = settings.PORTAL_BASE_URL + reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(recipient.pk, kind)]
    )
    context = {
        "composed": composed,
        "recipient": recipient,
        "unsubscribe": unsubscribe,
        "preferences": settings.PORTAL_BASE_URL + reverse("notifications:preferences"),
        "what": "e-mail of this kind" if kind != "all" else "these e-mails",
    }
    headers = {
        "Message-ID": f"<notification-{message_pk}@{mail_domain()}>",
        # RFC 8058: mail clients show an unsubscribe button that POSTs here, no page to visit.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Countersign notifications <notifications.{mail_domain()}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if composed.change_id is not None:
        root = thread_root(composed.change_id)
        headers["In-Reply-To"] = root
        headers["References"] = root
    mail = EmailMultiAlternatives(
        subject=composed.subject,
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=headers,
    )
    mail.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return mail


def send_email(mail: EmailMultiAlternatives) -> str:
    """Send through the configured backend (SMTP in production, the console in the demo); returns the Message-ID."""
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([mail])
    return mail.extra_headers["Message-ID"]
