"""A person's own account: API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token

from reviews.audit import audit_record


def api_token_rotate(*, user: Any) -> str:
    """Replace the user's API token with a new one and return it (shown once)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        audit_record(actor=user, action="api_token.rotated", target=user, payload={})
    return token.key
