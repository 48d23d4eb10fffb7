"""Login throttling glue for django-axes: the client's address behind proxies, and the lockout page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def forwarded_client(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client's address: REMOTE_ADDR, or the entry X-Forwarded-For got from the outermost trusted proxy."""
    if trusted_proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    # Each proxy appends the address it was called from, so only the last `trusted_proxies` entries are
    # trustworthy; anything further left was written by the client and may be forged.
    if len(hops) < trusted_proxies:
        return remote_addr  # the request skipped a proxy: keep the address we can vouch for
    return hops[-trusted_proxies]


def client_ip(request: HttpRequest) -> str:
    """The address axes counts failures against (AXES_CLIENT_IP_CALLABLE)."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.PORTAL_TRUSTED_PROXY_COUNT,
    )


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """The page shown instead of logging in while a username is locked out from this address."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)


def is_sso_callback(request: HttpRequest | None, credentials: Any = None) -> bool:
    """SSO callbacks are not password guesses: axes neither counts nor locks them out (AXES_WHITELIST_CALLABLE).

    Without this, a few refused callbacks (no username) would lock every SSO login from that address out.
    """
    return request is not None and request.path == reverse("oidc_authentication_callback")
