"""Read queries of the policy app."""

from __future__ import annotations

from django.db.models import QuerySet

from reviews.models import PolicyVersion


def policy_versions(limit: int = 50) -> QuerySet[PolicyVersion]:
    """The newest policy versions with who published them."""
    return PolicyVersion.objects.select_related("created_by").order_by("-number")[:limit]


def policy_version(number: int) -> PolicyVersion | None:
    """One policy version by number."""
    return PolicyVersion.objects.select_related("created_by").filter(number=number).first()
