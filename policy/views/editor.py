"""The policy editor, for admins only: drafts, a rule at a time in a form or the whole policy as JSON or YAML, and
publishing a draft with a reason. Every save goes through the draft services and so through the one validator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policy import selectors
from policy.document import parse_policy
from policy.forms import PublishForm, RawPolicyForm, RuleForm, dump_raw
from policy.sentences import policy_diff
from policy.services import drafts as services
from policy.services.policies import policy_current, policy_of
from policy.views.pages import worded_rules
from portal.access.rules import may
from reviews.audit import ServiceError
from reviews.models import PolicyDraft

FORBIDDEN = "Only admins can edit the policy."


def _admin(request: HttpRequest) -> None:
    if not may(request.user, "reviews.edit_policy"):
        raise PermissionDenied(FORBIDDEN)


def _draft(request: HttpRequest, draft_id: int, *, editable: bool = True) -> PolicyDraft:
    _admin(request)
    draft = selectors.policy_draft(draft_id)
    if draft is None:
        raise Http404("No such policy draft.")
    if editable and draft.is_published:
        raise Http404(f"This draft was published as version {draft.published_as.number}.")
    return draft


@login_required
@require_POST
def draft_create(request: HttpRequest) -> HttpResponse:
    """Start a draft from the policy in force."""
    _admin(request)
    draft = services.policy_draft_create(actor=request.user)
    return redirect("reviews:policy-draft", draft_id=draft.pk)


@login_required
@require_GET
def draft_detail(request: HttpRequest, draft_id: int) -> HttpResponse:
    """A draft's rules as sentences with their edit links, what it changes against the policy in force, publish."""
    draft = _draft(request, draft_id, editable=False)
    return _render_draft(request, draft, PublishForm())


def _render_draft(request: HttpRequest, draft: PolicyDraft, form: PublishForm, status: int = 200) -> HttpResponse:
    current = policy_current()
    policy = parse_policy(draft.data)
    context = {
        "draft": draft,
        "current": current,
        "rules": worded_rules(policy),
        "diff": policy_diff(policy_of(current), policy),
        "form": form,
    }
    return render(request, "policy/draft_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def draft_rule(request: HttpRequest, draft_id: int, number: int | None = None) -> HttpResponse:
    """Edit rule `number` (from 1) of a draft, or add one; the validator's faults show on their fields."""
    draft = _draft(request, draft_id)
    rules = parse_policy(draft.data).rules
    if number is not None and not 1 <= number <= len(rules):
        raise Http404("The draft has no such rule.")
    index = None if number is None else number - 1
    initial = RuleForm.initial_of(rules[index]) if index is not None else {"sign_offs": "1"}
    form = RuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.policy_draft_rule_save(
                    draft=draft, index=index, rule=form.rule_data(), actor=request.user
                )
            except services.PolicyInvalid as exc:
                prefix = f"rules[{index if index is not None else len(rules)}]"
                if exc.place.startswith(prefix):
                    form.add_policy_error(exc.place, str(exc))
                elif exc.place.endswith(".name") and "must be unique" in str(exc):
                    # The validator flags the later of two rules; here the rule being edited is the one to rename.
                    form.add_error("name", "Must be unique: another rule of the draft already has this name.")
                else:
                    form.add_error(None, str(exc))
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Rule {saved + 1} saved in the draft.")
                return redirect("reviews:policy-draft", draft_id=draft.pk)
        status = 400
    context = {"draft": draft, "form": form, "number": number}
    return render(request, "policy/draft_rule.html", context, status=status)


@login_required
@require_POST
def draft_rule_delete(request: HttpRequest, draft_id: int, number: int) -> HttpResponse:
    """Remove one rule from a draft."""
    draft = _draft(request, draft_id)
    try:
        services.policy_draft_rule_delete(draft=draft, index=number - 1, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Rule {number} removed from the draft.")
    return redirect("reviews:policy-draft", draft_id=draft.pk)


@login_required
@require_http_methods(["GET", "POST"])
def draft_raw(request: HttpRequest, draft_id: int) -> HttpResponse:
    """The whole draft as JSON or YAML text, checked by the same validator as the rule form."""
    draft = _draft(request, draft_id)
    syntax = "yaml" if request.GET.get("syntax") == "yaml" else "json"
    form = RawPolicyForm(request.POST or None, initial={"syntax": syntax, "text": dump_raw(draft.data, syntax)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.policy_draft_save(draft=draft, data=form.cleaned_data["policy"], actor=request.user)
            except ServiceError as exc:
                form.add_error("text", str(exc))
            else:
                messages.success(request, "The draft is saved.")
                return redirect("reviews:policy-draft", draft_id=draft.pk)
        status = 400
    return render(request, "policy/draft_raw.html", {"draft": draft, "form": form}, status=status)


@login_required
@require_POST
def draft_publish(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Publish a draft as the policy in force, with the reason for it."""
    draft = _draft(request, draft_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = services.policy_draft_publish(draft=draft, actor=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, f"Policy version {version.number} is in force for new revisions.")
            return redirect("reviews:policy-version", number=version.number)
    return _render_draft(request, draft, form, status=400)
