"""Webhook endpoints of the git hosts: authenticate, store, acknowledge fast; the work runs in Celery."""

from __future__ import annotations

import hmac
import logging
import re

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from intake.hostevents import PayloadError
from intake.selectors import webhook_repository
from intake.services.deliveries import delivery_receive, parse_delivery
from intake.signatures import verify_github_signature, verify_gitlab_token
from portal import strictjson
from portal.ops.firstread import first_read
from reviews.models import Delivery, Repository

log = logging.getLogger(__name__)

MAX_DEPTH = strictjson.MAX_DEPTH
# Bounds on the work an unsigned GitHub delivery can cause: how many "full_name" keys are looked at, and how many
# repository secrets are tried (a real payload names at most three: head repo, base repo, repository).
MAX_NAMES_SCANNED = 16
MAX_REPOSITORY_SECRETS = 4
_NAME_VALUE = re.compile(rb'\s*:\s*"([A-Za-z0-9._/-]{1,200})"')
_GITHUB_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


def _answer(code: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": message, **extra}, status=code)


def _read_body(request: HttpRequest, limit: int) -> bytes | JsonResponse:
    """The raw body, or a 413 when it is larger than `limit` (refused from Content-Length before any read)."""
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        return _answer(413, f"payload larger than {limit} bytes")
    # Without a Content-Length (chunked) the read stops one byte past the limit: never more is held in memory.
    body = request.read(limit + 1)
    if len(body) > limit:
        return _answer(413, f"payload larger than {limit} bytes")
    return body


def _json(body: bytes) -> dict | JsonResponse:
    # One parse and one walk: strictjson also refuses what PostgreSQL cannot store (U+0000, lone surrogates, depth).
    try:
        payload = strictjson.loads(body, max_depth=MAX_DEPTH)
    except strictjson.JSONRefused as exc:
        return _answer(400, f"body {exc}")
    if not isinstance(payload, dict):
        return _answer(400, "body must be a JSON object")
    return payload


def _named_repository(payload: dict, path: tuple[str, str], provider: str) -> tuple[str, Repository | None]:
    """The repository name at `path` in the payload and the registered repository of that name (one indexed query)."""
    container = payload.get(path[0])
    name = container.get(path[1]) if isinstance(container, dict) else None
    if not isinstance(name, str):
        return "", None
    return name, first_read(lambda: webhook_repository(name, provider))


def _named_in(body: bytes, key: bytes) -> list[str]:
    """Repository names that follow `"key":` in the raw body, found by byte search (C speed), never by a parse."""
    needle, names, start = b'"' + key + b'"', [], 0
    for _ in range(MAX_NAMES_SCANNED):
        at = body.find(needle, start)
        if at < 0:
            break
        start = at + len(needle)
        # Inside a JSON string a quote is escaped (\"), so a match is a real key, not text in a description.
        if match := _NAME_VALUE.match(body, start):
            names.append(match.group(1).decode("ascii"))
    return list(dict.fromkeys(names))


def _github_signer(body: bytes, signature: str) -> str:
    """The secret whose HMAC matches the signature (the global one, or a repository's named in the body), or ''."""
    # Checked before the body is parsed: an unsigned request costs one byte search and at most
    # 1 + MAX_REPOSITORY_SECRETS HMACs over the capped body (about 15 ms each at 25 MB), never a JSON parse.
    # GitHub sends no repository header, so the candidates for a repository's own secret come from the
    # "full_name" keys a byte search finds; which secret *should* have signed is settled on the parsed payload.
    candidates = [settings.PORTAL_GITHUB_WEBHOOK_SECRET]
    if not verify_github_signature(candidates[0], body, signature):
        names = _named_in(body, b"full_name")
        if not names:
            return ""
        candidates = list(
            Repository.objects.filter(name__in=names, provider=Repository.Provider.GITHUB)
            .exclude(webhook_secret="")
            .values_list("webhook_secret", flat=True)
            .distinct()[:MAX_REPOSITORY_SECRETS]
        )
    return next((secret for secret in candidates if verify_github_signature(secret, body, signature)), "")


def _gitlab_tokens() -> list[str]:
    stored = Repository.objects.filter(provider=Repository.Provider.GITLAB).exclude(webhook_secret="")
    return [t for t in (settings.PORTAL_GITLAB_WEBHOOK_TOKEN, *stored.values_list("webhook_secret", flat=True)) if t]


def _is_expected(used: str, expected: str) -> bool:
    """True when the secret that authenticated is the one this repository uses (its own, else the global one)."""
    return bool(used) and bool(expected) and hmac.compare_digest(used.encode(), expected.encode())


def _receive(
    provider: str, event: str, delivery_id: str, payload: dict, named: tuple[str, Repository | None]
) -> JsonResponse:
    if not event:
        return _answer(400, "missing event header")
    if not delivery_id or len(delivery_id) > 200:
        return _answer(400, "missing or overlong delivery id header")
    try:
        parsed = parse_delivery(provider, event, payload)
    except PayloadError as exc:
        return _answer(400, f"payload does not match the {event} event: {exc}")
    repository = named[1]
    if named[0] != parsed.repository:  # the event is about another repository than the one whose secret was checked
        repository = webhook_repository(parsed.repository, provider) if parsed.repository else None
    delivery, created = delivery_receive(
        provider=provider, delivery_id=delivery_id, event=event, payload=payload, parsed=parsed, repository=repository
    )
    if not created:
        return _answer(200, "duplicate delivery, already received", delivery=delivery.pk, status=delivery.status)
    if parsed.kind == "ping":
        return _answer(200, "pong", delivery=delivery.pk)
    if delivery.status == Delivery.Status.RECEIVED and delivery.error:
        # Stored and committed: the sweeper applies it again, so the host must not count this as a failure.
        return _answer(202, "accepted; applying it failed and will be retried", delivery=delivery.pk, status="received")
    return _answer(202, delivery.error or "accepted", delivery=delivery.pk, status=delivery.status)


@csrf_exempt
@require_POST
def github(request: HttpRequest) -> JsonResponse:
    """GitHub: X-Hub-Signature-256 over the raw body, checked before parsing; deduplicated on X-GitHub-Delivery."""
    signature = request.headers.get("X-Hub-Signature-256", "").strip()
    if not _GITHUB_SIGNATURE.fullmatch(signature):  # no signature at all: refused before the body is read
        return _answer(401, "signature missing or invalid")
    body = _read_body(request, settings.PORTAL_GITHUB_WEBHOOK_MAX_BYTES)
    if isinstance(body, JsonResponse):
        return body
    signer = _github_signer(body, signature)
    if not signer:
        return _answer(401, "signature missing or invalid")
    payload = _json(body)
    if isinstance(payload, JsonResponse):
        return payload
    # The repository's own secret, when it has one, replaces the global one for that repository.
    named = _named_repository(payload, ("repository", "full_name"), Repository.Provider.GITHUB)
    own = named[1].webhook_secret if named[1] else ""
    if not _is_expected(signer, own or settings.PORTAL_GITHUB_WEBHOOK_SECRET):
        return _answer(401, "signature missing or invalid")
    return _receive(
        Delivery.Provider.GITHUB,
        request.headers.get("X-GitHub-Event", ""),
        request.headers.get("X-GitHub-Delivery", ""),
        payload,
        named,
    )


@csrf_exempt
@require_POST
def gitlab(request: HttpRequest) -> JsonResponse:
    """GitLab: X-Gitlab-Token, checked before the body is read; deduplicated on Idempotency-Key, else Event-UUID."""
    token = request.headers.get("X-Gitlab-Token", "")
    # The token needs no body: compare it with every token in use (constant time each) before reading a byte.
    signer = next((t for t in _gitlab_tokens() if verify_gitlab_token(t, token)), "")
    if not signer:
        return _answer(401, "token missing or invalid")
    body = _read_body(request, settings.PORTAL_GITLAB_WEBHOOK_MAX_BYTES)
    if isinstance(body, JsonResponse):
        return body
    payload = _json(body)
    if isinstance(payload, JsonResponse):
        return payload
    named = _named_repository(payload, ("project", "path_with_namespace"), Repository.Provider.GITLAB)
    own = named[1].webhook_secret if named[1] else ""
    if not _is_expected(signer, own or settings.PORTAL_GITLAB_WEBHOOK_TOKEN):
        return _answer(401, "token missing or invalid")
    delivery_id = request.headers.get("Idempotency-Key") or request.headers.get("X-Gitlab-Event-UUID", "")
    event = request.headers.get("X-Gitlab-Event", "")
    return _receive(Delivery.Provider.GITLAB, event, delivery_id, payload, named)
