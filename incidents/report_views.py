"""HTML views of the weekly operations report: the week's page, its build progress, narrative, finalising, exports.

Incident reviewers and staff draft, edit and finalise; managers read; everyone else is refused. A request
never builds a report: it queues the build and the page polls the `report-status` partial until it is done.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from incidents import selectors
from incidents.forms import NarrativeForm, WeekForm
from incidents.models import WeeklyReport
from incidents.report.export import FORMATS, PdfUnavailable, export, report_context, report_filename
from incidents.report.weeks import parse_iso_week, previous_week_of, week_bounds
from incidents.selectors import report as report_selectors
from incidents.services import report as report_services
from portal.htmx import is_fragment
from reviews.audit import ServiceError

PAGE = "incidents/report_weekly.html"


def _can_edit(request: HttpRequest) -> bool:
    if not hasattr(request, "_report_editor"):
        request._report_editor = report_services.can_edit_reports(request.user)
    return request._report_editor


def _refuse_reader(request: HttpRequest) -> HttpResponse | None:
    if report_services.can_read_reports(request.user):
        return None
    return HttpResponseForbidden("Only incident reviewers, staff and managers can read the weekly report.")


def _refuse_editor(request: HttpRequest, what: str) -> HttpResponse | None:
    if not _can_edit(request):
        return HttpResponseForbidden(f"Only incident reviewers and staff can {what}.")
    return None


def _load(report_id: int) -> WeeklyReport:
    report = report_selectors.report_by_id(report_id)
    if report is None:
        raise Http404("No such report.")
    return report


def _report_page(request: HttpRequest, report: WeeklyReport, **extra: Any) -> dict[str, Any]:
    revisions = report_selectors.week_reports(report.week)
    context = report_context(report)
    context.update(
        form=WeekForm(initial={"week": report.week}, data={"week": report.week}),
        week=report.week,
        time_zone=report.time_zone,
        can_edit=_can_edit(request),
        revisions=revisions,
        current=next((r for r in revisions if r.status == WeeklyReport.Status.FINAL), None),
        open_draft=next((r for r in revisions if r.status == WeeklyReport.Status.DRAFT), None),
        recent=report_selectors.recent_reports(),
    )
    context.update(extra)
    return context


@login_required
@require_GET
def weekly_report(request: HttpRequest) -> HttpResponse:
    """A week's report (its open draft, else its final revision), or the week's incidents before any draft."""
    if refused := _refuse_reader(request):
        return refused
    zone = report_services.report_zone()
    # Without a week asked for, the last finished one: the week the ops meeting discusses.
    form = WeekForm(request.GET or {"week": previous_week_of(timezone.localtime(timezone=zone).date())})
    context: dict[str, Any] = {"form": form, "incidents": [], "can_edit": _can_edit(request)}
    if not form.is_valid():
        return render(request, PAGE, context, status=400)
    try:
        year, week = parse_iso_week(form.cleaned_data["week"])
        # The last week of year 9999 ends past what a datetime can hold.
        start, end = week_bounds(year, week, zone)
    except (ValueError, OverflowError) as exc:
        form.add_error("week", str(exc) if isinstance(exc, ValueError) else "That week is out of range.")
        return render(request, PAGE, context, status=400)
    label = f"{year}-W{week:02d}"
    report = report_selectors.current_report(label)
    if report is not None:
        return render(request, PAGE, _report_page(request, report, form=form))
    context.update(
        week=label,
        start=start,
        end=end,
        time_zone=zone.key,
        incidents=selectors.incidents_between(start, end),
        recent=report_selectors.recent_reports(),
    )
    return render(request, PAGE, context)


@login_required
@require_GET
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One revision of a week's report."""
    if refused := _refuse_reader(request):
        return refused
    return render(request, PAGE, _report_page(request, _load(report_id)))


@login_required
@require_GET
def report_status(request: HttpRequest, report_id: int) -> HttpResponse:
    """The build's progress (polled by the page); once built, the page reloads to show the figures."""
    if refused := _refuse_reader(request):
        return refused
    report = _load(report_id)
    if is_fragment(request):
        if not report.is_building:
            return HttpResponseClientRefresh()
        return render(request, f"{PAGE}#report-status", {"report": report, "can_edit": _can_edit(request)})
    return redirect("incidents:report-detail", report_id=report.pk)


