"""HTML views of incidents and the weekly report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.forms import IncidentForm, LinkForm, WeekForm
from incidents.weeks import iso_week_of, parse_iso_week, week_bounds
from reviews.selectors import engineer_for_user
from reviews.services import ServiceError


def _is_incident_reviewer(request: HttpRequest) -> bool:
    if request.user.is_superuser:
        return True
    engineer = engineer_for_user(request.user)
    return engineer is not None and engineer.is_incident_reviewer


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    """Recent incidents."""
    return render(
        request,
        "incidents/incident_list.html",
        {"incidents": selectors.incident_list(), "can_record": _is_incident_reviewer(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Record an incident by hand (incident reviewers only)."""
    if not _is_incident_reviewer(request):
        return HttpResponseForbidden("Only incident reviewers can record incidents.")
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_create(
                actor=request.user,
                title=data["title"],
                severity=data["severity"],
                started_at=data["started_at"],
                detected_at=data["detected_at"],
                resolved_at=data["resolved_at"],
                services=list(data["services"]),
                summary=data["summary"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Incident recorded.")
            return redirect("incidents:incident-detail", incident_id=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/incident_create.html", {"form": form}, status=status)


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    """An incident with its linked changes and their review records."""
    incident = selectors.incident_detail(incident_id)
    if incident is None:
        raise Http404("No such incident.")
    return render(
        request,
        "incidents/incident_detail.html",
        {"incident": incident, "link_form": LinkForm(), "can_link": _is_incident_reviewer(request)},
    )


@login_required
@require_POST
def incident_link(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Suspect, confirm or rule out a change (incident reviewers only)."""
    if not _is_incident_reviewer(request):
        return HttpResponseForbidden("Only incident reviewers can link changes to incidents.")
    incident = selectors.incident_detail(incident_id)
    if incident is None:
        raise Http404("No such incident.")
    form = LinkForm(request.POST)
    if form.is_valid():
        change = selectors.find_change(form.cleaned_data["repository"].name, form.cleaned_data["sha"])
        if change is None:
            form.add_error("sha", "No single change of that repository has this SHA.")
        else:
            services.incident_link_change(
                actor=request.user,
                incident=incident,
                change=change,
                state=form.cleaned_data["state"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, f"Change {change.short_sha} linked as {form.cleaned_data['state']}.")
            return redirect("incidents:incident-detail", incident_id=incident.pk)
    return render(
        request,
        "incidents/incident_detail.html",
        {"incident": incident, "link_form": form, "can_link": True},
        status=400,
    )


@login_required
@require_GET
def weekly_report(request: HttpRequest) -> HttpResponse:
    """The incidents of an ISO week with their causing changes and review records."""
    form = WeekForm(request.GET or {"week": iso_week_of(timezone.localdate())})
    if not form.is_valid():
        return render(request, "incidents/report_weekly.html", {"form": form, "incidents": []}, status=400)
    try:
        year, week = parse_iso_week(form.cleaned_data["week"])
        # The last week of year 9999 ends past what a datetime can hold.
        start, end = week_bounds(year, week, timezone.get_current_timezone())
    except (ValueError, OverflowError) as exc:
        form.add_error("week", str(exc) if isinstance(exc, ValueError) else "That week is out of range.")
        return render(request, "incidents/report_weekly.html", {"form": form, "incidents": []}, status=400)
    incidents = selectors.incidents_between(start, end)
    context = {"form": form, "incidents": incidents, "week": f"{year}-W{week:02d}", "start": start, "end": end}
    return render(request, "incidents/report_weekly.html", context)
