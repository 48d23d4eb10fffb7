"""Writes of the correction-of-error review: its text, its "5 whys" chains and its action items."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.models import COE_FIELDS, ActionItem, CorrectionOfError, Incident, WhyChain
from reviews.audit import ServiceError, audit_record
from reviews.models import Engineer

MAX_WHYS = 5
MAX_CHAINS = 20


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def coe_save(*, actor: Any, incident: Incident, **texts: str) -> CorrectionOfError:
    """Save the review's Markdown fields given (the others stay); audited with the fields that changed."""
    unknown = set(texts) - set(COE_FIELDS)
    if unknown:
        raise ServiceError(f"the review has no field {', '.join(sorted(unknown))}")
    with transaction.atomic():
        coe, _ = CorrectionOfError.objects.select_for_update().get_or_create(incident=incident)
        changed = []
        for name, value in texts.items():
            value = (value or "").replace("\r\n", "\n")[:20000]
            if getattr(coe, name) != value:
                setattr(coe, name, value)
                changed.append(name)
        if changed:
            coe.updated_by = _user(actor)
            coe.save()
            audit_record(actor=actor, action="incident.coe_saved", target=incident, payload={"fields": changed})
    return coe


def _clean_whys(whys: list[str]) -> list[str]:
    cleaned = [str(w).strip()[:1000] for w in whys]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if len(cleaned) > MAX_WHYS:
        raise ServiceError(f"a chain has at most {MAX_WHYS} whys")
    if any(not w for w in cleaned):
        raise ServiceError("answer each why before the next")
    return cleaned


def why_chain_save(
    *, actor: Any, incident: Incident, problem: str, whys: list[str], chain: WhyChain | None = None
) -> WhyChain:
    """Add a "5 whys" chain to the review, or edit one of its chains; audited."""
    problem = problem.strip()[:500]
    if not problem:
        raise ServiceError("a chain starts from a problem")
    cleaned = _clean_whys(whys)
    with transaction.atomic():
        if chain is None:
            Incident.objects.select_for_update().filter(pk=incident.pk).first()
            if WhyChain.objects.filter(incident=incident).count() >= MAX_CHAINS:
                raise ServiceError(f"at most {MAX_CHAINS} chains")
            last = WhyChain.objects.filter(incident=incident).aggregate(last=Max("position"))["last"]
            chain = WhyChain.objects.create(
                incident=incident, problem=problem, whys=cleaned, position=0 if last is None else last + 1
            )
        else:
            if chain.incident_id != incident.pk:
                raise ServiceError("that chain belongs to another incident")
            chain.problem, chain.whys = problem, cleaned
            chain.save(update_fields=["problem", "whys"])
        audit_record(
            actor=actor,
            action="incident.why_chain",
            target=incident,
            payload={"chain_id": chain.pk, "problem": problem[:200], "whys": len(cleaned)},
        )
    return chain


def why_chain_delete(*, actor: Any, chain: WhyChain) -> None:
    """Remove a chain from the review; audited."""
    with transaction.atomic():
        incident = chain.incident
        audit_record(
            actor=actor,
            action="incident.why_chain_deleted",
            target=incident,
            payload={"chain_id": chain.pk, "problem": chain.problem[:200]},
        )
        chain.delete()


def action_item_add(
    *, actor: Any, incident: Incident, title: str, owner: Engineer | None = None, due_date: date | None = None
) -> ActionItem:
    """Add an action item with its owner and due date; audited."""
    title = title.strip()[:300]
    if not title:
        raise ServiceError("an action item needs a title")
    with transaction.atomic():
        item = ActionItem.objects.create(
            incident=incident, title=title, owner=owner, due_date=due_date, created_by=_user(actor)
        )
        audit_record(
            actor=actor,
            action="incident.action_item_added",
            target=incident,
            payload={
                "item_id": item.pk,
                "title": title,
                "owner_id": owner.pk if owner else None,
                "due": due_date.isoformat() if due_date else None,
            },
        )
    return item


_UNSET: Any = object()


def action_item_update(
    *,
    actor: Any,
    item: ActionItem,
    status: str | None = None,
    owner: Engineer | None = _UNSET,
    due_date: date | None = _UNSET,
    title: str | None = None,
) -> ActionItem:
    """Change an action item's status, owner, due date or title; audited with what changed."""
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item.pk)
        changes: dict[str, Any] = {}
        if status is not None:
            if status not in ActionItem.Status.values:
                raise ServiceError(f"unknown status {status!r}")
            if status != item.status:
                changes["status"] = [item.status, status]
                item.status = status
                item.completed_at = timezone.now() if item.is_closed else None
        if owner is not _UNSET and owner != item.owner:
            changes["owner_id"] = [item.owner_id, owner.pk if owner else None]
            item.owner = owner
        if due_date is not _UNSET and due_date != item.due_date:
            changes["due"] = [item.due_date and item.due_date.isoformat(), due_date and due_date.isoformat()]
            item.due_date = due_date
        if title is not None and title.strip()[:300] != item.title:
            if not title.strip():
                raise ServiceError("an action item needs a title")
            changes["title"] = [item.title, title.strip()[:300]]
            item.title = title.strip()[:300]
        if changes:
            item.save()
            audit_record(
                actor=actor,
                action="incident.action_item_updated",
                target=item.incident,
                payload={"item_id": item.pk, **changes},
            )
    return item