@login_required
@require_POST
def report_draft(request: HttpRequest) -> HttpResponse:
    """Draft a week's report, or rebuild its open draft; the build runs in a worker."""
    if refused := _refuse_editor(request, "draft weekly reports"):
        return refused
    form = WeekForm(request.POST)
    if not form.is_valid():
        return render(
            request, PAGE, {"form": form, "incidents": [], "can_edit": True, "error": "Choose a week."}, status=400
        )
    try:
        report = report_services.weekly_report_draft(actor=request.user, week=form.cleaned_data["week"])
    except ServiceError as exc:
        return render(request, PAGE, {"form": form, "incidents": [], "can_edit": True, "error": str(exc)}, status=400)
    # While the build runs, the page's progress card says so and goes once it is done; a flash message saying
    # "building" would outlive the build (and be false at once where tasks run in-process), so none is left then.
    report.refresh_from_db(fields=["build_state", "build_seconds"])
    if not report.is_building:
        messages.success(request, f"Built the report of {report.week}, revision {report.revision}.")
    return redirect("incidents:report-detail", report_id=report.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_narrative(request: HttpRequest, report_id: int) -> HttpResponse:
    """The narrative editor, and saving it; refused once the report is final."""
    if refused := _refuse_editor(request, "edit weekly reports"):
        return refused
    report = _load(report_id)
    if report.is_frozen:
        return HttpResponseForbidden(
            f"Revision {report.revision} of {report.week} is {report.status}: it is frozen. Start a new revision."
        )
    template = f"{PAGE}#report-narrative" if is_fragment(request) else PAGE
    if request.method == "GET":
        form = NarrativeForm(initial={name: getattr(report, name) for name in report_services.NARRATIVE_FIELDS})
        return render(request, template, _report_page(request, report, narrative_form=form, editing=True))
    form = NarrativeForm(request.POST)
    if not form.is_valid():
        return render(request, template, _report_page(request, report, narrative_form=form, editing=True), status=400)
    try:
        report = report_services.weekly_report_save(actor=request.user, report=report, **form.cleaned_data)
    except ServiceError as exc:
        return HttpResponseForbidden(str(exc))
    if is_fragment(request):
        return render(request, template, _report_page(request, _load(report.pk)))
    return redirect(reverse("incidents:report-detail", args=[report.pk]) + "#report-narrative")


@login_required
@require_http_methods(["GET", "POST"])
def report_finalise(request: HttpRequest, report_id: int) -> HttpResponse:
    """Confirm, then freeze the draft as the week's final report."""
    if refused := _refuse_editor(request, "finalise weekly reports"):
        return refused
    report = _load(report_id)
    context = {"report": report, "recipients": settings.PORTAL_REPORT_RECIPIENTS}
    if request.method == "GET":
        if report.status != WeeklyReport.Status.DRAFT:
            return redirect("incidents:report-detail", report_id=report.pk)
        return render(request, "incidents/report_finalise.html", context)
    try:
        report = report_services.weekly_report_finalise(actor=request.user, report=report)
    except ServiceError as exc:
        return render(request, "incidents/report_finalise.html", {**context, "error": str(exc)}, status=409)
    messages.success(request, f"The report of {report.week} is final (revision {report.revision}).")
    return redirect("incidents:report-detail", report_id=report.pk)


@login_required
@require_POST
def report_revise(request: HttpRequest, report_id: int) -> HttpResponse:
    """Start a new draft revision of a final report."""
    if refused := _refuse_editor(request, "revise weekly reports"):
        return refused
    report = _load(report_id)
    try:
        draft = report_services.weekly_report_revise(actor=request.user, report=report)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:report-detail", report_id=report.pk)
    messages.success(request, f"Revision {draft.revision} drafted; it supersedes {report.revision} once final.")
    return redirect("incidents:report-detail", report_id=draft.pk)


@login_required
@require_GET
def report_export(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    """The report as printable HTML, Markdown or PDF, from its snapshot (never recomputed)."""
    if refused := _refuse_reader(request):
        return refused
    if fmt not in FORMATS:
        return HttpResponse(f"Unknown format {fmt[:20]!r}: use html, md or pdf.", status=400, content_type="text/plain")
    report = _load(report_id)
    if not report.snapshot:
        return HttpResponse("The report is not built yet.", status=409, content_type="text/plain")
    try:
        body, content_type = export(report, fmt)
    except PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain")
    response = HttpResponse(body, content_type=content_type)
    if fmt != "html":
        response["Content-Disposition"] = f'attachment; filename="{report_filename(report, fmt)}"'
    return response
