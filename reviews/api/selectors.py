"""The API's reads: changes with filters, one change in full, a senior's queue, engineers; a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from reviews.models import Assignment, Attestation, Change, Engineer, GateOverride, Review

_PERSON = ("user", "team")


def changes(
    *,
    repository: str | None = None,
    state: str | None = None,
    author: str | None = None,
    ai_assisted: bool | None = None,
    needs_sign_off: bool | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Change]:
    """Changes matching every filter given; newest first."""
    queryset = Change.objects.select_related("repository", "author", "author__user")
    if repository:
        queryset = queryset.filter(repository__name=repository)
    if state:
        queryset = queryset.filter(state=state)
    if author:
        queryset = queryset.filter(Q(author__user__username=author) | Q(author__email__iexact=author))
    if ai_assisted is not None:
        queryset = queryset.filter(ai_assisted=ai_assisted)
    if needs_sign_off is not None:
        wanted = Q(review_state=Change.ReviewState.NEEDS_SIGN_OFF)
        queryset = queryset.filter(wanted if needs_sign_off else ~wanted)
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return queryset


def change(change_id: int) -> Change | None:
    """One change with its gates, verdicts, assignments and attestations, people included."""
    return (
        Change.objects.select_related("repository", "author", "author__user", "policy_version")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer__user").order_by("created_at")),
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("reviewer__user").order_by("created_at")
            ),
            Prefetch("attestations", queryset=Attestation.objects.select_related("author__user")),
            "gate_results",
            Prefetch("gate_overrides", queryset=GateOverride.objects.select_related("senior__user")),
        )
        .filter(pk=change_id)
        .first()
    )


def engineers() -> QuerySet[Engineer]:
    """Every engineer, with user and team."""
    return Engineer.objects.select_related(*_PERSON).order_by("pk")


def engineer(engineer_id: int) -> Engineer | None:
    """One engineer, with user and team."""
    return engineers().filter(pk=engineer_id).first()


def queue(engineer: Engineer) -> QuerySet[Assignment]:
    """A reviewer's active assignments on open changes, oldest first."""
    return (
        Assignment.objects.filter(reviewer=engineer, state=Assignment.State.ACTIVE, change__state=Change.State.OPEN)
        .select_related("change", "change__repository", "change__author", "change__author__user")
        .order_by("created_at", "pk")
    )
