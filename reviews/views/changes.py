"""The change page and what people do on it: verdicts, attestation, declarations, gate overrides, AI findings."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from policy.services.policies import policy_current, policy_of
from portal.access.rules import may
from reviews.audit import NotAllowed, ServiceError
from reviews.changepage import riskflags
from reviews.forms import AttestForm, AuthorForm, ReviewForm
from reviews.models import Change, Review
from reviews.people import current_engineer, engineer_by_name
from reviews.rubberstamp import Floor, floor_seconds
from reviews.services import authors as author_services
from reviews.services import signoff as signoff_services
from reviews.services.findings import ai_finding_resolve
from reviews.services.signoff import NeedsConfirmation, files_viewed, gate_override, review_submit
from reviews.views.comments import thread_context
from reviews.views.common import change_or_404
from reviews.views.conversation import blocking_threads, conversation_context
from reviews.views.diff import files_context

_TOKEN_SALT = "reviews.change-page"  # noqa: S105 - a signing salt, not a secret


@login_required
@require_GET
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    """A change with its policy decision, risk, AI evidence, whose turn it is, its conversation, files and diff."""
    return _change_page(request, change_or_404(change_id))


def _change_page(
    request: HttpRequest, change: Change, *, kept: dict | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    """The change page; `kept` holds what the reviewer typed and their active time when a verdict was refused."""
    engineer = current_engineer(request)
    kept = kept or {}
    # A refused verdict keeps its timer: the token's start moves back by the time already counted.
    started = time.time() - kept.get("active_seconds", 0)
    token = signing.dumps({"c": change.pk, "sha": change.head_sha, "t": started}, salt=_TOKEN_SALT)
    context = {
        "change": change,
        "can_sign_off": signoff_services.can_sign_off(engineer, change),
        "can_override": may(request.user, "reviews.override_gate", change),
        "is_author": engineer is not None and change.author_id == engineer.pk,
        "can_resolve_findings": may(request.user, "reviews.resolve_ai_finding", change),
        "current_attested": any(a.head_sha == change.head_sha for a in change.attestations.all()),
        "review_form": ReviewForm(
            initial={"head_sha": change.head_sha, "page_token": token, "comment": kept.get("comment", "")}
        ),
        "active_seconds": kept.get("active_seconds", 0),
        "review_error": error,
        "attest_form": AttestForm(),
        "author_form": AuthorForm()
        if change.author_id is None and may(request.user, "reviews.set_change_author", change)
        else None,
        "host_approvals_count": _host_approvals_count(change),
        **thread_context(change, engineer),  # threads_by_line, open_threads, outdated_threads, ...
    }
    context.update(conversation_context(change, engineer, context["comment_threads"]))
    context.update(files_context(request, change, engineer, context["threads_by_line"]))
    context["risk_label"] = riskflags.score_label(change.risk_score)
    context["risk_flags"] = riskflags.page_flags(
        reasons=change.risk_reasons or [],
        sensitive_files=sum(1 for entry in context["file_entries"] if entry.sensitive),
        gates=[(g.name, g.status) for g in change.current_gates if g.status in ("fail", "warn") and not g.override],
        ai_assisted=change.ai_assisted,
        ai_undeclared=change.ai_undeclared,
    )
    context["risk_flags_outside"] = [flag for flag in context["risk_flags"] if not flag.in_score]
    context["flagged_gates"] = [g for g in change.current_gates if g.status != "pass"]
    return render(request, "reviews/change_detail.html", context, status=status)


def _host_approvals_count(change: Change) -> bool:
    """Whether the change's policy counts approvals given on the git host; looked up only when it has one."""
    if not any(r.source == Review.Source.HOST for r in change.reviews.all()):
        return False
    return policy_of(change.policy_version or policy_current()).settings.host_approvals_count


