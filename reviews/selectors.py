"""Read queries of the reviews app, with a constant number of SQL queries per page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from reviews import diffview
from reviews.conversation.selectors import your_turn
from reviews.models import (
    AiFinding,
    Assignment,
    AttentionEntry,
    Attestation,
    Change,
    ChangeFile,
    Engineer,
    FileView,
    GateOverride,
    Repository,
    Review,
    ReviewComment,
    Revision,
    Service,
)
from reviews.templatetags.diffview import MAX_RENDERED_LINES


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
            Prefetch("attention", queryset=AttentionEntry.objects.select_related("engineer").order_by("since")),
            Prefetch("ai_findings", queryset=AiFinding.objects.select_related("resolved_by")),
        )
        .select_related("policy_version", "host_sync")
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


RISK_BANDS = {"low": (0.0, 0.3), "medium": (0.3, 0.6), "high": (0.6, 1.01)}
QUEUE_SORTS = {
    "waiting": ("created_at",),
    "deadline": ("due_at", "created_at"),
    "risk": ("-change__risk_score", "created_at"),
    "size": ("-change__lines_added", "created_at"),
}


def _queue_base() -> QuerySet[Assignment]:
    return Assignment.objects.select_related(
        "reviewer", "change", "change__repository", "change__author", "change__author__team"
    )


def queue_filtered(engineer: Engineer, filters: dict[str, str]) -> QuerySet[Assignment]:
    """The reviewer's active assignments on open changes whose move is theirs, filtered and sorted."""
    queryset = _queue_base().filter(reviewer=engineer, state=Assignment.State.ACTIVE, change__state=Change.State.OPEN)
    return apply_queue_filters(your_turn(queryset, engineer), filters)


def apply_queue_filters(queryset: QuerySet[Assignment], filters: dict[str, str]) -> QuerySet[Assignment]:
    """Filters and sort of the queue, from already validated values."""
    if filters.get("repo"):
        queryset = queryset.filter(change__repository__name=filters["repo"])
    if filters.get("service"):
        service = Service.objects.filter(name=filters["service"]).first()
        prefixes = service.path_prefixes if service else []
        condition = Q(pk__in=[])
        for prefix in prefixes:
            condition |= Q(change__files__path__startswith=prefix)
        queryset = queryset.filter(condition).distinct()
    if filters.get("risk") in RISK_BANDS:
        low, high = RISK_BANDS[filters["risk"]]
        queryset = queryset.filter(change__risk_score__gte=low, change__risk_score__lt=high)
    if filters.get("ai") == "yes":
        queryset = queryset.filter(change__ai_assisted=True)
    elif filters.get("ai") == "no":
        queryset = queryset.filter(change__ai_assisted=False)
    if filters.get("age", "").isdigit():
        queryset = queryset.filter(created_at__lte=timezone.now() - timedelta(days=int(filters["age"])))
    return queryset.order_by(*QUEUE_SORTS.get(filters.get("sort", ""), QUEUE_SORTS["waiting"]))


def queue_choices() -> dict[str, list[str]]:
    """Repository and service names for the queue's filters."""
    return {
        "repos": list(Repository.objects.order_by("name").values_list("name", flat=True)),
        "services": list(Service.objects.order_by("name").values_list("name", flat=True)),
    }


def team_queue(team_id: int) -> QuerySet[Assignment]:
    """Active assignments of a team's seniors on changes waiting for a sign-off."""
    return (
        _queue_base()
        .filter(
            reviewer__team_id=team_id,
            state=Assignment.State.ACTIVE,
            change__state=Change.State.OPEN,
            change__review_state=Change.ReviewState.NEEDS_SIGN_OFF,
        )
        .order_by("due_at", "created_at")
    )


def team_load(team_id: int) -> QuerySet[Engineer]:
    """The team's seniors with their open review minutes and assignment counts."""
    return (
        Engineer.objects.filter(team_id=team_id, level__gte=settings.PORTAL_SENIOR_LEVEL)
        .annotate(
            open_minutes=Sum("assignments__estimated_minutes", filter=Q(assignments__state=Assignment.State.ACTIVE)),
            open_count=Count("assignments", filter=Q(assignments__state=Assignment.State.ACTIVE)),
        )
        .order_by("display_name")
    )


def unassigned_waiting(limit: int = 50) -> QuerySet[Change]:
    """Open changes that need a sign-off but have nobody assigned (no eligible senior was free)."""
    return (
        Change.objects.filter(state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF)
        .exclude(assignments__state=Assignment.State.ACTIVE)
        .select_related("repository", "author")
        .order_by("opened_at")[:limit]
    )


# --- inline comment threads ----------------------------------------------------------------------------------------


