"""Request checks and response headers that apply to every view."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import resolve, reverse
from django.utils.cache import patch_cache_control

MESSAGE = "Bad request: {} contains a NUL character (%00, U+0000), which the portal cannot store or search for."


def _nul_in_pairs(pairs: list[tuple[str, list]]) -> bool:
    return any("\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values) for key, values in pairs)


def nul_in_request(request: HttpRequest) -> str:
    """Which part of the request line or headers holds U+0000 ('' when none): psycopg refuses it in any parameter."""
    if "\x00" in request.path_info:
        return "the address"
    if _nul_in_pairs(list(request.GET.lists())):
        return "the query string"
    if any("\x00" in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
        return "a header"
    return ""


class RefuseNulMiddleware:
    """Answer 400 with a message, not a database error (500), to U+0000 in the address, query string or a header."""

    # Form fields are left to the forms: Django's CharField refuses NUL with an error shown next to the field.

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if where := nul_in_request(request):
            message = MESSAGE.format(where)
            if request.path_info.startswith("/api/"):
                # The API's one error shape (reviews.api.errors.error_body): clients parse JSON, as the schema says.
                return JsonResponse({"message": message, "detail": message, "errors": {}}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Pages seen by a logged-in person are neither shared by proxies nor kept on disk by the browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A response that chose its own caching (a static file, an export) keeps it.
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class SignedEndpointMiddleware:
    """The git hosts' webhooks go straight to their view, past the middleware only a browser's request needs.

    Each request is authenticated by its own signature or token, carries no cookie and gets JSON back: sessions,
    login, CSRF (the views are exempt), CSP and frame headers, static files, htmx, styled error pages and the
    login lockout have nothing to do for it, and cost a few hundred microseconds of a request the hosts send in
    bursts. What every request needs runs before this one (request id, metrics, HTTPS and NUL checks); the host
    check of CommonMiddleware is made here.
    """

    URL_NAMES = ("webhook-github", "webhook-gitlab")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.paths is None:
            self.paths = frozenset(reverse(name) for name in self.URL_NAMES)
        if request.path_info not in self.paths:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS: raises DisallowedHost (a 400), as CommonMiddleware would
        match = resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
