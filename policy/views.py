"""The sign-off policy pages: the policy in force with its editor, and one version against the one before."""

from __future__ import annotations

import difflib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from policy import selectors
from policy.document import parse_policy
from policy.services import policies as policy_services
from portal import strictjson
from portal.access.rules import may
from reviews.audit import ServiceError


@login_required
@require_http_methods(["GET", "POST"])
def policy_detail(request: HttpRequest) -> HttpResponse:
    """The policy in force, its history, and (for admins) an editor that publishes a new version."""
    current = policy_services.policy_current()
    error = ""
    text = json.dumps(current.data, indent=2)
    status = 200
    if request.method == "POST":
        if not may(request.user, "reviews.edit_policy"):
            return HttpResponseForbidden("Only admins can change the policy.")
        text = request.POST.get("data", "")[:200000]
        try:
            data = strictjson.loads(text)
            version = policy_services.policy_publish(
                data=data, actor=request.user, note=request.POST.get("note", "")[:500]
            )
        except strictjson.JSONRefused as exc:
            error, status = f"The policy {exc}", 400
        except ServiceError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, f"Policy version {version.number} is in force for new revisions.")
            return redirect("reviews:policy-detail")
    context = {
        "current": current,
        "policy": parse_policy(current.data),
        "versions": selectors.policy_versions(),
        "text": text,
        "error": error,
    }
    return render(request, "reviews/policy_detail.html", context, status=status)


@login_required
@require_GET
def policy_version(request: HttpRequest, number: int) -> HttpResponse:
    """One policy version and what changed against the one before."""
    version = selectors.policy_version(number)
    if version is None:
        raise Http404("No such policy version.")
    previous = selectors.policy_version(number - 1)
    diff = difflib.unified_diff(
        json.dumps(previous.data if previous else {}, indent=2).splitlines(),
        json.dumps(version.data, indent=2).splitlines(),
        f"v{number - 1}" if previous else "(none)",
        f"v{number}",
        lineterm="",
    )
    return render(request, "reviews/policy_version.html", {"version": version, "diff": list(diff)})
