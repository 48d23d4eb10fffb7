"""The senior's review queue, the team's queue, and the author's own changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assignment.services import queue as queue_services
from assignment.services.queue import assignment_claim, engineer_set_away
from portal.access.http import refuse
from portal.access.rules import may
from portal.htmx import is_fragment
from reviews import selectors
from reviews.audit import NotAllowed, ServiceError
from reviews.conversation.selectors import since_reviews, waiting_on_others
from reviews.forms import HandBackForm, QueueFilterForm
from reviews.models import Assignment
from reviews.people import current_engineer
from reviews.views.common import change_or_404

PAGE_SIZE = 25
NO_SUCH = "No such assignment."


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """My queue: overdue, needs my sign-off (filtered, sorted, paged), waiting for the author, recent verdicts."""
    engineer = current_engineer(request)
    form = QueueFilterForm(request.GET or None)
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    context = {"form": form, "filters": filters, "now": timezone.now(), **selectors.queue_choices()}
    if engineer is not None:
        rows = selectors.queue_filtered(engineer, filters)
        page = Paginator(rows, PAGE_SIZE).get_page(filters.get("page"))
        now = context["now"]
        assignments = list(page.object_list)
        since = since_reviews(engineer, [a.change for a in assignments])
        for a in assignments:
            a.since_revision = since.get(a.change_id)
        context.update(
            page=page,
            assignments=assignments,
            overdue=[a for a in assignments if a.due_at and a.due_at < now],
            waiting=waiting_on_others(engineer),
            recent=list(selectors.recently_signed_by(engineer)),
            query=_query_without_page(request),
        )
    template = "reviews/queue_list.html"
    if is_fragment(request):
        template += "#queue-table"
    return render(request, template, context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def team_queue(request: HttpRequest) -> HttpResponse:
    """The queue of my team's seniors, with their load, and changes nobody could take."""
    if not may(request.user, "reviews.view_team_queue"):
        return HttpResponseForbidden("The team queue is for the team's seniors and managers.")
    engineer = current_engineer(request)
    context = {
        "team": engineer.team,
        "assignments": list(selectors.team_queue(engineer.team_id)),
        "load": list(selectors.team_load(engineer.team_id)),
        "unassigned": list(selectors.unassigned_waiting()),
        "now": timezone.now(),
    }
    return render(request, "reviews/queue_team.html", context)


@login_required
@require_POST
def assignment_hand_back(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Give a change back with a reason; it is re-routed at once."""
    engineer = current_engineer(request)
    assignment = Assignment.objects.filter(pk=assignment_id).select_related("change", "reviewer").first()
    if assignment is None:
        raise Http404("No such assignment.")
    if engineer is None or not may(request.user, "reviews.hand_back_assignment", assignment):
        return refuse(request.user, assignment, "Only the assigned reviewer can hand a change back.", missing=NO_SUCH)
    form = HandBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you hand it back (at least 5 characters).")
        return redirect("reviews:queue")
    try:
        new = queue_services.assignment_hand_back(
            assignment=assignment, engineer=engineer, reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        where = f"re-routed to {new.reviewer.display_name}" if new else "no other senior is free: it waits unassigned"
        messages.success(request, f"Handed back “{assignment.change.title}”: {where}.")
    return redirect("reviews:queue")


@login_required
@require_POST
def change_claim(request: HttpRequest, change_id: int) -> HttpResponse:
    """A senior takes a change into their own queue."""
    engineer = current_engineer(request)
    change = change_or_404(change_id)
    if engineer is None or not may(request.user, "reviews.claim_change", change):
        return HttpResponseForbidden("Only a senior who is not the author can claim this change.")
    try:
        assignment_claim(change=change, engineer=engineer)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{change.title}” is in your queue.")
    return redirect("reviews:change-detail", change_id=change.pk)


@login_required
@require_POST
def engineer_away(request: HttpRequest) -> HttpResponse:
    """Mark myself away (my queue is re-routed) or back."""
    engineer = current_engineer(request)
    if engineer is None:
        return HttpResponseForbidden("Only engineers have a queue.")
    away = request.POST.get("away") == "yes"
    moved = engineer_set_away(engineer=engineer, away=away, actor=request.user)
    if away:
        messages.success(request, f"You are away: {moved} change(s) re-routed. Welcome back whenever you return.")
    else:
        messages.success(request, "Welcome back: new assignments reach you again.")
    return redirect("reviews:queue")


@login_required
@require_GET
def my_changes(request: HttpRequest) -> HttpResponse:
    """An author's open changes with what each still needs."""
    engineer = current_engineer(request)
    changes = list(selectors.changes_by_author(engineer)) if engineer else []
    return render(request, "reviews/change_mine.html", {"changes": changes})


@login_required
@require_http_methods(["GET", "POST"])
def assignment_reroute(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The one click of an overdue notice: a manager moves a review to another senior (GET asks first)."""
    engineer = current_engineer(request)
    assignment = Assignment.objects.filter(pk=assignment_id).select_related("change__repository", "reviewer").first()
    if assignment is None:
        raise Http404(NO_SUCH)
    if not may(request.user, "reviews.reroute_assignment", assignment):
        return refuse(request.user, assignment, "Only the team's manager or an admin can re-route it.", missing=NO_SUCH)
    if request.method == "GET":
        return render(request, "reviews/assignment_reroute.html", {"assignment": assignment})
    if engineer is None:
        return HttpResponseForbidden("Re-routing is recorded under an engineer profile; this account has none.")
    try:
        new = queue_services.assignment_reroute(assignment=assignment, actor=engineer)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        where = f"to {new.reviewer.display_name}" if new else "but no other senior is free: it waits unassigned"
        messages.success(request, f"“{assignment.change.title}” re-routed {where}.")
    return redirect("reviews:change-detail", change_id=assignment.change_id)
