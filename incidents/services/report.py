"""Writes of the weekly operations report: draft, build, edit, finalise (frozen), revise, e-mail."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from incidents.models import WeeklyReport
from incidents.report import reporting
from incidents.report.sections import report_sections
from incidents.report.weeks import parse_iso_week, previous_week_of, week_bounds
from notifications.services.events import tell_report
from portal.access.rules import may
from portal.enqueue import enqueue
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.models import Engineer

log = logging.getLogger(__name__)

NARRATIVE_FIELDS = ("summary", "highlights", "concerns", "decisions")
SNAPSHOT_VERSION = 1


def can_edit_reports(user: Any) -> bool:
    """Incident reviewers and staff draft, edit and finalise weekly reports (the rule `incidents.edit_reports`)."""
    return bool(getattr(user, "is_authenticated", False)) and may(user, "incidents.edit_reports")


def can_read_reports(user: Any) -> bool:
    """Report editors, and managers, read weekly reports (the rule `incidents.read_reports`)."""
    return bool(getattr(user, "is_authenticated", False)) and may(user, "incidents.read_reports")


def report_zone() -> ZoneInfo:
    """The organisation's time zone, in which weeks start on Monday at 00:00."""
    return ZoneInfo(settings.PORTAL_REPORT_TIME_ZONE)


def _week(label: str) -> tuple[str, datetime, datetime]:
    try:
        year, week = parse_iso_week(label)
        start, end = week_bounds(year, week, report_zone())
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    except OverflowError:
        raise ServiceError("that week is out of range") from None
    return f"{year:04d}-W{week:02d}", start, end


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _enqueue_build(report: WeeklyReport) -> None:
    enqueue("incidents.weekly_report_build", report.pk)


def _queue(report: WeeklyReport) -> None:
    report.build_state = WeeklyReport.BuildState.QUEUED
    report.progress = 0
    report.step = "Waiting for a worker"
    report.error = ""
    report.build_requested_at = timezone.now()


def weekly_report_draft(*, actor: Any, week: str, queue_build: bool = True) -> WeeklyReport:
    """Open a draft of a week's report and queue its build; a draft already open is rebuilt instead.

    A week whose report is final is not redrafted here: a new revision is started from the final one.
    With queue_build off the caller builds it (the command line builds in the foreground).
    """
    label, start, end = _week(week)
    with transaction.atomic():
        existing = list(WeeklyReport.objects.select_for_update().filter(week=label))
        draft = next((r for r in existing if r.status == WeeklyReport.Status.DRAFT), None)
        if draft is not None:
            _queue(draft)
            draft.save(update_fields=["build_state", "progress", "step", "error", "build_requested_at", "updated_at"])
            audit_record(actor=actor, action="weekly_report.rebuild", target=draft, payload={"week": label})
            if queue_build:
                _enqueue_build(draft)
            return draft
        if any(r.status == WeeklyReport.Status.FINAL for r in existing):
            raise ServiceError(f"the report of {label} is final; start a new revision to change it")
        report = WeeklyReport(
            week=label,
            starts_at=start,
            ends_at=end,
            time_zone=settings.PORTAL_REPORT_TIME_ZONE,
            revision=1 + max((r.revision for r in existing), default=0),
            created_by=_user(actor),
        )
        _queue(report)
        report.save()
        audit_record(
            actor=actor,
            action="weekly_report.drafted",
            target=report,
            payload={"week": label, "revision": report.revision},
        )
        if queue_build:
            _enqueue_build(report)
    return report


def weekly_report_draft_scheduled(*, now: datetime) -> WeeklyReport | None:
    """Beat's Monday draft of the previous week; nothing when that week already has a report."""
    label = previous_week_of(now.astimezone(report_zone()).date())
    if WeeklyReport.objects.filter(week=label).exists():
        return None
    try:
        return weekly_report_draft(actor=None, week=label)
    except ServiceError:
        return None


def weekly_report_revise(*, actor: Any, report: WeeklyReport) -> WeeklyReport:
    """Start a new draft revision of a final report, with its narrative, to supersede it once finalised."""
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if report.status != WeeklyReport.Status.FINAL:
            raise ServiceError("only the final report of a week can be revised")
        open_draft = WeeklyReport.objects.filter(week=report.week, status=WeeklyReport.Status.DRAFT).first()
        if open_draft is not None:
            return open_draft
        last = WeeklyReport.objects.filter(week=report.week).aggregate(last=Max("revision"))["last"] or 0
        draft = WeeklyReport(
            week=report.week,
            starts_at=report.starts_at,
            ends_at=report.ends_at,
            time_zone=report.time_zone,
            revision=last + 1,
            supersedes=report,
            created_by=_user(actor),
            **{name: getattr(report, name) for name in NARRATIVE_FIELDS},
        )
        _queue(draft)
        draft.save()
        audit_record(
            actor=actor,
            action="weekly_report.revised",
            target=draft,
            payload={"week": draft.week, "revision": draft.revision, "supersedes": report.pk},
        )
        _enqueue_build(draft)
    return draft


