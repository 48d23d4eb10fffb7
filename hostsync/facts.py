"""Loading the facts a change's host state is computed from (the worker's one read)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from hostsync.desired import AssigneeFact, ChangeFacts, GateFact
from reviews.models import Assignment, Change, GateOverride, GateResult


def change_url(change_id: int) -> str:
    """The change page, absolute: where the check's details link and the comment's sign-off link point."""
    return settings.PORTAL_BASE_URL + reverse("reviews:change-detail", args=[change_id])


def change_facts(change: Change) -> ChangeFacts:
    """Everything the desired host state needs, for the change's head revision."""
    overridden = set(
        GateOverride.objects.filter(change=change, head_sha=change.head_sha).values_list("gate_name", flat=True)
    )
    gates = tuple(
        GateFact(
            name=g.name,
            status=g.status,
            message=g.message,
            details=tuple(str(d) for d in (g.details or [])[:200]),
            overridden=g.status == GateResult.Status.FAIL and g.name in overridden,
        )
        for g in GateResult.objects.filter(change=change, head_sha=change.head_sha).order_by("name")
    )
    assignees = tuple(
        AssigneeFact(name=a.reviewer.display_name, level=a.reviewer.level, reason=a.reason)
        for a in Assignment.objects.filter(change=change, state=Assignment.State.ACTIVE).select_related("reviewer")
    )
    return ChangeFacts(
        change_id=change.pk,
        number=change.number or 0,
        head_sha=change.head_sha,
        review_state=change.review_state,
        required_sign_offs=change.required_sign_offs,
        ai_assisted=change.ai_assisted,
        author_level=change.author.level if change.author_id else None,
        details_url=change_url(change.pk),
        policy_reasons=tuple(str(r) for r in change.policy_reasons or ()),
        policy_missing=tuple(str(m) for m in change.policy_missing or ()),
        risk_score=change.risk_score,
        risk_reasons=tuple(
            str(r[1]) if isinstance(r, list) and len(r) > 1 else str(r) for r in change.risk_reasons or ()
        ),
        ai_evidence=tuple(_evidence(e) for e in change.ai_evidence or ()),
        gates=gates,
        assignees=assignees,
        paths=frozenset(change.files.values_list("path", flat=True)),
        senior_level=settings.PORTAL_SENIOR_LEVEL,
    )


def _evidence(item: object) -> str:
    if isinstance(item, dict):
        return str(item.get("detail") or item.get("reason") or item.get("kind") or item)[:300]
    return str(item)[:300]
