"""The sign-off policy pages everyone may read: the policy in force in sentences, its history, one version, and the
difference between two versions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from policy import selectors
from policy.document import Policy
from policy.sentences import policy_diff, rule_sentence, settings_sentences
from policy.services.policies import policy_current, policy_of
from portal.access.rules import may
from reviews.models import PolicyVersion


def worded_rules(policy: Policy) -> list[dict[str, object]]:
    """Each rule with its sentence, for the templates."""
    return [{"rule": rule, "sentence": rule_sentence(rule), "number": i + 1} for i, rule in enumerate(policy.rules)]


@login_required
@require_GET
def policy_detail(request: HttpRequest) -> HttpResponse:
    """The policy in force as sentences, its history (who, when, why), and for admins the drafts being edited."""
    current = policy_current()
    policy = policy_of(current)
    context = {
        "current": current,
        "rules": worded_rules(policy),
        "settings": settings_sentences(policy.settings),
        "versions": list(selectors.policy_versions()),
        "drafts": list(selectors.policy_drafts()) if may(request.user, "reviews.edit_policy") else [],
    }
    return render(request, "policy/policy_detail.html", context)


@login_required
@require_GET
def policy_version(request: HttpRequest, number: int) -> HttpResponse:
    """One policy version in sentences and what changed against the one before."""
    version = selectors.policy_version(number)
    if version is None:
        raise Http404("No such policy version.")
    previous = selectors.policy_version(number - 1)
    policy = policy_of(version)
    context = {
        "version": version,
        "is_current": version.pk == policy_current().pk,
        "previous": previous,
        "rules": worded_rules(policy),
        "settings": settings_sentences(policy.settings),
        "diff": policy_diff(policy_of(previous) if previous else Policy(), policy),
    }
    return render(request, "policy/policy_version.html", context)


def _version_arg(request: HttpRequest, key: str, default: int) -> PolicyVersion | None:
    raw = request.GET.get(key, "").strip().lstrip("v")
    if not raw:
        return selectors.policy_version(default)
    if not raw.isdigit() or len(raw) > 9:
        raise ValueError(f"{key} must be a version number, as 3")
    return selectors.policy_version(int(raw))


@login_required
@require_GET
def policy_compare(request: HttpRequest) -> HttpResponse:
    """Any two versions side by side: rules added, removed and changed, as sentences (?from=2&to=5)."""
    current = policy_current()
    try:
        after = _version_arg(request, "to", current.number)
        before = _version_arg(request, "from", (after.number - 1) if after else current.number - 1)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    if after is None or before is None:
        raise Http404("No such policy version.")
    context = {
        "before": before,
        "after": after,
        "diff": policy_diff(policy_of(before), policy_of(after)),
        "versions": list(selectors.policy_versions()),
    }
    return render(request, "policy/policy_compare.html", context)
