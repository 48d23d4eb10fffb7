"""Every kind of notification over every channel: the inbox, e-mail (threaded, unsubscribable) and each chat
provider's documented webhook format, received by a local HTTP server."""

from __future__ import annotations

import re
from email import message_from_bytes
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from notifications.services.delivery import due_messages, message_deliver
from notifications.services.notify import Note, notify
from reviews.models import ChatWebhook, Notification, NotificationKind, NotificationPreference

PROVIDERS = ["slack", "teams", "mattermost", "google_chat"]


def check_slack(path, headers, payload):
    # api.slack.com/messaging/webhooks and Block Kit: text fallback, mrkdwn sections of at most 3,000 characters.
    assert isinstance(payload["text"], str) and payload["text"]
    assert 1 <= len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        assert block["type"] in ("section", "context")
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
    return " ".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")


def check_teams(path, headers, payload):
    # Teams Workflows webhook: a message with one Adaptive Card attachment.
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert all(b["type"] == "TextBlock" and isinstance(b["text"], str) for b in card["body"])
    assert all(a["type"] == "Action.OpenUrl" and a["url"].startswith("http") for a in card["actions"])
    return " ".join(b["text"] for b in card["body"])


def check_mattermost(path, headers, payload):
    # developers.mattermost.com incoming webhooks: Markdown text, at most 16,383 characters.
    assert isinstance(payload["text"], str) and 0 < len(payload["text"]) <= 16383
    assert payload["username"] == "Countersign"
    return payload["text"]


def check_google_chat(path, headers, payload):
    # developers.google.com/workspace/chat/quickstart/webhooks: text, a thread key, and the reply option in the query.
    assert isinstance(payload["text"], str) and 0 < len(payload["text"]) <= 4096
    assert payload["thread"]["threadKey"].startswith("countersign-change-")
    query = parse_qs(urlsplit(path).query)
    assert query["messageReplyOption"] == ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"]
    assert query["key"] == ["k"]  # the webhook's own parameters are kept
    return payload["text"]


CHECKS = {"slack": check_slack, "teams": check_teams, "mattermost": check_mattermost, "google_chat": check_google_chat}


def deliver_for(engineer) -> list[str]:
    return [
        message_deliver(message_id=pk)
        for pk in due_messages()
        if Notification.objects.filter(items__message_id=pk, recipient=engineer).exists()
    ]


@pytest.mark.parametrize("kind", NotificationKind.values)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_kind_reaches_every_chat_provider_in_its_documented_format(org, chat_server, kind, provider):
    url = f"http://127.0.0.1:{chat_server.server_port}/hook/{provider}?key=k&token=t"
    ChatWebhook.objects.create(provider=provider, url=url, team=org.author.team)
    NotificationPreference.objects.create(engineer=org.author, kind=kind, email=False, chat=True)
    notify(
        Note(
            kind=kind,
            key=f"{kind}:1",
            title=f"{kind} <&> on “{org.change.title}”",
            url=f"/changes/{org.change.pk}/",
            body="A line with <angle brackets> & an ampersand.",
            details=("first reason", "second reason"),
            change=org.change,
            action_url="/assignments/1/reroute/" if kind == "overdue" else "",
            action_label="Re-route" if kind == "overdue" else "",
        ),
        [org.author],
    )

    assert deliver_for(org.author) == ["sent"]

    (path, headers, payload) = chat_server.received.requests[-1]
    assert headers["Content-Type"].startswith("application/json")
    text = CHECKS[provider](path, headers, payload)
    assert org.author.display_name in text  # the team's channel: whom it is for
    assert f"/changes/{org.change.pk}/" in str(payload)
    if provider == "slack":
        assert "&lt;angle brackets&gt; &amp; an ampersand" in text
    if kind == "overdue":
        assert "/assignments/1/reroute/" in str(payload)


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_kind_reaches_the_inbox_and_email_threaded_per_change_with_one_click_unsubscribe(org, client, kind):
    notify(
        Note(kind=kind, key=f"{kind}:1", title=f"About {kind}", url=f"/changes/{org.change.pk}/", change=org.change),
        [org.author],
    )
    client.force_login(org.author.user)
    assert f"About {kind}" in client.get("/inbox/").content.decode()

    assert deliver_for(org.author) == ["sent"]

    (sent,) = [m for m in mail.outbox if m.to == [org.author.email]]
    parsed = message_from_bytes(sent.message().as_bytes())
    root = f"<change-{org.change.pk}@127.0.0.1>"
    assert parsed["In-Reply-To"] == root and parsed["References"] == root
    assert parsed["Message-ID"].startswith("<notification-")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"] == f"[{org.change.repository.name}] {org.change.title}"
    html = sent.alternatives[0][0]
    assert f"About {kind}" in sent.body and f"About {kind}" in html
    unsubscribe = re.search(r"<([^>]+)>", parsed["List-Unsubscribe"]).group(1)  # long headers are folded
    # One-click: a mail client POSTs without a session or CSRF token.
    client.logout()
    assert client.post(urlsplit(unsubscribe).path).status_code == 200
    assert NotificationPreference.objects.get(engineer=org.author, kind=kind).email is False
