"""Helpers shared by the HTML views."""

from __future__ import annotations

from django.http import HttpRequest

from reviews import selectors
from reviews.models import Engineer


def current_engineer(request: HttpRequest) -> Engineer | None:
    """The engineer profile of the request's user, looked up once per request."""
    engineer = getattr(request, "_engineer", None) or selectors.engineer_for_user(request.user)
    request._engineer = engineer
    return engineer
