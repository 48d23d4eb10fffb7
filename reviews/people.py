"""Who is asking: the engineer profile of a request's user (a bottom-layer helper every app's views may use)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest

from portal.access.rules import may
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


# What a person may open: the navigation, the landing page and the search ask the same rules as the views
# (portal.access.rules), so a link is shown exactly when following it will not be refused.


def _engineer_of(user) -> Engineer | None:
    """The user's engineer profile, looked up once per user object (a request's user lives for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_countersign_engineer"):
        user._countersign_engineer = engineer_for_user(user)
    return user._countersign_engineer


def is_admin(user) -> bool:
    """Staff and superusers administer the portal."""
    return may(user, "portal.administer")


def can_review(user) -> bool:
    """Seniors (L6 and up by default) have a review queue."""
    return may(user, "reviews.review_changes")


def can_author(user) -> bool:
    """Every engineer has changes of their own."""
    return may(user, "reviews.author_changes")


def can_read_dashboards(user) -> bool:
    """Managers and admins read every dashboard."""
    return may(user, "insights.view_dashboards")


def can_read_quality(user) -> bool:
    """The quality dashboard is open to incident reviewers as well."""
    return may(user, "insights.view_section", "quality")


def can_record_incidents(user) -> bool:
    """Superusers and incident reviewers record incidents and decide their causes."""
    return may(user, "incidents.record_incident")


def can_read_reports(user) -> bool:
    """Incident reviewers, staff and managers read the weekly report."""
    return may(user, "incidents.read_reports")


def can_use_whatif(user) -> bool:
    """Managers and admins run what-ifs."""
    return may(user, "assignment.use_whatif")


def home_name(user) -> str:
    """The URL name of the page where this person's work is: where `/` and the login lead."""
    engineer = _engineer_of(user)
    if is_admin(user):
        return "navigation:overview"
    if engineer is None:
        return "reviews:policy-detail"
    if engineer.is_manager:
        return "insights:dashboard"
    if engineer.is_incident_reviewer:
        return "incidents:incident-list"
    if engineer.is_senior:
        return "reviews:queue"
    return "reviews:change-mine"
