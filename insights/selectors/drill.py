"""The change lists behind the dashboards' numbers: each metric's queryset, filtered as its count was."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from insights.models import ChangeFact, ReviewFact
from insights.selectors import pipeline, quality
from insights.selectors import scope as sc
from insights.stats import SIZE_BUCKETS
from reviews.models import Change, ChangeFile


@dataclass(frozen=True)
class Metric:
    """A drill-down: what it lists, and the facts of the changes it lists."""

    label: str
    changes: Callable[[sc.Scope], QuerySet[ChangeFact]]


def _reviewed(scope: sc.Scope) -> QuerySet[ChangeFact]:
    verdicts = ReviewFact.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end).exclude(
        verdict="comment"
    )
    if scope.repository_id is not None:
        verdicts = verdicts.filter(repository_id=scope.repository_id)
    return ChangeFact.objects.filter(change_id__in=verdicts.values("change_id"))


METRICS: dict[str, Metric] = {
    "inflow": Metric("Changes needing sign-off opened in the period", pipeline.inflow),
    "signed_off": Metric("Changes needing sign-off first approved in the period", pipeline.signed_off),
    "signed_off_timed": Metric(
        "Changes needing sign-off first approved in the period, with a time to sign-off", pipeline.signed_off_timed
    ),
    "first_reviewed": Metric("Changes needing sign-off first reviewed in the period", pipeline.first_reviewed),
    "queued": Metric("Changes in the review queue at the end of the period", pipeline.queued),
    "reviewed": Metric("Changes given a verdict in the period", _reviewed),
    "deployed": Metric("Changes deployed in the period", quality.deployed),
    "failed": Metric("Changes deployed in the period and confirmed as causing an incident", quality.failed),
    "rubber_stamped": Metric("Changes with a rubber-stamp approval in the period", quality.rubber_stamped),
    "host_approved": Metric("Changes approved on the git host in the period (time unknown)", quality.host_approved),
    "non_owner": Metric("Changes that need an owner, approved in the period by a non-owner", quality.non_owner),
    "missing_sign_off": Metric(
        "AI-assisted changes merged in the period without the required sign-off", quality.merged_without_sign_off
    ),
    "undeclared": Metric("Changes opened in the period detected as AI-assisted but not declared", quality.undeclared),
    "touching": Metric("Merged changes touching a path", lambda scope: sc.changes(scope).exclude(merged_at=None)),
}
BUCKETS = {name for name, _, _ in SIZE_BUCKETS}


def drill_changes(metric: str, scope: sc.Scope, params: Mapping[str, str]) -> QuerySet[Change]:
    """The changes behind a metric, narrowed by the optional ai, bucket, reviewer and path parameters (already
    validated), newest first, with what the list shows in a fixed number of queries."""
    facts = METRICS[metric].changes(scope)
    if params.get("ai") in ("yes", "no"):
        facts = facts.filter(ai_assisted=params["ai"] == "yes")
    if params.get("bucket") in BUCKETS:
        facts = facts.filter(bucket=params["bucket"])
    if params.get("reviewer"):
        by_reviewer = ReviewFact.objects.filter(
            reviewer_id=int(params["reviewer"]), created_at__gte=scope.start, created_at__lt=scope.end
        )
        facts = facts.filter(change_id__in=by_reviewer.values("change_id"))
    if params.get("path"):
        facts = facts.filter(Exists(ChangeFile.objects.filter(change_id=OuterRef("change_id"), path=params["path"])))
    return (
        Change.objects.filter(pk__in=facts.values("change_id"))
        .select_related("repository", "author")
        .order_by("-opened_at", "-pk")
    )