@login_required
@require_POST
def change_review(request: HttpRequest, change_id: int) -> HttpResponse:
    """Record a verdict; the server decides who may sign off, whatever the page showed."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    if not signoff_services.can_sign_off(engineer, change):
        return HttpResponseForbidden("You may not sign off this change.")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse(f"Invalid review: {form.errors.as_text()}", status=400, content_type="text/plain")
    try:
        token = signing.loads(form.cleaned_data["page_token"], salt=_TOKEN_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        return HttpResponse("The review page has expired; reload it.", status=400, content_type="text/plain")
    if token.get("c") != change.pk:
        return HttpResponse("The review token belongs to another change.", status=400, content_type="text/plain")
    if token.get("sha") != form.cleaned_data["head_sha"]:
        # The hidden head_sha is unsigned; only the revision the page showed may be signed off.
        return HttpResponse("The review token belongs to another revision.", status=400, content_type="text/plain")
    # Active time is measured by the page; it can never exceed the time since the page was served.
    elapsed = max(0, int(time.time() - float(token.get("t", time.time()))))
    seconds = min(form.cleaned_data.get("active_seconds") or 0, elapsed)
    try:
        review_submit(
            change=change,
            reviewer=engineer,
            verdict=form.cleaned_data["verdict"],
            head_sha=form.cleaned_data["head_sha"],
            seconds_spent=seconds,
            comment=form.cleaned_data["comment"],
            confirm_fast=form.cleaned_data["confirm_fast"],
        )
    except NeedsConfirmation as exc:
        context = {"change": change, "check": exc.check, "data": form.cleaned_data, "seconds": seconds}
        return render(request, "reviews/change_confirm.html", context, status=409)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        # Refused (a blocking thread, a newer revision): the page comes back with the comment and the timer kept.
        kept = {"comment": form.cleaned_data["comment"], "active_seconds": seconds}
        return _change_page(request, change_or_404(change.pk), kept=kept, error=str(exc), status=409)
    messages.success(request, f"Recorded: {form.cleaned_data['verdict'].replace('_', ' ')} on {change.short_sha}.")
    return redirect("reviews:queue")


@login_required
@require_POST
def change_set_author(request: HttpRequest, change_id: int) -> HttpResponse:
    """An admin sets who wrote a change the host never named an engineer for."""
    change = change_or_404(change_id)
    if not may(request.user, "reviews.set_change_author", change):
        return HttpResponseForbidden("Only an admin can set the author of a change.")
    form = AuthorForm(request.POST)
    author = engineer_by_name(form.cleaned_data["engineer"]) if form.is_valid() else None
    if author is None:
        messages.error(request, "No engineer has that user name or e-mail.")
        return redirect("reviews:change-detail", change_id=change.pk)
    try:
        author_services.change_set_author(change=change, author=author, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{author.display_name} is now recorded as the author.")
    return redirect("reviews:change-detail", change_id=change.pk)


@login_required
@require_POST
def change_attest(request: HttpRequest, change_id: int) -> HttpResponse:
    """The author attests self-review of the current revision."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    if engineer is None or change.author_id != engineer.pk:
        return HttpResponseForbidden("Only the author of a change can attest its self-review.")
    form = AttestForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("reviews:change-detail", change_id=change.pk)
    try:
        signoff_services.change_attest(change=change, engineer=engineer, note=form.cleaned_data["note"])
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Self-review attested.")
    return redirect("reviews:change-detail", change_id=change.pk)


@login_required
@require_POST
def change_declare_ai(request: HttpRequest, change_id: int) -> HttpResponse:
    """The author declares whether AI assisted the change."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    if engineer is None or change.author_id != engineer.pk:
        return HttpResponseForbidden("Only the author of a change can declare AI assistance.")
    value = request.POST.get("ai_assisted", "")
    if value not in ("yes", "no"):
        return HttpResponse("ai_assisted must be yes or no.", status=400, content_type="text/plain")
    try:
        signoff_services.change_declare_ai(change=change, engineer=engineer, declared=value == "yes")
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Declaration recorded.")
    return redirect("reviews:change-detail", change_id=change.pk)


@login_required
@require_POST
def change_override_gate(request: HttpRequest, change_id: int) -> HttpResponse:
    """A senior lets a failed gate pass with a written reason."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    if engineer is None or not may(request.user, "reviews.override_gate", change):
        return HttpResponseForbidden("Only a senior who is not the author can override a gate.")
    gate_name = request.POST.get("gate", "")[:100]
    try:
        gate_override(change=change, senior=engineer, gate_name=gate_name, reason=request.POST.get("reason", ""))
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Gate {gate_name} overridden on {change.short_sha}.")
    return redirect("reviews:change-detail", change_id=change.pk)


@login_required
@require_GET
def change_signoff_summary(request: HttpRequest, change_id: int) -> HttpResponse:
    """What an approval would sign: revision, files viewed of total, active time against the floor."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    if not signoff_services.can_sign_off(engineer, change):
        return HttpResponseForbidden("You may not sign off this change.")
    viewed, total = files_viewed(change, engineer)
    seconds = request.GET.get("seconds", "0")
    context = {
        "change": change,
        "viewed": viewed,
        "total": total,
        "seconds": int(seconds) if seconds.isdigit() and len(seconds) < 8 else 0,
        "floor": floor_seconds(
            change.lines_changed,
            Floor(
                seconds_per_10_lines=settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES,
                min_seconds=settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS,
            ),
        ),
        "revision_number": next((r.number for r in change.revisions.all() if r.head_sha == change.head_sha), 1),
        "missing": [m for m in change.policy_missing if "sign-off" not in m],
        "blocking": blocking_threads(change),
    }
    return render(request, "reviews/_signoff_summary.html", context)


@login_required
@require_POST
def change_resolve_ai_finding(request: HttpRequest, change_id: int, finding_id: int) -> HttpResponse:
    """A senior or the author marks what an AI review bot said as dealt with."""
    change = change_or_404(change_id)
    engineer = current_engineer(request)
    finding = next((f for f in change.ai_findings.all() if f.pk == finding_id), None)
    if finding is None:
        return HttpResponse("No such finding on this change.", status=404, content_type="text/plain")
    if engineer is None or not may(request.user, "reviews.resolve_ai_finding", change):
        return HttpResponseForbidden("Only a senior or the change's author can resolve an AI reviewer's finding.")
    note = request.POST.get("note", "")
    if len(note) > 500:
        return HttpResponse("The note may be at most 500 characters.", status=400, content_type="text/plain")
    try:
        ai_finding_resolve(finding=finding, engineer=engineer, note=note)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Finding of {finding.account} resolved.")
    return redirect("reviews:change-detail", change_id=change.pk)
