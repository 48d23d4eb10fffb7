"""The PagerDuty webhook endpoint: authenticate, store, apply, acknowledge fast (never a 500 on bad input)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents import services
from incidents.models import PagerDutyWebhookSecret
from incidents.pagerduty import PayloadError, parse_event, verify_signature
from intake.webhooks import _answer, _json, _read_body


def _secrets() -> list[str]:
    stored = PagerDutyWebhookSecret.objects.filter(is_active=True).values_list("secret", flat=True)
    return [s for s in (settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET, *stored) if s]


@csrf_exempt
@require_POST
def pagerduty(request: HttpRequest) -> JsonResponse:
    """PagerDuty v3: X-PagerDuty-Signature (v1=, one per secret during a rotation); deduplicated on X-Webhook-Id."""
    body = _read_body(request, settings.PORTAL_PAGERDUTY_WEBHOOK_MAX_BYTES)
    if isinstance(body, JsonResponse):
        return body
    # Every signature is checked on the raw bytes before the body is parsed: an unsigned body costs HMACs only.
    secrets = _secrets()
    if not secrets or not verify_signature(secrets, body, request.headers.get("X-PagerDuty-Signature", "")):
        return _answer(401, "signature missing or invalid")
    payload = _json(body)
    if isinstance(payload, JsonResponse):
        return payload
    delivery_id = request.headers.get("X-Webhook-Id", "")
    if not delivery_id or len(delivery_id) > 200:
        return _answer(400, "missing or overlong X-Webhook-Id header")
    try:
        event = parse_event(payload)
    except PayloadError as exc:
        return _answer(400, f"payload is not a PagerDuty v3 event: {exc}")
    delivery, created = services.pagerduty_receive(delivery_id=delivery_id, payload=payload, event=event)
    if not created:
        return _answer(200, "duplicate delivery, already received", delivery=delivery.pk, status=delivery.status)
    return _answer(202, delivery.error or "accepted", delivery=delivery.pk, status=delivery.status)
