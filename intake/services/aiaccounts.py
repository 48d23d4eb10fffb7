"""AI accounts on the git host: changes an agent opened itself, and AI review bots' findings (never a sign-off)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from intake.ai_detection import is_agent_account
from intake.hostevents import HostEvent
from intake.selectors import ai_vocabulary
from reviews.audit import audit_record
from reviews.models import AiFinding, Change


def ai_finding_record(*, change: Change, parsed: HostEvent, at: datetime) -> tuple[AiFinding | None, bool]:
    """Record (once per host review) what an AI review bot said, or resolve it when the host dismissed it.

    Returns the finding and whether it is new. A dismissal on the host resolves the finding it names; one that
    names nothing on record is ignored (the bot's text is gone with it).
    """
    with transaction.atomic():
        if parsed.review_state == "dismissed":
            finding = AiFinding.objects.filter(
                change=change, host_review_id=parsed.host_review_id, resolved_at__isnull=True
            ).first()
            if finding is not None and parsed.host_review_id:
                finding.resolved_at = timezone.now()
                finding.resolution = "dismissed on the git host"
                finding.save(update_fields=["resolved_at", "resolution"])
            return finding, False
        values = {
            "account": parsed.reviewer_login[:100],
            "verdict": parsed.review_state[:24],
            "body": parsed.review_body,
            "head_sha": (parsed.review_sha or (parsed.change.head_sha if parsed.change else ""))[:40],
            "received_at": at,
        }
        if parsed.host_review_id:
            finding, created = AiFinding.objects.get_or_create(
                change=change, host_review_id=parsed.host_review_id[:200], defaults=values
            )
        else:
            finding, created = AiFinding.objects.create(change=change, **values), True
        if created:
            audit_record(
                actor=None,
                action="change.ai_finding",
                target=change,
                payload={"finding_id": finding.pk, "account": finding.account, "verdict": finding.verdict},
            )
        return finding, created


def change_fill_opener(change: Change, login: str) -> bool:
    """Set who opened the change on the host and whether that is an agent's own account (not saved); whether the
    agent flag changed."""
    if not login or login[:100] == change.opener_login:
        return False
    change.opener_login = login[:100]
    agent = is_agent_account(login, ai_vocabulary())
    changed = agent != change.agent_opened
    change.agent_opened = agent
    return changed
