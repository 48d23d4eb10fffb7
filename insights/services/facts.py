"""Change and verdict facts: one narrow row per change and per verdict, kept up to date by a worker.

What a dashboard needs of a change (its first verdict and approval, review rounds, approvals before the merge,
whether it caused an incident, its size bucket and team) would otherwise be a correlated subquery per change in
every aggregate; at 10,000 changes a day that is seconds per page. The worker computes them once per change
with the same SQL, in batches, and again only for what changed: changes updated since the last run, changes
with new verdicts, new or changed incident links, or new deployments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import IncidentChangeLink
from insights.models import ChangeFact, FactsWatermark, ReviewFact
from insights.selectors.scope import caused_incident
from insights.selectors.sql import first_review_at
from insights.services.figures import day_figures_refresh, fact_days
from insights.stats import size_bucket
from policy.codeowners_file import resolve_owner
from portal.enqueue import enqueue
from reviews.models import Change, ChangeFile, Deployment, Engineer, Review, Service
from reviews.rubberstamp import Floor, floor_seconds

BATCH = 2000
FRESH_SECONDS = 300  # the beat schedule refreshes every five minutes; pages older than this ask for a refresh
SLACK = timedelta(minutes=2)  # rows written while the last run read are read again
CHANGE_FIELDS = [
    "repository_id", "team_id", "opened_at", "merged_at", "deployed_at", "is_closed", "needs_sign_off",
    "approvals_needed", "ai_assisted", "ai_undeclared", "lines", "bucket", "review_minutes", "first_review_at",
    "first_approval_at", "approvals_before_merge", "rounds", "failed", "refreshed_at",
]  # fmt: skip
REVIEW_FIELDS = [
    "change_id", "repository_id", "team_id", "reviewer_id", "created_at", "verdict", "seconds_spent",
    "estimated_minutes", "rubber_stamp", "time_unknown", "dismissed", "owner_required", "by_non_owner",
]  # fmt: skip


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), BATCH):
        yield ordered[i : i + BATCH]


def _by_others() -> Any:
    """Verdicts on the outer change by anyone but its author (an author-less change has no author to leave out),
    leaving out those dismissed on the host."""
    return Review.objects.filter(change_id=OuterRef("pk"), dismissed_at__isnull=True).exclude(
        reviewer_id=Coalesce(OuterRef("author_id"), Value(0))
    )


def _count(queryset, field: str = "pk", *, distinct: bool = False) -> Coalesce:
    counted = queryset.order_by().values("change_id").annotate(n=Count(field, distinct=distinct)).values("n")
    return Coalesce(Subquery(counted), 0)


def _change_facts(ids: list[int], now: datetime) -> list[ChangeFact]:
    approvals_before_merge = _by_others().filter(verdict=Review.Verdict.APPROVE, created_at__lte=OuterRef("merged_at"))
    rows = (
        Change.objects.filter(pk__in=ids)
        .annotate(
            first_review=first_review_at(),
            first_approval=first_review_at(approvals_only=True),
            rounds=_count(_by_others(), "head_sha", distinct=True),
            before_merge=_count(approvals_before_merge),
            caused=caused_incident(),
        )
        .values_list(
            "pk",
            "repository_id",
            "author__team_id",
            "opened_at",
            "merged_at",
            "deployed_at",
            "state",
            "required_sign_offs",
            "requires_owner",
            "ai_assisted",
            "ai_undeclared",
            "lines_added",
            "lines_removed",
            "review_minutes",
            "first_review",
            "first_approval",
            "rounds",
            "before_merge",
            "caused",
        )  # fmt: skip
    )
    facts = []
    for (
        pk, repository_id, team_id, opened, merged, deployed, state, required, requires_owner, ai, undeclared,
        added, removed, minutes, first_review, first_approval, rounds, before_merge, caused,
    ) in rows:  # fmt: skip
        needed = max(required, 1 if requires_owner else 0)
        facts.append(
            ChangeFact(
                change_id=pk,
                repository_id=repository_id,
                team_id=team_id,
                opened_at=opened,
                merged_at=merged,
                deployed_at=deployed,
                is_closed=state == Change.State.CLOSED,
                needs_sign_off=needed > 0,
                approvals_needed=needed,
                ai_assisted=ai,
                ai_undeclared=undeclared,
                lines=added + removed,
                bucket=size_bucket(added + removed),
                review_minutes=minutes,
                first_review_at=first_review,
                first_approval_at=first_approval,
                approvals_before_merge=before_merge,
                rounds=rounds,
                failed=caused,
                refreshed_at=now,
            )
        )
    return facts


class _Owners:
    """Who owns a change's paths, as the sign-off rules see it: CODEOWNERS where known, else the teams of the
    services whose paths it touches. Loaded once per refresh."""

    def __init__(self) -> None:
        self.services = list(Service.objects.values_list("repository_id", "path_prefixes", "team_id"))
        self.by_login: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.members: dict[str, list[int]] = {}
        self.team_of: dict[int, int | None] = {}
        for pk, github, gitlab, email, team_slug, team_id in Engineer.objects.values_list(
            "pk", "github_login", "gitlab_username", "email", "team__slug", "team_id"
        ):
            for login in (github, gitlab):
                if login:
                    self.by_login[login.lower()] = pk
            self.by_email[email.lower()] = pk
            self.team_of[pk] = team_id
            if team_slug:
                self.members.setdefault(team_slug.lower(), []).append(pk)

    def is_owner(self, reviewer_id: int, paths: list[str], path_owners: dict, repository_id: int) -> bool:
        tokens = {t for p in paths for t in (path_owners or {}).get(p, ())}
        if tokens:
            owners: set[int] = set()
            for token in tokens:
                owners |= resolve_owner(
                    token, engineers_by_login=self.by_login, engineers_by_email=self.by_email, team_members=self.members
                )
            return reviewer_id in owners
        teams = {
            team_id
            for repo_id, prefixes, team_id in self.services
            if repo_id == repository_id and team_id and any(p.startswith(tuple(prefixes or ())) for p in paths)
        }
        # As the sign-off rules do: with no owner on record for the paths, any senior's sign-off counts.
        return not teams or self.team_of.get(reviewer_id) in teams


def _review_facts(ids: list[int], owners: _Owners) -> list[ReviewFact]:
    floor = Floor(
        seconds_per_10_lines=settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES,
        min_seconds=settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS,
    )
    rows = list(
        Review.objects.filter(pk__in=ids).values_list(
            "pk",
            "change_id",
            "change__repository_id",
            "change__author__team_id",
            "reviewer_id",
            "created_at",
            "verdict",
            "seconds_spent",
            "change__review_minutes",
            "rubber_stamp",
            "source",
            "change__lines_added",
            "change__lines_removed",
            "change__requires_owner",
            "change__owner_paths",
            "change__path_owners",
            "dismissed_at",
        )  # fmt: skip
    )
    needs_files = {row[1] for row in rows if row[13] and not row[14]}
    files: dict[int, list[str]] = {}
    for change_id, path in ChangeFile.objects.filter(change_id__in=needs_files).values_list("change_id", "path"):
        files.setdefault(change_id, []).append(path)
    facts = []
    for (
        pk, change_id, repository_id, team_id, reviewer_id, created_at, verdict, seconds, minutes, flagged, source,
        added, removed, requires_owner, owner_paths, path_owners, dismissed_at,
    ) in rows:  # fmt: skip
        # A verdict given on the git host has no time at all: its own category, neither timed nor a stamp. History
        # imports carry the time the old tool measured, never checked against the floor here: under it, a stamp.
        time_unknown = source == Review.Source.HOST
        untimed_fast = source == Review.Source.HISTORY and seconds < floor_seconds(added + removed, floor)
        approve = verdict == Review.Verdict.APPROVE
        paths = list(owner_paths or ()) or files.get(change_id, [])
        facts.append(
            ReviewFact(
                review_id=pk,
                change_id=change_id,
                repository_id=repository_id,
                team_id=team_id,
                reviewer_id=reviewer_id,
                created_at=created_at,
                verdict=verdict,
                seconds_spent=seconds,
                estimated_minutes=minutes,
                rubber_stamp=approve and (flagged or untimed_fast),
                time_unknown=time_unknown,
                dismissed=dismissed_at is not None,
                owner_required=requires_owner,
                by_non_owner=approve
                and requires_owner
                and not owners.is_owner(reviewer_id, paths, path_owners, repository_id),
            )
        )
    return facts


def _changed_since(mark: FactsWatermark) -> tuple[set[int], set[int]]:
    """Changes and verdicts to (re)compute since the last run."""
    changes = set(Change.objects.filter(updated_at__gte=mark.changes_updated_at - SLACK).values_list("pk", flat=True))
    reviews = set(Review.objects.filter(pk__gt=mark.last_review_id).values_list("pk", flat=True))
    changes |= set(Review.objects.filter(pk__in=reviews).values_list("change_id", flat=True))
    changes |= set(
        IncidentChangeLink.objects.filter(updated_at__gte=mark.links_updated_at - SLACK).values_list(
            "change_id", flat=True
        )
    )
    carried = Deployment.changes.through.objects.filter(pk__gt=mark.last_deployment_link_id)
    changes |= set(carried.values_list("change_id", flat=True))
    # A changed change may change its verdicts' figures (its team, size or owners).
    reviews |= set(Review.objects.filter(change_id__in=changes).values_list("pk", flat=True))
    return changes, reviews


def facts_refresh(*, full: bool = False) -> dict[str, int]:
    """Bring the change and verdict facts, and the day figures of the days they touch, up to date (everything
    with `full`); idempotent, one run at a time."""
    now = timezone.now()
    with transaction.atomic():
        mark = FactsWatermark.objects.select_for_update().order_by("pk").first() or FactsWatermark.objects.create()
        # The high-water marks are read before the work, so nothing written meanwhile is missed next time.
        high = {
            "changes_updated_at": Change.objects.aggregate(at=Max("updated_at"))["at"] or now,
            "links_updated_at": IncidentChangeLink.objects.aggregate(at=Max("updated_at"))["at"] or now,
            "last_review_id": Review.objects.aggregate(pk=Max("pk"))["pk"] or 0,
            "last_deployment_link_id": Deployment.changes.through.objects.aggregate(pk=Max("pk"))["pk"] or 0,
        }
        if full or mark.refreshed_at is None:
            change_ids = set(Change.objects.values_list("pk", flat=True))
            review_ids = set(Review.objects.values_list("pk", flat=True))
        else:
            change_ids, review_ids = _changed_since(mark)
        # The days the facts were dated on before and after: a first approval that moves leaves one day for another.
        days = None if full or mark.refreshed_at is None else fact_days(change_ids, review_ids)
        for chunk in _chunks(change_ids):
            ChangeFact.objects.bulk_create(
                _change_facts(chunk, now), update_conflicts=True, unique_fields=["change"], update_fields=CHANGE_FIELDS
            )
        owners = _Owners() if review_ids else None
        for chunk in _chunks(review_ids):
            ReviewFact.objects.bulk_create(
                _review_facts(chunk, owners),
                update_conflicts=True,
                unique_fields=["review"],
                update_fields=REVIEW_FIELDS,
            )
        if days is not None:
            days |= fact_days(change_ids, review_ids)
        day_figures_refresh(days=days)
        for name, value in high.items():
            setattr(mark, name, value)
        mark.refreshed_at = now
        mark.save()
    return {"changes": len(change_ids), "reviews": len(review_ids)}


def facts_refreshed_at() -> datetime | None:
    """When the facts were last brought up to date (None: never)."""
    return FactsWatermark.objects.order_by("pk").values_list("refreshed_at", flat=True).first()


def facts_refresh_if_stale() -> datetime | None:
    """Ask a worker to refresh the facts when the last refresh is older than the beat interval (the embedded
    set-up runs tasks in-process, so there it happens at once); returns when they were last refreshed."""
    at = facts_refreshed_at()
    if at is None or at < timezone.now() - timedelta(seconds=FRESH_SECONDS):
        enqueue("insights.refresh_facts")  # a broker outage is logged, never an error page
        at = facts_refreshed_at() if settings.CELERY_TASK_ALWAYS_EAGER else at
    return at
