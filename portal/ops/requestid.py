"""Every request gets an id: the incoming X-Request-ID when well-formed, else a new one; echoed in the response."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.ops.context import accept_or_make, request_id

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Sets the request id for the logs and tasks sent while answering, and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = accept_or_make(request.headers.get(HEADER))
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response
