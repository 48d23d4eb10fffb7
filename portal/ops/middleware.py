"""The operations endpoints answered ahead of sessions, CSRF and host checks; webhook deliveries counted."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.ops import metrics, views

ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics_view,
}
WEBHOOK_HOSTS = ("github", "gitlab", "pagerduty")


class OpsEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics at once: a load balancer's probe carries no session, may name the
    machine by its address (not in ALLOWED_HOSTS) and comes over plain HTTP (no redirect to HTTPS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if view is not None:
            return view(request)
        return self.get_response(request)


class WebhookMetricsMiddleware:
    """Counts webhook deliveries per host: received, accepted (2xx) and rejected (anything else)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        parts = request.path_info.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "webhooks" and parts[1] in WEBHOOK_HOSTS:
            metrics.WEBHOOKS.labels(parts[1], "received").inc()
            metrics.WEBHOOKS.labels(parts[1], "accepted" if 200 <= response.status_code < 300 else "rejected").inc()
        return response
