"""The managers' what-if: replay the last weeks under a policy and a strategy, see senior hours against capacity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from assignment import selectors
from assignment.forms import WhatIfForm
from assignment.services.preview import policy_preview
from assignment.services.whatif import WhatIfParams, whatif_run_request
from policy.document import parse_policy
from policy.selectors import policy_draft, policy_latest_draft
from policy.sentences import rule_sentence
from policy.services.policies import policy_current, policy_of
from portal.access.rules import may
from portal.htmx import is_fragment
from reviews.audit import ServiceError
from reviews.models import WhatIfRun

FORBIDDEN = "The what-if is for managers."


def can_use_whatif(request: HttpRequest) -> bool:
    """Managers and admins may run what-ifs and read them."""
    return may(request.user, "assignment.use_whatif")


def _form(request: HttpRequest, data=None) -> tuple[WhatIfForm, dict]:
    choices = selectors.whatif_choices()
    versions = [number for number, _ in choices["versions"]]
    # The newest version is the one in force; with none stored yet, the default is published as version 1.
    current = versions[0] if versions else policy_current().number
    if not versions:
        versions = [current]
    # The what-if opens on the latest draft against the policy in force, never on the policy in force against itself;
    # with no draft the page asks for one and starts on a proposed policy.
    draft = policy_latest_draft()
    # A draft not edited yet is the policy in force again: the page asks for an edit, as it asks for a draft.
    same = draft is not None and parse_policy(draft.data) == policy_of(policy_current())
    initial = {"policy": WhatIfForm.DRAFT if draft and not same else WhatIfForm.PROPOSED}
    choices["draft"], choices["draft_same"] = draft, same
    # A link such as the policy page's "What would this version cost?" preselects a version.
    for key in ("policy", "strategy", "weeks", "repository", "seniors", "top"):
        if key in request.GET:
            initial[key] = request.GET[key]
    form = WhatIfForm(
        data,
        initial=initial,
        versions=versions,
        repositories=choices["repositories"],
        current=current,
        draft=(draft.pk, draft.data) if draft else None,
        draft_same=same,
    )
    choices["current_version"] = current
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
            proposed = data.get("proposed_data") if data["policy"] in (WhatIfForm.PROPOSED, WhatIfForm.DRAFT) else None
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


def _rule_rows(run: WhatIfRun) -> list[dict[str, object]]:
    """The rules that asked for a senior under the run's chosen policy, each with its sentence and changes."""
    if run.status != WhatIfRun.Status.DONE or not run.result:
        return []
    rules = policy_of(run.policy_version) if run.policy_version_id else parse_policy(run.proposed_policy)
    sentences = {rule.name: rule_sentence(rule) for rule in rules.rules}
    return [{**row, "sentence": sentences.get(row["rule"], "")} for row in run.result["chosen"]["rules"]]


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
    context["rule_rows"] = _rule_rows(run)
    return render(request, template, context)


@login_required
@require_GET
def policy_draft_preview(request: HttpRequest, draft_id: int) -> HttpResponse:
    """What each rule of a draft would have caught over the last 30 days, and the senior hours, against the policy in
    force (admins, who edit drafts)."""
    if not may(request.user, "reviews.edit_policy"):
        raise PermissionDenied("Only admins can edit the policy.")
    draft = policy_draft(draft_id)
    if draft is None:
        raise Http404("No such policy draft.")
    current = policy_current()
    preview = policy_preview(parse_policy(draft.data), policy_of(current), end=timezone.now())
    return render(request, "policy/draft_preview.html", {"draft": draft, "current": current, "preview": preview})
