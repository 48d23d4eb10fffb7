"""Webhook endpoints of the git hosts: authenticate, store, acknowledge fast; the work runs in Celery."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from intake.hostevents import PayloadError, verify_github_signature, verify_gitlab_token
from intake.services.deliveries import delivery_receive, parse_delivery
from reviews.models import Delivery, Repository

log = logging.getLogger(__name__)

MAX_DEPTH = 100  # hosts nest about six levels; far deeper fails when the ORM encodes the payload again


def _answer(code: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": message, **extra}, status=code)


def _read_body(request: HttpRequest) -> bytes | JsonResponse:
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > settings.PORTAL_WEBHOOK_MAX_BYTES:
        return _answer(413, f"payload larger than {settings.PORTAL_WEBHOOK_MAX_BYTES} bytes")
    body = request.read(settings.PORTAL_WEBHOOK_MAX_BYTES + 1)
    if len(body) > settings.PORTAL_WEBHOOK_MAX_BYTES:
        return _answer(413, f"payload larger than {settings.PORTAL_WEBHOOK_MAX_BYTES} bytes")
    return body


def _json(body: bytes) -> dict | JsonResponse:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser's stack
        return _answer(400, f"body is not valid JSON: {exc}")
    if not isinstance(payload, dict):
        return _answer(400, "body must be a JSON object")
    return payload


def _unstorable(payload: dict) -> str:
    """Why PostgreSQL could not store this payload (too deep, or U+0000 that neither text nor jsonb holds), or ''."""
    stack: list[tuple[object, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, str) and "\x00" in value:
            return "contains U+0000, which cannot be stored"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return ""


def _repository_secret(payload: dict, path: tuple[str, str], field: str, provider: str) -> str:
    container = payload.get(path[0])
    name = container.get(path[1]) if isinstance(container, dict) else None
    if not isinstance(name, str):
        return ""
    repository = Repository.objects.filter(name=name, provider=provider).only(field).first()
    return getattr(repository, field, "") if repository else ""


def _receive(provider: str, event: str, delivery_id: str, payload: dict) -> JsonResponse:
    if not event:
        return _answer(400, "missing event header")
    if not delivery_id or len(delivery_id) > 200:
        return _answer(400, "missing or overlong delivery id header")
    if reason := _unstorable(payload):
        return _answer(400, f"payload {reason}")
    try:
        parsed = parse_delivery(provider, event, payload)
    except PayloadError as exc:
        return _answer(400, f"payload does not match the {event} event: {exc}")
    delivery, created = delivery_receive(
        provider=provider, delivery_id=delivery_id, event=event, payload=payload, parsed=parsed
    )
    if not created:
        return _answer(200, "duplicate delivery, already received", delivery=delivery.pk, status=delivery.status)
    if parsed.kind == "ping":
        return _answer(200, "pong", delivery=delivery.pk)
    return _answer(202, delivery.error or "accepted", delivery=delivery.pk, status=delivery.status)


@csrf_exempt
@require_POST
def github(request: HttpRequest) -> JsonResponse:
    """GitHub: X-Hub-Signature-256 over the raw body; deduplicated on X-GitHub-Delivery."""
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    signature = request.headers.get("X-Hub-Signature-256", "")
    payload = _json(body)
    # The repository's own secret, when it has one, replaces the global one for that repository.
    secret = (
        ""
        if isinstance(payload, JsonResponse)
        else _repository_secret(payload, ("repository", "full_name"), "webhook_secret", Repository.Provider.GITHUB)
    )
    if not verify_github_signature(secret or settings.PORTAL_GITHUB_WEBHOOK_SECRET, body, signature):
        return _answer(401, "signature missing or invalid")
    if isinstance(payload, JsonResponse):
        return payload
    return _receive(
        Delivery.Provider.GITHUB,
        request.headers.get("X-GitHub-Event", ""),
        request.headers.get("X-GitHub-Delivery", ""),
        payload,
    )


@csrf_exempt
@require_POST
def gitlab(request: HttpRequest) -> JsonResponse:
    """GitLab: X-Gitlab-Token; deduplicated on Idempotency-Key, else X-Gitlab-Event-UUID."""
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    token = request.headers.get("X-Gitlab-Token", "")
    payload = _json(body)
    secret = (
        ""
        if isinstance(payload, JsonResponse)
        else _repository_secret(
            payload, ("project", "path_with_namespace"), "webhook_secret", Repository.Provider.GITLAB
        )
    )
    if not verify_gitlab_token(secret or settings.PORTAL_GITLAB_WEBHOOK_TOKEN, token):
        return _answer(401, "token missing or invalid")
    if isinstance(payload, JsonResponse):
        return payload
    delivery_id = request.headers.get("Idempotency-Key") or request.headers.get("X-Gitlab-Event-UUID", "")
    return _receive(Delivery.Provider.GITLAB, request.headers.get("X-Gitlab-Event", ""), delivery_id, payload)
