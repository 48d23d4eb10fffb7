"""Read queries of the header search and the admin overview (a constant number of queries per page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from navigation.query import Query
from reviews.ledger.selectors import ledger_last_entry, ledger_open_alert
from reviews.models import Assignment, Change, Delivery, Engineer, OutboundMessage
from reviews.people import can_read_reports

LIMIT = 20


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, its label, where it leads and a line of detail."""

    kind: str
    label: str
    url: str
    detail: str = ""
    when: datetime | None = None


def _change_hit(change: Change, why: str) -> Hit:
    number = f" · #{change.number}" if change.number else ""
    author = change.author.display_name if change.author else (change.author_name or "unknown author")
    return Hit(
        kind="Change",
        label=change.title,
        url=reverse("reviews:change-detail", args=[change.pk]),
        detail=f"{change.repository.name}{number} · {author} · {change.get_state_display()} · {why}",
        when=change.opened_at,
    )


def _changes(query: Query) -> list[Hit]:
    match = Q()
    if query.number is not None:
        match |= Q(pk=query.number) | Q(number=query.number)
    if query.sha_prefix:
        match |= Q(head_sha__startswith=query.sha_prefix) | Q(merge_sha__startswith=query.sha_prefix)
    if query.words:
        match |= Q(title__icontains=query.words)
    if not match:
        return []
    rows = (
        Change.objects.filter(match)
        .select_related("repository", "author")
        .only(*_CHANGE_FIELDS)
        .order_by("-opened_at", "-pk")[:LIMIT]
    )
    return [_change_hit(c, _why(c, query)) for c in rows]


_CHANGE_FIELDS = (
    "title", "number", "head_sha", "merge_sha", "state", "opened_at", "author_name",
    "repository__name", "author__display_name",
)  # fmt: skip


def _why(change: Change, query: Query) -> str:
    if query.number is not None and change.pk == query.number:
        return f"change {change.pk}"
    if query.number is not None and change.number == query.number:
        return f"PR/MR #{change.number}"
    if query.sha_prefix and change.head_sha.startswith(query.sha_prefix):
        return f"head {change.head_sha[:12]}"
    if query.sha_prefix and change.merge_sha.startswith(query.sha_prefix):
        return f"merged as {change.merge_sha[:12]}"
    return "title matches"


def _authors(query: Query) -> list[Hit]:
    """Recent changes of the engineers whose name, username or e-mail matches the words."""
    if not query.words:
        return []
    who = Q(display_name__icontains=query.words) | Q(user__username__iexact=query.words) | Q(email__iexact=query.words)
    authors = Engineer.objects.filter(who).values("pk")[:LIMIT]
    rows = (
        Change.objects.filter(author__in=authors)
        .select_related("repository", "author")
        .only(*_CHANGE_FIELDS)
        .order_by("-opened_at", "-pk")[:LIMIT]
    )
    return [_change_hit(c, f"by {c.author.display_name}") for c in rows]


def _incidents(query: Query) -> list[Hit]:
    if query.incident_id is not None:
        match = Q(pk=query.incident_id)
    elif query.words:
        match = Q(title__icontains=query.words)
    else:
        return []
    rows = Incident.objects.filter(match).only("title", "severity", "status", "started_at").order_by("-started_at")
    return [
        Hit(
            kind="Incident",
            label=f"INC-{i.pk} · {i.title}",
            url=reverse("incidents:incident-detail", args=[i.pk]),
            detail=f"{i.severity} · {i.get_status_display()}",
            when=i.started_at,
        )
        for i in rows[:LIMIT]
    ]


def search(query: Query, user) -> list[Hit]:
    """What a person may open that matches the query: changes, their authors' changes, incidents, a report week."""
    if query.is_empty:
        return []
    hits: list[Hit] = []
    if query.week:
        if can_read_reports(user):
            url = reverse("incidents:report-weekly") + f"?week={query.week}"
            hits.append(Hit(kind="Weekly report", label=f"Weekly report {query.week}", url=url))
        return hits
    hits += _incidents(query)
    if query.incident_id is not None:
        return hits
    seen: set[str] = set()
    for hit in _changes(query) + _authors(query):
        if hit.url not in seen:
            seen.add(hit.url)
            hits.append(hit)
    return hits


def overview_counts() -> dict:
    """The figures an admin starts the day with: open changes, the queue, failed deliveries, the ledger."""
    now = timezone.now()
    changes = Change.objects.filter(state=Change.State.OPEN).aggregate(
        open=Count("pk"),
        needs_sign_off=Count("pk", filter=Q(review_state=Change.ReviewState.NEEDS_SIGN_OFF)),
        gates_failed=Count("pk", filter=Q(review_state=Change.ReviewState.GATES_FAILED)),
    )
    assignments = Assignment.objects.filter(state=Assignment.State.ACTIVE, change__state=Change.State.OPEN).aggregate(
        active=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
    )
    return {
        **changes,
        **assignments,
        "failed_deliveries": Delivery.objects.filter(status=Delivery.Status.FAILED).count(),
        "failed_messages": OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count(),
        "ledger_alert": ledger_open_alert(),
        "ledger_last": ledger_last_entry(),
        "incidents_open": Incident.objects.filter(status=Incident.Status.OPEN).count(),
        "unassigned": Change.objects.filter(state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF)
        .exclude(assignments__state=Assignment.State.ACTIVE)
        .count(),
    }