def _progress(report_id: int, percent: int, step: str) -> None:
    """Record how far a build is; a plain UPDATE so that narrative edits made meanwhile are kept."""
    WeeklyReport.objects.filter(pk=report_id).update(progress=percent, step=step[:200], updated_at=timezone.now())


def build_snapshot(report: WeeklyReport, *, on_step: Any = None) -> dict[str, Any]:
    """Gather every number, table and chart of a week's report, calling on_step(percent, step) as it goes."""
    from incidents.selectors import report as q

    step = on_step or (lambda percent, text: None)
    tz = ZoneInfo(report.time_zone)
    start, end = report.starts_at, report.ends_at
    step(5, "Incidents of the week")
    incidents = q.week_incidents(start, end)
    section = q.incident_section(incidents, tz)
    step(25, "Causing changes and their review records")
    causes = q.cause_section(incidents)
    step(40, "Correction-of-error reviews and action items")
    actions = q.action_section(list(q.week_action_items(start, end)), start, end, tz)
    step(55, "Failure rate, review pipeline and the team of the week")
    # The team of the week is picked at random, seeded by the week, so a rebuild picks the same team.
    insights = report_sections(start=start, end=end, seed=report.week)
    step(90, "Charts")
    charts = {
        "severity": reporting.severity_chart(section["by_severity"]).as_dict(),
        "times": reporting.times_chart(section["rows"]).as_dict(),
        "actions": reporting.actions_chart(actions["counts"]).as_dict(),
    }
    return {
        "version": SNAPSHOT_VERSION,
        "week": report.week,
        "start": start.astimezone(tz).isoformat(),
        "end": end.astimezone(tz).isoformat(),
        "time_zone": report.time_zone,
        "incidents": section,
        "causes": causes,
        "ai_causes": sum(1 for c in causes if c["change"]["ai_assisted"]),
        "rubber_stamped_causes": sum(1 for c in causes if c["change"]["rubber_stamp"]),
        "unsigned_causes": sum(1 for c in causes if c["change"]["required_sign_offs"] and not c["change"]["approvals"]),
        "actions": actions,
        "charts": charts,
        "insights": insights,
    }


def weekly_report_build(*, report_id: int) -> WeeklyReport | None:
    """Build a draft's snapshot, recording progress; a final, superseded or already built report is left alone."""
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status != WeeklyReport.Status.DRAFT:
            return report
        if report.build_state == WeeklyReport.BuildState.DONE:
            return report
        requested = report.build_requested_at
        report.build_state, report.progress, report.step = WeeklyReport.BuildState.RUNNING, 1, "Starting"
        report.save(update_fields=["build_state", "progress", "step", "updated_at"])
    began = time.perf_counter()
    try:
        snapshot = build_snapshot(report, on_step=lambda percent, text: _progress(report_id, percent, text))
    except Exception as exc:
        log.exception("building the weekly report %s failed", report_id)
        with transaction.atomic():
            WeeklyReport.objects.filter(pk=report_id, build_requested_at=requested).update(
                build_state=WeeklyReport.BuildState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], step=""
            )
            audit_record(actor=None, action="weekly_report.build_failed", target=report, payload={"error": str(exc)})
        report.refresh_from_db()
        return report
    seconds = round(time.perf_counter() - began, 3)
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().get(pk=report_id)
        if report.status != WeeklyReport.Status.DRAFT:
            return report  # finalised meanwhile (only possible from an earlier build): never recompute a final
        report.snapshot = snapshot
        report.built_at = timezone.now()
        report.build_seconds = seconds
        fields = ["snapshot", "built_at", "build_seconds", "updated_at"]
        # A rebuild asked for during this build keeps the report queued for the build that follows.
        if report.build_requested_at == requested:
            report.build_state, report.progress, report.step = WeeklyReport.BuildState.DONE, 100, ""
            fields += ["build_state", "progress", "step"]
        report.save(update_fields=fields)
        audit_record(
            actor=None,
            action="weekly_report.built",
            target=report,
            payload={"week": report.week, "seconds": seconds, "incidents": snapshot["incidents"]["count"]},
        )
    return report


