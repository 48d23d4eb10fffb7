"""What a dashboard looks at: a period, and optionally one team and one repository; and the base querysets.

A change belongs to its author's team; a senior to their own team. Every count on a dashboard is the count of
a queryset of change or verdict facts (insights.models) defined here or in the section modules, and its
drill-down lists the changes of the same queryset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentChangeLink
from insights.models import ChangeFact, ReviewFact
from reviews.models import Engineer


@dataclass(frozen=True)
class Scope:
    """A period [start, end) and the optional team and repository filters."""

    start: datetime
    end: datetime
    team_id: int | None = None
    team_name: str = ""
    team_slug: str = ""
    repository_id: int | None = None
    repository_name: str = ""

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def with_period(self, start: datetime, end: datetime) -> Scope:
        return Scope(start, end, self.team_id, self.team_name, self.team_slug, self.repository_id, self.repository_name)

    def query(self, **extra: Any) -> dict[str, str]:
        """The URL parameters that select this scope (dates in the portal's time zone)."""
        params = {"start": local_date(self.start).isoformat(), "end": local_date(self.end).isoformat()}
        if self.team_slug:
            params["team"] = self.team_slug
        if self.repository_id:
            params["repository"] = str(self.repository_id)
        params.update({k: str(v) for k, v in extra.items() if v is not None and v != ""})
        return params

    def describe(self) -> dict[str, Any]:
        """The scope as plain values, for pages and snapshots."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "start_date": local_date(self.start).isoformat(),
            "last_date": (local_date(self.end) - timedelta(days=1)).isoformat(),
            "team": self.team_name,
            "team_slug": self.team_slug,
            "repository": self.repository_name,
        }


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def local_midnight(day: date) -> datetime:
    """00:00 of a day in the portal's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def drill_url(metric: str, scope: Scope, **extra: Any) -> str:
    """The absolute path of the change list behind a number."""
    return f"{reverse('insights:change-list')}?{urlencode({'metric': metric, **scope.query(**extra)})}"


def changes(scope: Scope) -> QuerySet[ChangeFact]:
    """Facts of the changes of the scope's team (by author) and repository; the period is left to each metric."""
    queryset = ChangeFact.objects.all()
    if scope.team_id is not None:
        queryset = queryset.filter(team_id=scope.team_id)
    if scope.repository_id is not None:
        queryset = queryset.filter(repository_id=scope.repository_id)
    return queryset.order_by()


def reviews(scope: Scope) -> QuerySet[ReviewFact]:
    """Facts of the verdicts on the scope's changes; the period is left to each metric."""
    queryset = ReviewFact.objects.all()
    if scope.team_id is not None:
        queryset = queryset.filter(team_id=scope.team_id)
    if scope.repository_id is not None:
        queryset = queryset.filter(repository_id=scope.repository_id)
    return queryset.order_by()


def seniors(scope: Scope) -> QuerySet[Engineer]:
    """Engineers at senior level, of the scope's team if it has one."""
    queryset = Engineer.objects.filter(level__gte=settings.PORTAL_SENIOR_LEVEL)
    if scope.team_id is not None:
        queryset = queryset.filter(team_id=scope.team_id)
    return queryset


NEEDS_SIGN_OFF = Q(needs_sign_off=True)


def caused_incident() -> Exists:
    """True for a change confirmed as causing an incident (suspected or ruled-out links do not count)."""
    return Exists(IncidentChangeLink.objects.filter(change_id=OuterRef("pk"), state=IncidentChangeLink.State.CONFIRMED))


def week_slices(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into 7-day slices from the start; the last one may be shorter."""
    slices = []
    at = start
    while at < end:
        slices.append((at, min(end, at + timedelta(days=7))))
        at += timedelta(days=7)
    return slices


def weeks_ending(end: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The `count` 7-day weeks up to `end`, oldest first."""
    return [(end - timedelta(days=7 * (i + 1)), end - timedelta(days=7 * i)) for i in reversed(range(count))]


def week_end_after(moment: datetime) -> datetime:
    """The end of the ISO week that the instant before `moment` falls in (`moment` itself on a Monday 00:00)."""
    last_day = local_date(moment - timedelta(microseconds=1))
    return local_midnight(last_day + timedelta(days=7 - last_day.weekday()))


def slice_label(start: datetime, end: datetime) -> str:
    """An ISO week label when the slice starts a week (it may be the week so far), else its first day."""
    first = timezone.localtime(start)
    if first.weekday() == 0 and first.time() == time.min and (end - start) <= timedelta(days=7):
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return first.date().isoformat()
