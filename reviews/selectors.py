"""Read queries of the reviews app, with a constant number of SQL queries per page."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from reviews.models import (
    Assignment,
    Attestation,
    Change,
    ChangeFile,
    Delivery,
    Engineer,
    GateOverride,
    PolicyVersion,
    Review,
    Revision,
)


def engineer_for_user(user) -> Engineer | None:
    """The engineer profile of a logged-in user, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Engineer.objects.select_related("team").filter(user=user).first()


def queue_for(engineer: Engineer) -> QuerySet[Assignment]:
    """Active assignments of a reviewer on open changes, oldest first."""
    return (
        Assignment.objects.filter(reviewer=engineer, state=Assignment.State.ACTIVE, change__state=Change.State.OPEN)
        .select_related("change", "change__repository", "change__author")
        .order_by("created_at")
    )


def recently_signed_by(engineer: Engineer, limit: int = 10) -> QuerySet[Review]:
    """The reviewer's latest verdicts."""
    return (
        Review.objects.filter(reviewer=engineer)
        .exclude(verdict=Review.Verdict.COMMENT)
        .select_related("change", "change__repository")
        .order_by("-created_at")[:limit]
    )


def changes_by_author(engineer: Engineer, limit: int = 50) -> QuerySet[Change]:
    """An author's open changes and their review state."""
    return (
        Change.objects.filter(author=engineer, state=Change.State.OPEN)
        .select_related("repository")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(state=Assignment.State.ACTIVE).select_related("reviewer"),
                to_attr="active_assignments",
            )
        )
        .order_by("-opened_at")[:limit]
    )


def change_detail(change_id: int) -> Change | None:
    """A change with its files, reviews, assignments and attestations, in a fixed number of queries."""
    return (
        Change.objects.select_related("repository", "author", "author__team")
        .prefetch_related(
            Prefetch("files", queryset=ChangeFile.objects.order_by("path")),
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer").order_by("created_at")),
            Prefetch("assignments", queryset=Assignment.objects.select_related("reviewer").order_by("created_at")),
            Prefetch("attestations", queryset=Attestation.objects.select_related("author").order_by("created_at")),
            "gate_results",
            Prefetch("gate_overrides", queryset=GateOverride.objects.select_related("senior")),
            Prefetch("revisions", queryset=Revision.objects.defer("raw_diff").order_by("number")),
        )
        .select_related("policy_version")
        .filter(pk=change_id)
        .first()
    )


def navigation_counts(engineer: Engineer | None) -> dict[str, int]:
    """Counts shown in the navigation bar."""
    if engineer is None:
        return {}
    counts = Assignment.objects.filter(
        reviewer=engineer, state=Assignment.State.ACTIVE, change__state=Change.State.OPEN
    ).aggregate(queue=Count("pk"))
    mine = Change.objects.filter(author=engineer, state=Change.State.OPEN).aggregate(
        mine=Count("pk"), to_attest=Count("pk", filter=Q(review_state=Change.ReviewState.AWAITING_ATTESTATION))
    )
    return {**counts, **mine}


def deliveries(*, status: str = "", limit: int = 200) -> QuerySet[Delivery]:
    """The newest webhook deliveries, without their payloads."""
    queryset = Delivery.objects.select_related("repository").defer("payload").order_by("-received_at")
    if status:
        queryset = queryset.filter(status=status)
    return queryset[:limit]


def policy_versions(limit: int = 50) -> QuerySet[PolicyVersion]:
    """The newest policy versions with who published them."""
    return PolicyVersion.objects.select_related("created_by").order_by("-number")[:limit]


def policy_version(number: int) -> PolicyVersion | None:
    """One policy version by number."""
    return PolicyVersion.objects.select_related("created_by").filter(number=number).first()
