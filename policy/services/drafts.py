"""Policy drafts: admins edit a copy of the policy (a rule at a time, or as raw JSON or YAML), then publish it with
a reason. Every save is validated by policy.document.parse_policy, the one validator of policy data."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction

from policy.document import PolicyError, parse_policy, policy_to_data
from policy.services.policies import policy_current, policy_publish
from portal.access.rules import may
from reviews.audit import NotAllowed, ServiceError
from reviews.models import PolicyDraft, PolicyVersion

MAX_REASON_CHARS = 500


class PolicyInvalid(ServiceError):
    """Policy data the validator refused; `place` says where (`rules[2].when.paths[0]`), for the form to show."""

    def __init__(self, error: PolicyError) -> None:
        super().__init__(str(error))
        self.place = error.place


def _check_admin(actor: Any) -> None:
    if not may(actor, "reviews.edit_policy"):
        raise NotAllowed("Only admins can edit the policy.")


def policy_validate(data: Any) -> dict[str, Any]:
    """The normalised data of a valid policy; PolicyInvalid names the first fault."""
    try:
        return policy_to_data(parse_policy(data))
    except PolicyError as exc:
        raise PolicyInvalid(exc) from None


def policy_draft_create(*, actor: Any, version: PolicyVersion | None = None) -> PolicyDraft:
    """A new draft holding a copy of `version` (the version in force by default)."""
    _check_admin(actor)
    base = version or policy_current()
    return PolicyDraft.objects.create(data=copy.deepcopy(base.data), based_on=base, created_by=actor)


def _open(draft: PolicyDraft) -> None:
    if draft.is_published:
        raise ServiceError(f"This draft was published as version {draft.published_as.number}; start a new draft.")


def policy_draft_save(*, draft: PolicyDraft, data: Any, actor: Any) -> PolicyDraft:
    """Replace a draft's whole policy data, once valid."""
    _check_admin(actor)
    _open(draft)
    draft.data = policy_validate(data)
    draft.save(update_fields=["data", "updated_at"])
    return draft


def policy_draft_rule_save(*, draft: PolicyDraft, index: int | None, rule: dict[str, Any], actor: Any) -> int:
    """Put one rule's data at `index` of the draft (None: append it); returns the rule's index."""
    data = copy.deepcopy(draft.data)
    rules = data.setdefault("rules", [])
    if index is None:
        rules.append(rule)
        index = len(rules) - 1
    elif 0 <= index < len(rules):
        rules[index] = rule
    else:
        raise ServiceError(f"The draft has no rule {index + 1}.")
    policy_draft_save(draft=draft, data=data, actor=actor)
    return index


def policy_draft_rule_delete(*, draft: PolicyDraft, index: int, actor: Any) -> None:
    """Remove one rule from a draft."""
    data = copy.deepcopy(draft.data)
    rules = data.get("rules", [])
    if not 0 <= index < len(rules):
        raise ServiceError(f"The draft has no rule {index + 1}.")
    del rules[index]
    policy_draft_save(draft=draft, data=data, actor=actor)


def policy_draft_publish(*, draft: PolicyDraft, actor: Any, reason: str) -> PolicyVersion:
    """Publish a draft as the next version with the reason for it; audited in the ledger as a policy publication."""
    _check_admin(actor)
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the policy changes: the reason is kept with the version and in the audit ledger.")
    if len(reason) > MAX_REASON_CHARS:
        raise ServiceError(f"The reason must be at most {MAX_REASON_CHARS} characters.")
    with transaction.atomic():
        draft = PolicyDraft.objects.select_for_update().get(pk=draft.pk)
        _open(draft)
        version = policy_publish(data=draft.data, actor=actor, note=reason, source="portal", draft=draft.pk)
        draft.published_as = version
        draft.save(update_fields=["published_as", "updated_at"])
    return version
