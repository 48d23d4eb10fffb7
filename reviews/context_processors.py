"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from portal.access.rules import may
from reviews import people
from reviews.ledger.selectors import ledger_open_alert
from reviews.people import engineer_for_user
from reviews.selectors import navigation_counts


def navigation(request: HttpRequest) -> dict:
    """The current engineer, what they may open, the navigation counts, and for admins an open ledger alert."""
    if not request.user.is_authenticated:
        return {}
    engineer = getattr(request, "_engineer", None) or engineer_for_user(request.user)
    request._engineer = engineer
    user = request.user
    user._countersign_engineer = engineer
    can = {
        "review": people.can_review(user),
        "author": people.can_author(user),
        "dashboards": people.can_read_dashboards(user),
        "quality": people.can_read_quality(user),
        "reports": people.can_read_reports(user),
        "whatif": people.can_use_whatif(user),
        "admin": people.is_admin(user),
    }
    context = {"me": engineer, "nav_counts": navigation_counts(engineer), "can": can, "home": people.home_name(user)}
    if may(request.user, "reviews.view_ledger_alert"):
        # One indexed query on a table that is empty while the ledger is intact.
        context["ledger_alert"] = ledger_open_alert()
    return context
