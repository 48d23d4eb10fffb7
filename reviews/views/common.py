"""Helpers shared by the HTML views."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from reviews import selectors
from reviews.models import Change, Engineer


def current_engineer(request: HttpRequest) -> Engineer | None:
    """The engineer profile of the request's user, looked up once per request."""
    engineer = getattr(request, "_engineer", None) or selectors.engineer_for_user(request.user)
    request._engineer = engineer
    return engineer


def change_or_404(change_id: int) -> Change:
    """The change with everything its page shows, or a 404."""
    change = selectors.change_detail(change_id)
    if change is None:
        raise Http404("No such change.")
    return change