def weekly_report_save(*, actor: Any, report: WeeklyReport, **texts: str) -> WeeklyReport:
    """Save the narrative sections given (Markdown); refused once the report is final. Audited."""
    unknown = set(texts) - set(NARRATIVE_FIELDS)
    if unknown:
        raise ServiceError(f"the report has no section {', '.join(sorted(unknown))}")
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if report.is_frozen:
            raise NotAllowed(f"revision {report.revision} of {report.week} is {report.status}; it cannot be edited")
        changed = []
        for name, value in texts.items():
            value = (value or "").replace("\r\n", "\n")[:20000]
            if getattr(report, name) != value:
                setattr(report, name, value)
                changed.append(name)
        if changed:
            report.save(update_fields=[*changed, "updated_at"])
            audit_record(actor=actor, action="weekly_report.edited", target=report, payload={"fields": changed})
    return report


def weekly_report_finalise(*, actor: Any, report: WeeklyReport) -> WeeklyReport:
    """Freeze a built draft as the week's final report; the final it revises becomes superseded. Audited."""
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if report.status != WeeklyReport.Status.DRAFT:
            raise ServiceError(f"revision {report.revision} of {report.week} is already {report.status}")
        if report.build_state != WeeklyReport.BuildState.DONE:
            raise ServiceError("the report is not built yet: wait for the build to finish, or rebuild it")
        previous = list(
            WeeklyReport.objects.select_for_update().filter(week=report.week, status=WeeklyReport.Status.FINAL)
        )
        for old in previous:
            old.status = WeeklyReport.Status.SUPERSEDED
            old.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=actor, action="weekly_report.superseded", target=old, payload={"by_revision": report.revision}
            )
        report.status = WeeklyReport.Status.FINAL
        report.finalised_by = _user(actor)
        report.finalised_at = timezone.now()
        report.save(update_fields=["status", "finalised_by", "finalised_at", "updated_at"])
        audit_record(
            actor=actor,
            action="weekly_report.finalised",
            target=report,
            payload={"week": report.week, "revision": report.revision, "snapshot_of": report.built_at.isoformat()},
        )
        tell_report(
            key=f"report:{report.pk}",
            title=f"Weekly report {report.week} published",
            url=reverse("incidents:report-detail", args=[report.pk]),
            summary=f"The operations report of {report.week} (revision {report.revision}) is final.",
            recipients=Engineer.objects.filter(Q(is_manager=True) | Q(is_incident_reviewer=True)),
        )
        if settings.PORTAL_REPORT_RECIPIENTS:
            enqueue("incidents.weekly_report_email", report.pk)  # draws the PDF it attaches
        elif not settings.CELERY_TASK_ALWAYS_EAGER:
            # A worker draws the final PDF now, so the first download is instant (in-process, it would hold
            # the finalising request for seconds; the first download draws it there instead).
            enqueue("incidents.weekly_report_pdf", report.pk)
    return report


def weekly_report_pdf_prepare(*, report_id: int) -> int:
    """Draw a final report's PDF into the export cache; its size in bytes (0: no such final report)."""
    from incidents.report.export import report_pdf

    report = WeeklyReport.objects.filter(pk=report_id, status=WeeklyReport.Status.FINAL).first()
    return len(report_pdf(report)) if report else 0


def weekly_report_email(*, report_id: int) -> WeeklyReport | None:
    """E-mail a final report (HTML body, PDF attached) to the configured list, once."""
    from django.core.mail import EmailMultiAlternatives

    from incidents.report.export import PdfUnavailable, report_filename, report_html, report_pdf, report_text

    recipients = list(settings.PORTAL_REPORT_RECIPIENTS)
    # The row stays locked while the mail goes out, so that a redelivered task cannot send it twice.
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status != WeeklyReport.Status.FINAL or report.emailed_at or not recipients:
            return report
        message = EmailMultiAlternatives(
            subject=f"Weekly operations report {report.week} (revision {report.revision})",
            body=report_text(report),
            to=recipients,
        )
        message.attach_alternative(report_html(report, for_email=True), "text/html")
        try:
            message.attach(report_filename(report, "pdf"), report_pdf(report), "application/pdf")
        except PdfUnavailable:
            log.warning("mailing report %s without its PDF: this server cannot draw PDFs", report.pk)
        message.send()
        report.emailed_at = timezone.now()
        report.save(update_fields=["emailed_at", "updated_at"])
        audit_record(actor=None, action="weekly_report.emailed", target=report, payload={"to": recipients})
    return report
