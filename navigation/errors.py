"""Error pages that say what happened and where to go: 403, 404, 500 and a refused CSRF token.

Pages get a styled page with the navigation; the API and the webhooks keep answering JSON. Views that answer
a refusal with a bare text response (HttpResponseForbidden("Only …")) get the same page through the middleware,
their message kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from portal.htmx import is_fragment

logger = logging.getLogger(__name__)

MACHINE_PREFIXES = ("/api/", "/webhooks/")
TITLES = {
    400: "That request could not be read",
    403: "You cannot open this page",
    404: "Nothing here",
    500: "Something went wrong on our side",
}
DEFAULT_MESSAGES = {
    400: "The request was malformed.",
    403: "Your account is not allowed to open this page.",
    404: "There is no page at this address: it may have moved, or the link is mistyped.",
    500: "The error is logged. Try again in a minute; if it keeps happening, tell an admin what you were doing.",
}
CSRF_MESSAGE = (
    "The form's security token was missing or out of date, usually because the page was open for a long time, "
    "you logged in or out in another tab, or cookies are blocked. Go back, reload the page and send it again."
)


def is_machine_path(path: str) -> bool:
    """The API and the webhooks answer JSON, whatever went wrong."""
    return path.startswith(MACHINE_PREFIXES)


def _message(exception: BaseException | None, status: int) -> str:
    # Http404 and PermissionDenied raised by the portal carry a sentence for people; Django's own resolver 404
    # carries a dict (the tried patterns), which is not for them.
    if exception is not None and exception.args and isinstance(exception.args[0], str) and exception.args[0]:
        return exception.args[0]
    return DEFAULT_MESSAGES[status]


def error_page(request: HttpRequest | None, status: int, message: str, *, title: str = "") -> HttpResponse:
    """The styled page for an error status, or JSON for the API and webhooks."""
    if request is not None and is_machine_path(request.path):
        return JsonResponse({"detail": message}, status=status)
    context = {"status": status, "title": title or TITLES.get(status, "Error"), "message": message}
    template = loader.get_template("navigation/error.html")
    # The 500 page renders without the request: the context processors touch the database, which may be the fault.
    body = template.render(context, request if status != 500 else None)
    return HttpResponse(body, status=status)


def handler403(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """PermissionDenied raised anywhere."""
    return error_page(request, 403, _message(exception, 403))


def handler404(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Http404 raised anywhere, and addresses that match no URL (with DEBUG off)."""
    return error_page(request, 404, _message(exception, 404))


def handler500(request: HttpRequest) -> HttpResponse:
    """An unhandled exception (with DEBUG off); a bare page if even the styled one cannot be drawn."""
    try:
        return error_page(request, 500, DEFAULT_MESSAGES[500])
    except Exception:  # noqa: BLE001 - the error page must not fail in its turn
        logger.exception("The 500 page could not be rendered")
        return HttpResponse(f"<!doctype html><title>Error 500</title><p>{DEFAULT_MESSAGES[500]}</p>", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A POST whose CSRF token was refused (CSRF_FAILURE_VIEW)."""
    logger.info("CSRF refused for %s: %s", request.path, reason)
    return error_page(request, 403, CSRF_MESSAGE, title="This form has expired")


def _is_bare(response: HttpResponse) -> bool:
    """A short text answer built by a view (not a page, not a file, not JSON)."""
    if getattr(response, "streaming", False) or response.has_header("Content-Disposition"):
        return False
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/plain", "text/html")):
        return False
    return b"<html" not in response.content[:2000].lower() and len(response.content) < 2000


class StyledErrorMiddleware:
    """Turn a view's bare-text 403 or 404 into the styled page, keeping its message; fragments are left alone."""

    STATUSES = (403, 404)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in self.STATUSES or is_machine_path(request.path):
            return response
        if getattr(request, "htmx", None) and is_fragment(request):
            return response
        if not _is_bare(response):
            return response
        message = response.content.decode(response.charset or "utf-8", "replace").strip()
        return error_page(request, response.status_code, message or DEFAULT_MESSAGES[response.status_code])