def diff_line_keys(patch: str, *, limit: int = MAX_RENDERED_LINES) -> frozenset[str]:
    """The "<side>:<line>" keys of the lines the diff viewer shows of a file's patch, where it places threads.

    Removed lines are "old:<number in the old file>", added and unchanged lines "new:<number in the new file>".
    Read with the viewer's own parser and cut at its limit, so that a thread the viewer would not show is listed
    as outdated instead of lost, and no thread is shown twice.
    """
    hunks, _ = diffview.limit_lines(diffview.parse_patch(patch), limit)
    return frozenset(
        f"old:{row.old_no}" if row.kind == "del" else f"new:{row.new_no}"
        for hunk in hunks
        for row in hunk.rows
        if row.kind in ("add", "del", "ctx")
    )


@dataclass(frozen=True)
class ChangeThreads:
    """A change's comment threads (root comments with their replies in `reply_list`), from every revision.

    `by_line[path]["<side>:<line>"]` holds the threads the diff shows at a line; `outdated` the threads whose file
    or line the current diff no longer shows; `open` every unresolved thread, wherever it is.
    """

    all: list[ReviewComment]
    by_line: dict[str, dict[str, list[ReviewComment]]]
    outdated: list[ReviewComment]
    open: list[ReviewComment]

    @property
    def open_by_seniors(self) -> int:
        return sum(1 for thread in self.open if thread.author.is_senior)


def _thread_list(change: Change) -> list[ReviewComment]:
    """The change's threads, oldest first, each with `reply_list`: every comment comes in one query."""
    comments = list(
        ReviewComment.objects.filter(change=change).select_related("author", "resolved_by").order_by("created_at", "pk")
    )
    replies: dict[int, list[ReviewComment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    threads = [c for c in comments if c.parent_id is None]
    for thread in threads:
        thread.reply_list = replies.get(thread.pk, [])
    return threads


def _place_threads(change: Change, threads: list[ReviewComment]) -> ChangeThreads:
    """Mark each thread with its revision and whether it is outdated, and group them by line.

    Reads the change's files and revisions through `.all()`, so a change from `change_detail` costs no query.
    """
    shown = {f.path: diff_line_keys(f.patch) for f in change.files.all() if f.patch}
    numbers = {r.head_sha: r.number for r in change.revisions.all()}
    by_line: dict[str, dict[str, list[ReviewComment]]] = {}
    outdated = []
    for thread in threads:
        key = f"{thread.side}:{thread.line}"
        thread.revision_number = numbers.get(thread.head_sha)
        thread.is_current_revision = thread.head_sha == change.head_sha
        thread.is_outdated = key not in shown.get(thread.path, ())
        if thread.is_outdated:
            outdated.append(thread)
        else:
            by_line.setdefault(thread.path, {}).setdefault(key, []).append(thread)
    return ChangeThreads(all=threads, by_line=by_line, outdated=outdated, open=[t for t in threads if not t.resolved])


def change_threads(change: Change) -> ChangeThreads:
    """Every thread of a change with replies and authors, in one query (plus files and revisions if not loaded)."""
    return _place_threads(change, _thread_list(change))


def thread_root(change: Change, comment_id: int) -> ReviewComment | None:
    """The root comment of one of the change's threads, with its author; None for a reply or another change's."""
    return (
        ReviewComment.objects.select_related("author").filter(change=change, pk=comment_id, parent__isnull=True).first()
    )


def change_for_comments(change_id: int) -> Change | None:
    """A change with what the comment views and services need, without its files."""
    return Change.objects.select_related("repository", "author").filter(pk=change_id).first()


def change_file(change: Change, path: str) -> ChangeFile | None:
    """A file of the change's current diff by its path, or None (a path no file could have included)."""
    if not path or len(path) > 1000 or "\x00" in path:
        return None
    return ChangeFile.objects.filter(change=change, path=path).defer("patch").first()


# --- the diff viewer ----------------------------------------------------------------------------


def change_for_files(change_id: int, *, path: str | None = None, with_patches: bool = True) -> Change | None:
    """A change with its repository, current gates, revisions and files: all of them, or only the one at path.

    Five queries whatever the number of files; `with_patches=False` leaves the patches in the database.
    """
    files = ChangeFile.objects.order_by("path")
    if path is not None:
        files = files.filter(path=path)
    if not with_patches:
        files = files.defer("patch")
    return (
        Change.objects.select_related("repository")
        .prefetch_related(
            Prefetch("files", queryset=files),
            "gate_results",
            "gate_overrides",
            Prefetch("revisions", queryset=Revision.objects.defer("raw_diff").order_by("number")),
        )
        .filter(pk=change_id)
        .first()
    )


def viewed_fingerprints(change: Change, engineer: Engineer | None, paths: list[str] | None = None) -> dict[str, str]:
    """Path to the fingerprint each file had when the engineer marked it viewed (one query; none without one)."""
    if engineer is None:
        return {}
    views = FileView.objects.filter(change=change, reviewer=engineer)
    if paths is not None:
        views = views.filter(path__in=paths)
    return dict(views.values_list("path", "fingerprint"))


def revision_raw_diff(revision: Revision) -> bytes:
    """The stored, compressed diff of a revision (left out of the page's own queries)."""
    raw = Revision.objects.filter(pk=revision.pk).values_list("raw_diff", flat=True).first()
    return bytes(raw or b"")
