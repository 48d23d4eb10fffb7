"""`Authorization: Token <key>` against our hashed, scoped, expiring tokens."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from reviews.models import ApiToken
from reviews.models.tokens import token_hash

# last_used_at is written at most this often per token, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ScopedTokenAuthentication(TokenAuthentication):
    """DRF's token header; the request's `auth` is the ApiToken, whose scopes the permissions read."""

    model = ApiToken

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
