"""The change page's conversation: whose turn it is, the timeline, and what changed since the viewer's review."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from reviews.conversation.selectors import since_reviews, waiting_for
from reviews.conversation.timeline import build_timeline
from reviews.models import Change, Engineer, ReviewComment


def conversation_context(change: Change, engineer: Engineer | None, threads: list[ReviewComment]) -> dict[str, Any]:
    """Context for the change page's turn line, timeline and since-your-review card (from prefetched data)."""
    in_turn = waiting_for(change)
    since = since_reviews(engineer, [change]).get(change.pk) if engineer is not None and engineer.is_senior else None
    my_open = [t for t in threads if engineer is not None and t.author_id == engineer.pk and not t.resolved]
    return {
        "turn_entries": in_turn,
        "my_turn": engineer is not None and any(e.engineer_id == engineer.pk for e in in_turn),
        "timeline": build_timeline(
            change=change,
            revisions=list(change.revisions.all()),
            attestations=list(change.attestations.all()),
            assignments=list(change.assignments.all()),
            reviews=list(change.reviews.all()),
            threads=threads,
        ),
        "since_revision": since,
        # Threads the senior opened that the new revision may answer: their line moved or the file changed.
        "since_threads": [t for t in my_open if not t.is_current_revision] if since else [],
    }


def blocking_threads(change: Change) -> list[ReviewComment]:
    """Unresolved threads opened by seniors: each blocks a sign-off (the approve dialog lists them)."""
    return list(
        ReviewComment.objects.filter(
            change=change, parent__isnull=True, resolved=False, author__level__gte=settings.PORTAL_SENIOR_LEVEL
        )
        .select_related("author")
        .order_by("created_at")[:20]
    )
