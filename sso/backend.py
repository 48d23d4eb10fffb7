"""The authentication backend of single sign-on: mozilla-django-oidc's code flow with strict id_token checks."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso import discovery
from sso.groups import GroupMapError
from sso.services import AccountRefused, account_sync
from sso.tokens import InvalidIdToken, verify_id_token

logger = logging.getLogger(__name__)


class SsoBackend(OIDCAuthenticationBackend):
    """Endpoints resolved lazily (Django builds a backend for every request's user); refusals logged, never a 500."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads every endpoint here; Django also builds this backend just to load a session's user.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the parent's attribute name
        return discovery.endpoints().token

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802 - the parent's attribute name
        return discovery.endpoints().userinfo

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802 - the parent's attribute name
        return discovery.endpoints().jwks

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not getattr(settings, "PORTAL_OIDC_ENABLED", False) or request is None:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (
            InvalidIdToken,
            AccountRefused,
            GroupMapError,
            SuspiciousOperation,
            discovery.ProviderUnavailable,
            requests.RequestException,
            ValueError,
        ) as exc:
            logger.warning("single sign-on refused: %s", exc)
            return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        if "nonce" not in kwargs:
            # Only a JWT userinfo answer comes here without a nonce; the portal asks for JSON userinfo.
            raise InvalidIdToken("signed userinfo is not accepted")
        return verify_id_token(
            token,
            fetch_jwks=discovery.jwks,
            issuer=settings.PORTAL_OIDC_ISSUER,
            client_id=settings.OIDC_RP_CLIENT_ID,
            algorithm=settings.OIDC_RP_SIGN_ALGO,
            nonce=kwargs["nonce"],
            leeway=settings.PORTAL_OIDC_LEEWAY_SECONDS,
        )

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The id_token's claims, completed by userinfo (whose subject must be the token's, as OIDC requires)."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise InvalidIdToken("userinfo names another subject than the id_token")
        return {**payload, **userinfo}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub")) and bool(claims.get("email"))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise AccountRefused("the provider sent no subject or no e-mail address")
        user = account_sync(claims=claims)
        if not user.is_active:
            logger.warning("single sign-on refused: the account %s is disabled", user.get_username())
            return None
        return user
