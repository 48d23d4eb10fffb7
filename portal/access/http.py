"""How a view says no: another team's object does not exist for the caller (404); their own team's is forbidden."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponseForbidden

from portal.access.rules import engineer_of, is_admin, team_of


def outside_team(user: Any, obj: Any) -> bool:
    """Whether `obj` (an engineer, an assignment, a team id) belongs to a team the caller may not look into."""
    if is_admin(user):
        return False
    me = engineer_of(user)
    return me is None or me.team_id is None or me.team_id != team_of(obj)


def refuse(user: Any, obj: Any, message: str, *, missing: str = "Not found.") -> HttpResponseForbidden:
    """A 403 with `message` for the caller's own team; raises Http404(`missing`) for another team's object."""
    if outside_team(user, obj):
        raise Http404(missing)
    return HttpResponseForbidden(message)
