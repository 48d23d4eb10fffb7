"""The managers' what-if: replay the last weeks under a policy and a strategy, see senior hours against capacity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from assignment import selectors
from assignment.forms import WhatIfForm
from assignment.services.whatif import WhatIfParams, whatif_run_request
from policy.services.policies import policy_current
from portal.access.rules import may
from portal.htmx import is_fragment
from reviews.audit import ServiceError

FORBIDDEN = "The what-if is for managers."


def can_use_whatif(request: HttpRequest) -> bool:
    """Managers and admins may run what-ifs and read them."""
    return may(request.user, "assignment.use_whatif")


def _form(request: HttpRequest, data=None) -> tuple[WhatIfForm, dict]:
    choices = selectors.whatif_choices()
    versions = [number for number, _ in choices["versions"]]
    # The newest version is the one in force; with none stored yet, the default is published as version 1.
    initial = {"policy": str(versions[0] if versions else policy_current().number)}
    if not versions:
        versions = [int(initial["policy"])]
    # A link such as the policy page's "What would this version cost?" preselects a version.
    for key in ("policy", "strategy", "weeks", "repository", "seniors", "top"):
        if key in request.GET:
            initial[key] = request.GET[key]
    form = WhatIfForm(data, initial=initial, versions=versions, repositories=choices["repositories"])
    return form, choices


@login_required
@require_http_methods(["GET", "POST"])
def whatif(request: HttpRequest) -> HttpResponse:
    """The what-if form and the recent runs; a valid form queues a run (or reuses a recent identical one)."""
    if not can_use_whatif(request):
        return HttpResponseForbidden(FORBIDDEN)
    form, choices = _form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            proposed = data.get("proposed_data") if data["policy"] == WhatIfForm.PROPOSED else None
            try:
                params = WhatIfParams(
                    policy_version=None if proposed is not None else int(data["policy"]),
                    strategy=data["strategy"],
                    weeks=data["weeks"],
                    repository_id=int(data["repository"]) if data["repository"] else None,
                    seniors=f"top:{data['top']}" if data["seniors"] == "top" else "org",
                )
                run, reused = whatif_run_request(params=params, actor=request.user, proposed=proposed)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                if reused:
                    messages.info(request, f"The same what-if was run a few minutes ago: this is run {run.pk}.")
                return redirect("reviews:whatif-run", run_id=run.pk)
        status = 400
    context = {"form": form, "runs": list(selectors.whatif_runs_recent()), **choices}
    return render(request, "reviews/whatif_form.html", context, status=status)


@login_required
@require_GET
def whatif_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: its progress while it runs (the fragment polls itself), then the result."""
    if not can_use_whatif(request):
        return HttpResponseForbidden(FORBIDDEN)
    run = selectors.whatif_run(run_id)
    if run is None:
        raise Http404("No such what-if run.")
    template = "reviews/whatif_run.html"
    if is_fragment(request):
        template += "#whatif-result"
        context = {"run": run}
    else:
        context = {"run": run, "runs": list(selectors.whatif_runs_recent())}
    return render(request, template, context)
