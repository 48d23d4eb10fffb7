"""Reads behind the weekly operations report: the week's incidents, causing changes and action items.

Each function returns JSON-ready values for the report's frozen snapshot, in a fixed number of queries
whatever the number of incidents.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Q, QuerySet

from incidents.models import COE_FIELDS, ActionItem, Incident, IncidentChangeLink, WeeklyReport
from incidents.report import reporting
from incidents.selectors.pages import _links_with_full_record
from reviews.models import Change

MAX_ACTION_ITEMS = 2000


def _iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def week_incidents(start: datetime, end: datetime) -> list[Incident]:
    """Incidents that started in [start, end) with services, review, and links with their full review record."""
    return list(
        Incident.objects.filter(started_at__gte=start, started_at__lt=end)
        .select_related("coe")
        .prefetch_related("services", _links_with_full_record())
        .order_by("started_at", "id")
    )


def _change_record(change: Change) -> dict[str, Any]:
    """A change's review record in the shape `_change_record.html` reads (`link.change.*`)."""
    approvals = [
        {
            "reviewer": {"display_name": r.reviewer.display_name},
            "seconds_spent": r.seconds_spent,
            "source": r.source,  # a host approval was never timed: its 0 s is "unknown", not a glance
            "rubber_stamp": r.rubber_stamp,
            "files_viewed": r.files_viewed,
            "files_total": r.files_total,
            "at": r.created_at.isoformat(),
        }
        for r in change.approvals
    ]
    gates = [
        {
            "name": g.name,
            "status": g.status,
            "message": g.message[:200],
            "override": {"senior": g.override.senior.display_name, "reason": g.override.reason[:200]}
            if g.override
            else None,
        }
        for g in change.current_gates
    ]
    author = change.author
    return {
        "title": change.title,
        "repository": {"name": change.repository.name},
        "short_sha": change.short_sha,
        "author": {"display_name": author.display_name, "level": author.level} if author else None,
        "author_name": change.author_name,
        "ai_assisted": change.ai_assisted,
        "ai_evidence": [str(e) for e in (change.ai_evidence or [])][:5],
        "approvals": approvals,
        "required_sign_offs": change.required_sign_offs,
        "risk_score": round(change.risk_score, 3),
        "risk_reasons": [str(r[1]) for r in (change.risk_reasons or []) if isinstance(r, list | tuple) and len(r) == 2][
            :3
        ],
        "gates": gates,
        "gates_ok": bool(gates) and all(g["status"] == "pass" or g["override"] for g in gates),
        "lines_changed": change.lines_changed,
        "merged_at": change.merged_at.isoformat() if change.merged_at else None,
        **reporting.sign_off_record(approvals),
    }


def incident_section(incidents: list[Incident], tz: tzinfo) -> dict[str, Any]:
    """The week's incidents by severity with their times, and the summary of those times."""
    rows = []
    for incident in incidents:
        confirmed = [link for link in incident.links.all() if link.state == IncidentChangeLink.State.CONFIRMED]
        coe = getattr(incident, "coe", None)
        texts = {name: getattr(coe, name) for name in COE_FIELDS} if coe else None
        rows.append(
            {
                "id": incident.pk,
                "title": incident.title,
                "severity": incident.severity,
                "status": incident.get_status_display(),
                "services": sorted(s.name for s in incident.services.all()),
                "started_at": _iso(incident.started_at, tz),
                "detected_at": _iso(incident.detected_at, tz),
                "mitigated_at": _iso(incident.mitigated_at, tz),
                "resolved_at": _iso(incident.resolved_at, tz),
                "minutes": reporting.incident_times(
                    incident.started_at, incident.detected_at, incident.mitigated_at, incident.resolved_at
                ),
                "causes": len(confirmed),
                "coe": reporting.coe_status(texts),
            }
        )
    order = {s: i for i, s in enumerate(reporting.SEVERITIES)}
    rows.sort(key=lambda r: (order.get(r["severity"], 9), r["started_at"] or ""))
    return {
        "count": len(rows),
        "by_severity": reporting.severity_counts(r["severity"] for r in rows),
        "rows": rows,
        "times": reporting.time_summary(r["minutes"] for r in rows),
    }


def cause_section(incidents: list[Incident]) -> list[dict[str, Any]]:
    """Each confirmed causing change with its review record, under the incident it caused."""
    causes = []
    for incident in incidents:
        for link in incident.links.all():
            if link.state != IncidentChangeLink.State.CONFIRMED:
                continue
            causes.append(
                {
                    "incident_id": incident.pk,
                    "incident_title": incident.title,
                    "severity": incident.severity,
                    "change_id": link.change_id,
                    "reason": link.reason[:500],
                    "decided_by": link.decided_by.get_username() if link.decided_by else "",
                    "change": _change_record(link.change),
                }
            )
    return causes


def week_action_items(start: datetime, end: datetime) -> QuerySet[ActionItem]:
    """Action items opened or closed in [start, end), or open at its end past their due date."""
    end_date = end.date()
    still_open = Q(created_at__lt=end, due_date__lt=end_date) & (
        Q(completed_at__isnull=True) | Q(completed_at__gte=end)
    )
    return (
        ActionItem.objects.filter(
            Q(created_at__gte=start, created_at__lt=end) | Q(completed_at__gte=start, completed_at__lt=end) | still_open
        )
        .select_related("owner", "incident")
        .order_by("due_date", "id")[:MAX_ACTION_ITEMS]
    )


def action_section(items: list[ActionItem], start: datetime, end: datetime, tz: tzinfo) -> dict[str, Any]:
    """Action items opened, closed and overdue in the week, with their counts."""
    end_date = end.astimezone(tz).date()
    section: dict[str, Any] = {"opened": [], "closed": [], "overdue": []}
    for item in items:
        buckets = reporting.action_buckets(
            created_at=item.created_at,
            completed_at=item.completed_at,
            due_date=item.due_date,
            start=start,
            end=end,
            end_date=end_date,
        )
        row = {
            "id": item.pk,
            "title": item.title,
            "incident_id": item.incident_id,
            "incident_title": item.incident.title,
            "owner": item.owner.display_name if item.owner else "",
            "due_date": item.due_date.isoformat() if item.due_date else None,
            "status": item.get_status_display(),
        }
        for bucket in buckets:
            section[bucket].append(row)
    section["counts"] = {name: len(section[name]) for name in ("opened", "closed", "overdue")}
    return section


def week_reports(week: str) -> list[WeeklyReport]:
    """Every revision of a week's report, newest first, with who finalised it."""
    return list(
        WeeklyReport.objects.filter(week=week)
        .select_related("finalised_by", "created_by")
        .defer("snapshot")
        .order_by("-revision")
    )


def current_report(week: str) -> WeeklyReport | None:
    """The report a week shows: its draft if one is open, else its final revision, else the newest."""
    rank = {WeeklyReport.Status.DRAFT: 0, WeeklyReport.Status.FINAL: 1, WeeklyReport.Status.SUPERSEDED: 2}
    reports = sorted(week_reports(week), key=lambda r: (rank[r.status], -r.revision))
    if not reports:
        return None
    return report_by_id(reports[0].pk)


def report_by_id(report_id: int) -> WeeklyReport | None:
    """One revision of a report, with its snapshot."""
    return WeeklyReport.objects.select_related("finalised_by", "created_by").filter(pk=report_id).first()


def recent_reports(limit: int = 12) -> list[WeeklyReport]:
    """The latest revisions across weeks, for the list beside the week picker."""
    return list(WeeklyReport.objects.defer("snapshot").order_by("-starts_at", "-revision")[:limit])
