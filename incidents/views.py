"""HTML views of incidents, their suspects, correction-of-error reviews and action items (report: report_views).

The incident page is one template with inline partials (timeline, suspects, links, coe, action-items); each
write answers an htmx request with the partials it changed, and any other request with a redirect back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.forms import (
    ActionItemForm,
    ActionStatusForm,
    CoeForm,
    DecisionForm,
    EditIncidentForm,
    IncidentForm,
    LinkForm,
    TimelineForm,
    WhyChainForm,
)
from incidents.list_filters import IncidentFilterForm
from incidents.models import COE_FIELDS, ActionItem, Incident, WhyChain
from portal.access.rules import may
from portal.htmx import is_fragment
from reviews.audit import ServiceError
from reviews.models import Change
from reviews.people import engineer_for_user

PAGE = "incidents/incident_detail.html"
LIST_PAGE_SIZE = 25


def _is_incident_reviewer(request: HttpRequest) -> bool:
    if not hasattr(request, "_incident_reviewer"):
        request._incident_reviewer = may(request.user, "incidents.record_incident")
    return request._incident_reviewer


def _load(incident_id: int) -> Incident:
    incident = selectors.incident_detail(incident_id)
    if incident is None:
        raise Http404("No such incident.")
    return incident


def _context(request: HttpRequest, incident: Incident, **extra: Any) -> dict[str, Any]:
    """Everything the incident page and its partials show."""
    can_review = _is_incident_reviewer(request)
    me = engineer_for_user(request.user)
    coe = getattr(incident, "coe", None)
    context: dict[str, Any] = {
        "incident": incident,
        "can_review": can_review,
        "can_link": can_review,
        "me": me,
        "link_form": LinkForm(),
        "timeline_form": TimelineForm(initial={"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
        "coe": coe,
        "action_form": ActionItemForm(),
        "why_form": WhyChainForm(),
        "statuses": ActionItem.Status.choices,
        "confirmed": [link for link in incident.links.all() if link.state == "confirmed"],
        "coe_before": [
            ("Summary", getattr(coe, "summary", "")),
            ("Customer impact", getattr(coe, "customer_impact", "")),
            ("Timeline", getattr(coe, "timeline", "")),
            ("Root cause", getattr(coe, "root_cause", "")),
        ],
        "coe_after": [
            ("What went well", getattr(coe, "went_well", "")),
            ("What went wrong", getattr(coe, "went_wrong", "")),
        ],
    }
    if "suspects" not in extra:
        context["suspects"] = services.incident_suspects(incident=incident)
        context["fix_trace"] = selectors.fix_trace(incident)
    context.update(extra)
    return context


def _partials(request: HttpRequest, incident: Incident, names: list[str], **extra: Any) -> HttpResponse:
    """The named partials of the incident page; the first swaps into the target, the others out of band."""
    context = _context(request, incident, **extra)
    html = [render(request, f"{PAGE}#{names[0]}", context).content.decode()]
    for name in names[1:]:
        context["oob"] = True
        html.append(render(request, f"{PAGE}#{name}", context).content.decode())
    status = extra.get("status", 200)
    return HttpResponse("".join(html), status=status)


def _back(request: HttpRequest, incident: Incident, anchor: str, names: list[str], **extra: Any) -> HttpResponse:
    if is_fragment(request):
        return _partials(request, incident, names, **extra)
    return redirect(reverse("incidents:incident-detail", args=[incident.pk]) + f"#{anchor}")


def _refuse(request: HttpRequest, what: str) -> HttpResponse | None:
    if not _is_incident_reviewer(request):
        return HttpResponseForbidden(f"Only incident reviewers can {what}.")
    return None


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    """Incidents filtered by severity, service, state, week and words, 25 to a page; the filters stay in the address."""
    form = IncidentFilterForm(request.GET)
    valid = form.is_valid()
    filters = {k: v for k, v in form.cleaned_data.items() if v} if valid else {}
    week = filters.get("week") or (None, None)
    rows = selectors.incidents_filtered(
        q=filters.get("q"),
        severity=filters.get("severity"),
        service=filters.get("service"),
        status=filters.get("state"),
        started_after=week[0],
        started_before=week[1],
    )
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": page, "incidents": page.object_list, "filtered": bool(filters), "query": params}
    context["can_record"] = _is_incident_reviewer(request)
    return render(request, "incidents/incident_list.html", context, status=200 if valid else 400)


def _incident_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "severity": data["severity"],
        "started_at": data["started_at"],
        "detected_at": data["detected_at"],
        "mitigated_at": data["mitigated_at"],
        "resolved_at": data["resolved_at"],
        "known_good_at": data["known_good_at"],
        "summary": data["summary"],
        "paths": data["paths"],
        "repository": data["repository"],
        "fix_sha": data["fix_sha"],
        "commander": data["commander"],
        "external_url": data["external_url"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Record an incident by hand (incident reviewers only)."""
    if refused := _refuse(request, "record incidents"):
        return refused
    # A new incident starts minor and now: most are, and the reviewer corrects the rest.
    started = timezone.localtime().replace(second=0, microsecond=0)
    form = IncidentForm(request.POST or None, initial={"severity": Incident.Severity.SEV3, "started_at": started})
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(
                actor=request.user, services=list(form.cleaned_data["services"]), **_incident_fields(form.cleaned_data)
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Incident recorded.")
            return redirect("incidents:incident-detail", incident_id=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/incident_create.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Edit an incident's record (incident reviewers only)."""
    if refused := _refuse(request, "edit incidents"):
        return refused
    incident = selectors.incident_for_update(incident_id)
    if incident is None:
        raise Http404("No such incident.")
    initial = {
        **{name: getattr(incident, name) for name in ("title", "severity", "status", "summary", "fix_sha")},
        **{
            name: getattr(incident, name)
            for name in ("started_at", "detected_at", "mitigated_at", "resolved_at", "known_good_at")
        },
        "services": list(incident.services.all()),
        "paths": "\n".join(incident.paths or []),
        "repository": incident.repository,
        "commander": incident.commander,
        "external_url": incident.external_url,
    }
    form = EditIncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                actor=request.user,
                incident=incident,
                services=list(form.cleaned_data["services"]),
                status=form.cleaned_data["status"],
                **_incident_fields(form.cleaned_data),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Incident updated.")
            return redirect("incidents:incident-detail", incident_id=incident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "incidents/incident_edit.html", {"form": form, "incident": incident}, status=status)


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    """An incident: timeline, ranked suspects with evidence, linked changes, its review and action items."""
    incident = _load(incident_id)
    return render(request, PAGE, _context(request, incident))


@login_required
@require_GET
def incident_suspects(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The ranked suspects again (after a fix commit was traced, say); the whole page without htmx."""
    incident = _load(incident_id)
    template = f"{PAGE}#suspects" if is_fragment(request) else PAGE
    return render(request, template, _context(request, incident))


@login_required
@require_POST
def incident_decide(request: HttpRequest, incident_id: int, change_id: int) -> HttpResponse:
    """Confirm or rule out a suspect with a reason (incident reviewers only); audited."""
    if refused := _refuse(request, "decide what caused an incident"):
        return refused
    incident = _load(incident_id)
    change = Change.objects.filter(pk=change_id).first()
    if change is None:
        raise Http404("No such change.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        errors = {change_id: " ".join(e for errs in form.errors.values() for e in errs)}
        if is_fragment(request):
            return _partials(request, incident, ["suspects"], decision_errors=errors, status=400)
        messages.error(request, errors[change_id])
        return redirect(reverse("incidents:incident-detail", args=[incident.pk]) + "#suspects")
    link = services.incident_link_change(
        actor=request.user,
        incident=incident,
        change=change,
        state=form.cleaned_data["state"],
        reason=form.cleaned_data["reason"],
    )
    if not is_fragment(request):
        messages.success(request, f"Change {change.short_sha} marked {link.get_state_display().lower()}.")
    return _back(request, _load(incident_id), "suspects", ["suspects", "links", "coe"])


@login_required
@require_POST
def incident_link(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Suspect, confirm or rule out a change by repository and SHA (incident reviewers only)."""
    if refused := _refuse(request, "link changes to incidents"):
        return refused
    incident = _load(incident_id)
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
    return render(request, PAGE, _context(request, incident, link_form=form), status=400)


@login_required
@require_POST
def timeline_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Add a line to the timeline (incident reviewers only)."""
    if refused := _refuse(request, "write the timeline"):
        return refused
    incident = _load(incident_id)
    form = TimelineForm(request.POST)
    if not form.is_valid():
        return _partials(request, incident, ["incident-timeline"], timeline_form=form, status=400)
    services.timeline_add(
        actor=request.user, incident=incident, at=form.cleaned_data["at"], text=form.cleaned_data["text"]
    )
    return _back(request, _load(incident_id), "incident-timeline", ["incident-timeline"])


@login_required
@require_http_methods(["GET", "POST"])
def coe_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The correction-of-error review's editor, and saving it (incident reviewers only)."""
    if refused := _refuse(request, "write the correction-of-error review"):
        return refused
    incident = _load(incident_id)
    coe = getattr(incident, "coe", None)
    if request.method == "GET":
        form = CoeForm(initial={name: getattr(coe, name, "") for name in COE_FIELDS})
        template = f"{PAGE}#coe" if is_fragment(request) else PAGE
        return render(request, template, _context(request, incident, coe_form=form, coe_editing=True))
    form = CoeForm(request.POST)
    if not form.is_valid():
        return _partials(request, incident, ["coe"], coe_form=form, coe_editing=True, status=400)
    services.coe_save(actor=request.user, incident=incident, **form.cleaned_data)
    return _back(request, _load(incident_id), "coe", ["coe"])


@login_required
@require_POST
def why_chain_save(request: HttpRequest, incident_id: int, chain_id: int | None = None) -> HttpResponse:
    """Add a "5 whys" chain, edit one, or delete one (incident reviewers only)."""
    if refused := _refuse(request, "write the correction-of-error review"):
        return refused
    incident = _load(incident_id)
    chain = None
    if chain_id is not None:
        chain = WhyChain.objects.filter(pk=chain_id, incident=incident).first()
        if chain is None:
            raise Http404("No such chain.")
        if request.POST.get("delete"):
            services.why_chain_delete(actor=request.user, chain=chain)
            return _back(request, _load(incident_id), "coe", ["coe"])
    form = WhyChainForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.why_chain_save(
                actor=request.user,
                incident=incident,
                problem=form.cleaned_data["problem"],
                whys=form.whys(),
                chain=chain,
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            return _back(request, _load(incident_id), "coe", ["coe"])
    else:
        error = "A chain starts from a problem."
    return _partials(request, incident, ["coe"], why_form=form, why_error=error, status=400)


@login_required
@require_POST
def action_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Add an action item (incident reviewers only)."""
    if refused := _refuse(request, "add action items"):
        return refused
    incident = _load(incident_id)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        return _partials(request, incident, ["action-items"], action_form=form, status=400)
    services.action_item_add(actor=request.user, incident=incident, **form.cleaned_data)
    return _back(request, _load(incident_id), "action-items", ["action-items"])


@login_required
@require_POST
def action_update(request: HttpRequest, incident_id: int, item_id: int) -> HttpResponse:
    """Change an action item's status: incident reviewers, and the item's owner."""
    incident = _load(incident_id)
    item = ActionItem.objects.filter(pk=item_id, incident=incident).select_related("incident").first()
    if item is None:
        raise Http404("No such action item.")
    if not may(request.user, "incidents.update_action_item", item):
        return HttpResponseForbidden("Only incident reviewers and the item's owner can change it.")
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        return _partials(request, incident, ["action-items"], status=400)
    services.action_item_update(actor=request.user, item=item, status=form.cleaned_data["status"])
    return _back(request, _load(incident_id), "action-items", ["action-items"])
