"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from reviews.people import engineer_for_user
from reviews.selectors import navigation_counts


def navigation(request: HttpRequest) -> dict:
    """The current engineer and the counts in the navigation bar."""
    if not request.user.is_authenticated:
        return {}
    engineer = getattr(request, "_engineer", None) or engineer_for_user(request.user)
    request._engineer = engineer
    return {"me": engineer, "nav_counts": navigation_counts(engineer)}
