"""/healthz, /readyz and /metrics: no session, no login, no template; answered before the rest of the middleware."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from portal.ops import health, metrics

NO_STORE = "no-store"


def _answer(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answering (touches nothing else: a database outage must not restart it)."""
    if request.method not in {"GET", "HEAD"}:
        return _answer(JsonResponse({"detail": "use GET"}, status=405, headers={"Allow": "GET, HEAD"}))
    return _answer(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every required check passes, else 503; every check's outcome in the body."""
    if request.method not in {"GET", "HEAD"}:
        return _answer(JsonResponse({"detail": "use GET"}, status=405, headers={"Allow": "GET, HEAD"}))
    ready, checks = health.readiness()
    body = {"status": "ready" if ready else "unready", "checks": checks}
    return _answer(JsonResponse(body, status=200 if ready else 503))


def _from_loopback_directly(request: HttpRequest) -> bool:
    # A proxy on the same machine also connects from loopback: a forwarded request is not a local one.
    if any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _has_token(request: HttpRequest) -> bool:
    expected = settings.PORTAL_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition, for loopback callers and holders of PORTAL_METRICS_TOKEN."""
    if request.method not in {"GET", "HEAD"}:
        return _answer(JsonResponse({"detail": "use GET"}, status=405, headers={"Allow": "GET, HEAD"}))
    if not (_from_loopback_directly(request) or _has_token(request)):
        detail = "metrics are served to loopback or with the bearer token (PORTAL_METRICS_TOKEN)"
        headers = {"WWW-Authenticate": 'Bearer realm="metrics"'} if settings.PORTAL_METRICS_TOKEN else {}
        status = 401 if settings.PORTAL_METRICS_TOKEN else 403
        return _answer(JsonResponse({"detail": detail}, status=status, headers=headers))
    return _answer(HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8"))
