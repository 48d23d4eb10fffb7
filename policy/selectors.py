"""Read queries of the policy app."""

from __future__ import annotations

from django.db.models import QuerySet

from reviews.models import PolicyDraft, PolicyVersion


def policy_versions(limit: int = 50) -> QuerySet[PolicyVersion]:
    """The newest policy versions with who published them."""
    return PolicyVersion.objects.select_related("created_by").order_by("-number")[:limit]


def policy_version(number: int) -> PolicyVersion | None:
    """One policy version by number."""
    return PolicyVersion.objects.select_related("created_by").filter(number=number).first()


def policy_drafts(limit: int = 20) -> QuerySet[PolicyDraft]:
    """Unpublished drafts, the most recently edited first."""
    return (
        PolicyDraft.objects.select_related("created_by", "based_on")
        .filter(published_as__isnull=True)
        .order_by("-updated_at")[:limit]
    )


def policy_draft(pk: int) -> PolicyDraft | None:
    """One draft by id, published or not."""
    return PolicyDraft.objects.select_related("created_by", "based_on", "published_as").filter(pk=pk).first()


def policy_latest_draft() -> PolicyDraft | None:
    """The unpublished draft edited last: what a what-if compares with the policy in force."""
    return PolicyDraft.objects.filter(published_as__isnull=True).order_by("-updated_at").first()
