"""Celery entry points of the incidents app: load by id, call one service, retry here."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from incidents import services
from intake.gitrun import GitError

RETRY = {"autoretry_for": (GitError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 8}


@shared_task(name="incidents.fix_trace", acks_late=True, **RETRY)
def fix_trace(incident_id: int) -> str:
    """Trace an incident's fix commit back to the changes that last touched the lines it fixed (SZZ)."""
    trace = services.fix_trace_run(incident_id=incident_id)
    return "no fix commit" if trace is None else trace.state


@shared_task(name="incidents.weekly_report_build", acks_late=True)
def weekly_report_build(report_id: int) -> str:
    """Build a draft weekly report's snapshot; a final or already built report is left as it is."""
    report = services.weekly_report_build(report_id=report_id)
    return "no such report" if report is None else f"{report.status} {report.build_state}"


@shared_task(name="incidents.weekly_report_draft", acks_late=True)
def weekly_report_draft() -> str:
    """Beat, Monday morning: draft the report of the week that just ended, unless it has one already."""
    report = services.weekly_report_draft_scheduled(now=timezone.now())
    return "already drafted" if report is None else f"drafted {report.week} r{report.revision}"


@shared_task(name="incidents.weekly_report_email", acks_late=True, autoretry_for=(OSError,), max_retries=5)
def weekly_report_email(report_id: int) -> str:
    """E-mail a final weekly report to the configured list, once."""
    report = services.weekly_report_email(report_id=report_id)
    return "no such report" if report is None else f"emailed at {report.emailed_at}"


@shared_task(name="incidents.weekly_report_pdf", acks_late=True)
def weekly_report_pdf(report_id: int) -> str:
    """Draw a final weekly report's PDF ahead of its first download."""
    size = services.weekly_report_pdf_prepare(report_id=report_id)
    return f"{size} bytes" if size else "no such final report"


@shared_task(name="incidents.suspect_model_refit", acks_late=True)
def suspect_model_refit() -> str:
    """Beat, weekly: fit the suspect ranking's weights on the confirmed links and store them as the newest."""
    result, model = services.suspect_model_refit()
    return f"suspect model {model.pk if model else '-'}: {result.links} links, fitted={result.fitted}"
