"""One JSON shape for every API error: a message, and the field errors when a body or query was invalid."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from reviews.audit import NotAllowed, ServiceError


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for v in detail.values() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for v in detail for m in _flatten(v)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def error_body(message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The body of an error response; `detail` repeats the message for clients written against DRF's default."""
    return {"message": message, "detail": message, "errors": errors or {}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus service errors as 400 and refusals as 403, always as `error_body`."""
    if isinstance(exc, NotAllowed):
        return Response(error_body(str(exc)), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ServiceError):
        return Response(error_body(str(exc)), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        errors = _field_errors(exc.detail)
        first = next(iter(errors.items()), ("", ["invalid input"]))
        message = first[1][0] if first[0] == "non_field_errors" else f"{first[0]}: {first[1][0]}"
        response.data = error_body(f"Invalid input ({message})", errors)
    else:
        detail = getattr(exc, "detail", response.data)
        response.data = error_body(" ".join(_flatten(detail)))
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The portal's 404: under /api/ in the API's JSON shape (an address no route matches, such as a negative id),
    elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body("Not found."), status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
