"""Reads of whose turn it is: the queue's sections, the change page's "waiting for", the since-your-review link."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from reviews.models import Assignment, AttentionEntry, Change, Engineer, Review, Revision

# Review states in which nobody waits for anybody any more.
DONE = (Change.ReviewState.APPROVED, Change.ReviewState.NOT_REQUIRED)
# Review states in which the move is the author's (for changes recorded before the attention set existed).
AUTHOR_TURN = (
    Change.ReviewState.CHANGES_REQUESTED,
    Change.ReviewState.GATES_FAILED,
    Change.ReviewState.AWAITING_ATTESTATION,
    Change.ReviewState.PENDING_POLICY,
)


def _entry(engineer: Engineer, **extra) -> QuerySet[AttentionEntry]:
    return AttentionEntry.objects.filter(change=OuterRef("change"), engineer=engineer, **extra)


def your_turn(queryset: QuerySet[Assignment], engineer: Engineer) -> QuerySet[Assignment]:
    """Of a reviewer's active assignments, those whose move is theirs: the attention set says so, or (a change
    it has not recorded) the change waits for a sign-off."""
    return queryset.filter(
        Q(Exists(_entry(engineer, in_turn=True)))
        | (Q(change__review_state=Change.ReviewState.NEEDS_SIGN_OFF) & ~Exists(_entry(engineer, in_turn=False)))
    )


@dataclass(frozen=True)
class Waiting:
    """A change a senior reviews whose move is someone else's, and whose."""

    change: Change
    waiting_for: list[Engineer]
    since: object


def waiting_on_others(engineer: Engineer, limit: int = 50) -> list[Waiting]:
    """Open changes the senior reviews (or requested changes on) whose move is the author's or the pipeline's."""
    mine = AttentionEntry.objects.filter(change=OuterRef("pk"), engineer=engineer)
    # Only the senior's own few changes can match: named first, PostgreSQL starts from them instead of filtering
    # every open change (thousands in a large organisation) through the subqueries below.
    theirs = (
        AttentionEntry.objects.filter(engineer=engineer)
        .order_by()
        .values("change_id")
        .union(
            Assignment.objects.filter(reviewer=engineer, state=Assignment.State.ACTIVE).order_by().values("change_id"),
            all=True,
        )
    )
    changes = (
        Change.objects.filter(pk__in=theirs, state=Change.State.OPEN)
        .exclude(review_state__in=DONE)
        .filter(
            Exists(mine.filter(role=AttentionEntry.Role.REVIEWER, in_turn=False))
            | (
                Exists(
                    Assignment.objects.filter(change=OuterRef("pk"), reviewer=engineer, state=Assignment.State.ACTIVE)
                )
                & Q(review_state__in=AUTHOR_TURN)
                & ~Exists(mine)
            )
        )
        .select_related("repository", "author")
        .prefetch_related(
            Prefetch(
                "attention",
                queryset=AttentionEntry.objects.select_related("engineer").order_by("since"),
                to_attr="entries",
            )
        )
        .order_by("-updated_at")[:limit]
    )
    rows = []
    for change in changes:
        in_turn = [e.engineer for e in change.entries if e.in_turn]
        mine_entry = next((e for e in change.entries if e.engineer_id == engineer.pk), None)
        rows.append(Waiting(change, in_turn, mine_entry.since if mine_entry else change.updated_at))
    return rows


def waiting_for(change: Change) -> list[AttentionEntry]:
    """The attention set of a change from `change_detail` (prefetched): the people whose move it is."""
    return [e for e in change.attention.all() if e.in_turn]


def since_reviews(engineer: Engineer, changes: list[Change]) -> dict[int, int]:
    """Change id to the revision number of the senior's latest verdict, where the change has moved on since.

    Two queries whatever the number of changes."""
    if not changes:
        return {}
    latest: dict[int, str] = {}
    verdicts = (
        Review.objects.filter(reviewer=engineer, change__in=changes)
        .order_by("change_id", "-created_at", "-pk")
        .values_list("change_id", "head_sha")
    )
    for change_id, sha in verdicts:
        latest.setdefault(change_id, sha)
    heads = {c.pk: c.head_sha for c in changes}
    moved = {cid: sha for cid, sha in latest.items() if sha != heads.get(cid)}
    if not moved:
        return {}
    numbers = Revision.objects.filter(change_id__in=list(moved)).values_list("change_id", "head_sha", "number")
    return {cid: number for cid, sha, number in numbers if moved.get(cid) == sha}
