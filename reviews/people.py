"""Who is asking: the engineer profile of a request's user (a bottom-layer helper every app's views may use)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest

from reviews.models import Engineer


def engineer_for_user(user) -> Engineer | None:
    """The engineer profile of a logged-in user, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    # Kept as `user.engineer` (and the engineer's user as this one), which the permission rules read too: one
    # query per request, not one per question.
    cache = user._state.fields_cache
    if "engineer" not in cache:
        engineer = Engineer.objects.select_related("team").filter(user=user).first()
        if engineer is not None:
            engineer._state.fields_cache["user"] = getattr(user, "_wrapped", user)
        cache["engineer"] = engineer
    return cache["engineer"]


def engineer_by_name(name: str) -> Engineer | None:
    """The engineer with this user name or e-mail (case-insensitive), or None."""
    name = name.strip()
    if not name:
        return None
    match = Q(user__username__iexact=name) | Q(email__iexact=name)
    return Engineer.objects.select_related("user").filter(match).first()


def current_engineer(request: HttpRequest) -> Engineer | None:
    """The engineer profile of the request's user, looked up once per request."""
    engineer = getattr(request, "_engineer", None) or engineer_for_user(request.user)
    request._engineer = engineer
    return engineer
