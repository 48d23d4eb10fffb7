"""The beat's look at review deadlines: remind the senior before, tell the team's manager after."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from notifications.services.events import tell_due_soon, tell_overdue
from reviews.models import Assignment, Change, Engineer, Notification

BATCH = 500


def _not_told(prefix: str):
    told = Notification.objects.filter(key=Concat(Value(prefix), Cast(OuterRef("pk"), CharField())))
    return (
        Assignment.objects.filter(state=Assignment.State.ACTIVE, change__state=Change.State.OPEN)
        .filter(~Exists(told))
        .select_related("change__repository", "reviewer")
        .order_by("due_at")
    )


def deadlines_scan() -> dict[str, int]:
    """Tell seniors of reviews due within PORTAL_NOTIFY_DUE_SOON_HOURS, and managers of overdue ones; each once."""
    now = timezone.now()
    soon = _not_told("due_soon:").filter(
        due_at__gt=now, due_at__lte=now + timedelta(hours=settings.PORTAL_NOTIFY_DUE_SOON_HOURS)
    )
    reminded = sum(tell_due_soon(a) for a in soon[:BATCH])
    late = list(_not_told("overdue:").filter(due_at__lte=now)[:BATCH])
    managers: dict[int | None, list[Engineer]] = {}
    for manager in Engineer.objects.filter(is_manager=True, team_id__in={a.reviewer.team_id for a in late}):
        managers.setdefault(manager.team_id, []).append(manager)
    escalated = sum(tell_overdue(a, managers.get(a.reviewer.team_id, [])) for a in late)
    return {"due_soon": reminded, "overdue": escalated}
