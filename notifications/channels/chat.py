"""Chat through incoming webhooks: the payload each provider documents, and posting it.

- Slack: `text` (fallback) and Block Kit `blocks` with mrkdwn sections (links `<url|label>`, &<> escaped,
  at most 3,000 characters a section and 50 blocks).
- Microsoft Teams (Workflows "post to a channel when a webhook request is received"): a `message` whose
  attachment is an Adaptive Card (`application/vnd.microsoft.card.adaptive`, version 1.4) with an OpenUrl action.
- Mattermost: Markdown `text` (at most 16,383 characters) and the `username` to post as.
- Google Chat: `text` (links `<url|label>`, at most 4,096 characters) in a thread per change (`thread.threadKey`
  with `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` in the query).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings

from notifications.compose import Composed, Item

SLACK_SECTION_MAX = 3000
SLACK_MAX_BLOCKS = 50
MATTERMOST_MAX = 16383
GOOGLE_CHAT_MAX = 4096


class ChatError(Exception):
    """The webhook refused the message; `permanent` when retrying cannot help (a 4xx other than 429)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(item: Item, link, bold) -> str:
    parts = [bold(link(item.link, item.title))]
    if item.body:
        parts.append(item.body)
    parts.extend(f"• {d}" for d in item.details[:5])
    if item.action_link:
        parts.append(link(item.action_link, item.action_label or "Act on it"))
    return "\n".join(parts)


def slack_payload(composed: Composed, *, mention: str) -> dict:
    def link(url: str, label: str) -> str:
        return f"<{url}|{_slack_escape(label)}>"

    def bold(text: str) -> str:
        return f"*{text}*"

    head = f"{_slack_escape(mention)}: " if mention else ""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(head + _slack_escape(composed.subject), 3000)}}
    ]
    for item in composed.items[: SLACK_MAX_BLOCKS - 2]:
        escaped = Item(**{**item.__dict__, "body": _slack_escape(item.body)})
        escaped = Item(**{**escaped.__dict__, "details": tuple(_slack_escape(d) for d in item.details)})
        text = _lines(escaped, link, bold)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SLACK_SECTION_MAX)}})
    if len(composed.items) > SLACK_MAX_BLOCKS - 2:
        more = len(composed.items) - (SLACK_MAX_BLOCKS - 2)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {more} more in the inbox"}]})
    return {"text": _cut(head + composed.subject, 3000), "blocks": blocks}


def teams_payload(composed: Composed, *, mention: str) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": composed.subject, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    if mention:
        body.append({"type": "TextBlock", "text": f"For {mention}", "isSubtle": True, "wrap": True})
    for item in composed.items[:30]:
        body.append({"type": "TextBlock", "text": f"[{item.title}]({item.link})", "weight": "Bolder", "wrap": True})
        if item.body:
            body.append({"type": "TextBlock", "text": _cut(item.body, 2000), "wrap": True})
        for detail in item.details[:5]:
            body.append({"type": "TextBlock", "text": f"- {detail}", "wrap": True, "spacing": "None"})
    first = composed.items[0]
    actions = [{"type": "Action.OpenUrl", "title": "Open in Countersign", "url": first.link}]
    if first.action_link:
        actions.append({"type": "Action.OpenUrl", "title": first.action_label or "Act on it", "url": first.action_link})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def mattermost_payload(composed: Composed, *, mention: str) -> dict:
    def link(url: str, label: str) -> str:
        return f"[{label.replace(']', ')')}]({url})"

    def bold(text: str) -> str:
        return f"**{text}**"

    head = f"{mention}: " if mention else ""
    text = "\n\n".join([f"#### {head}{composed.subject}", *(_lines(i, link, bold) for i in composed.items)])
    return {"text": _cut(text, MATTERMOST_MAX), "username": "Countersign"}


def google_chat_payload(composed: Composed, *, mention: str) -> dict:
    def link(url: str, label: str) -> str:
        return f"<{url}|{label.replace('|', '/').replace('>', ')')}>"

    def bold(text: str) -> str:
        return f"*{text}*"

    head = f"{mention}: " if mention else ""
    text = "\n\n".join([bold(head + composed.subject), *(_lines(i, link, bold) for i in composed.items)])
    payload: dict = {"text": _cut(text, GOOGLE_CHAT_MAX)}
    if composed.change_id is not None:
        payload["thread"] = {"threadKey": f"countersign-change-{composed.change_id}"}
    return payload


PAYLOADS = {
    "slack": slack_payload,
    "teams": teams_payload,
    "mattermost": mattermost_payload,
    "google_chat": google_chat_payload,
}


def target_url(provider: str, url: str, composed: Composed) -> str:
    """The address to post to: Google Chat is told to reply in the change's thread."""
    if provider != "google_chat" or composed.change_id is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "messageReplyOption"]
    query.append(("messageReplyOption", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def post(provider: str, url: str, composed: Composed, *, mention: str = "") -> int:
    """Post the message; returns the HTTP status. Raises ChatError when the webhook refuses or cannot be reached."""
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (scheme == "http" and settings.PORTAL_CHAT_ALLOW_HTTP):
        raise ChatError("chat webhooks must use https (PORTAL_CHAT_ALLOW_HTTP allows http)", permanent=True)
    payload = PAYLOADS[provider](composed, mention=mention)
    try:
        response = requests.post(
            target_url(provider, url, composed),
            json=payload,
            headers={"Content-Type": "application/json; charset=UTF-8"},
            timeout=settings.PORTAL_CHAT_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise ChatError(f"{provider} webhook unreachable: {exc.__class__.__name__}") from None
    if not 200 <= response.status_code < 300:
        permanent = 400 <= response.status_code < 500 and response.status_code != 429
        raise ChatError(
            f"{provider} webhook answered {response.status_code}: {response.text[:200]}", permanent=permanent
        )
    return response.status_code
