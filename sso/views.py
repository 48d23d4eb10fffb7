"""The login page (password and/or single sign-on) and the two legs of the OpenID Connect code flow."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sso import discovery

logger = logging.getLogger(__name__)
SSO_FAILED = "Single sign-on did not log you in. Try again, or ask an admin if your account is disabled."


def _require_sso() -> None:
    if not settings.PORTAL_OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


class LoginView(auth_views.LoginView):
    """Django's login page, with a "Sign in with SSO" button; with password login off, only the button."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.PORTAL_OIDC_ENABLED
        context["password_login"] = settings.PORTAL_PASSWORD_LOGIN
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PORTAL_PASSWORD_LOGIN:
            messages.error(request, "Password login is turned off: sign in with SSO.")
            response = self.get(request, *args, **kwargs)
            response.status_code = 403
            return response
        return super().post(request, *args, **kwargs)


class SsoStart(OIDCAuthenticationRequestView):
    """Redirect to the provider's authorisation endpoint (state, nonce and PKCE kept in the session)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads the endpoint at construction; it is resolved in get(), when a login starts.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.endpoints().authorization
        except discovery.ProviderUnavailable as exc:
            logger.warning("single sign-on unavailable: %s", exc)
            messages.error(request, "The identity provider cannot be reached; try again in a minute.")
            return redirect("login")
        return super().get(request)


class SsoCallback(OIDCAuthenticationCallbackView):
    """The provider's answer: the backend checks the token and syncs the account; a refusal goes back to login."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        return super().get(request)

    @property
    def failure_url(self) -> str:
        return reverse("login")

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, SSO_FAILED)
        return HttpResponseRedirect(self.failure_url)
