"""A person's own account and service accounts: scoped API tokens, created (shown once) and revoked."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.access.rules import may
from reviews.audit import ServiceError, audit_record
from reviews.models import ApiToken
from reviews.models.tokens import token_hash

DEFAULT_SCOPES = ("read", "review")


def api_token_create(
    *,
    user: Any,
    actor: Any,
    name: str,
    scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    service_account: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its key (the key is shown this once; only its hash is stored)."""
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if unknown or not scopes:
        raise ServiceError(f"unknown or no scopes: {', '.join(sorted(unknown)) or 'none given'}")
    if "admin" in scopes and not may(actor, "reviews.issue_admin_token"):
        raise ServiceError("only an admin can create a token with the admin scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("the expiry date has passed")
    key = "cs_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100] or "token",
            prefix=key[:10],
            key_hash=token_hash(key),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            service_account=service_account,
        )
        payload = {"token": token.pk, "scopes": token.scopes, "service_account": service_account}
        audit_record(actor=actor, action="api_token.created", target=user, payload=payload)
    return token, key


def api_token_revoke(*, token: ApiToken, actor: Any) -> None:
    """Revoke a token at once (idempotent)."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit_record(actor=actor, action="api_token.revoked", target=token.user, payload={"token": token.pk})


def api_token_rotate(*, user: Any) -> str:
    """Revoke the user's live tokens and create one with the default scopes; returns its key (shown once)."""
    with transaction.atomic():
        for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
            api_token_revoke(token=token, actor=user)
        _, key = api_token_create(user=user, actor=user, name="personal token")
        audit_record(actor=user, action="api_token.rotated", target=user, payload={})
    return key
