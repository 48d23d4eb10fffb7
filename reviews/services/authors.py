"""Who wrote a change, where the host never said: an admin sets it, on the record."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from policy.services.evaluation import change_reevaluate
from portal.access.rules import may
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.models import Assignment, Change, Engineer


def change_set_author(*, change: Change, author: Engineer, actor: Any) -> Change:
    """An admin records the author of a change; audited, and policy and assignment run again."""
    if not may(actor, "reviews.set_change_author", change):
        raise NotAllowed("only an admin can set the author of a change")
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if change.author_id == author.pk:
            raise ServiceError(f"{author.display_name} is already the author of this change")
        previous = change.author_id
        change.author = author
        change.author_email = change.author_email or author.email
        change.author_name = change.author_name or author.display_name
        # The author may not review their own change: a review they hold is no longer theirs to do.
        change.assignments.filter(reviewer=author, state=Assignment.State.ACTIVE).update(
            state=Assignment.State.CANCELLED, completed_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="change.author_set",
            target=change,
            payload={"from": previous, "to": author.pk, "email": author.email},
        )
        if change.diff_state == Change.DiffState.DONE:
            change_reevaluate(change=change)  # the author's level decides what the policy asks of the change
        else:
            change.save(update_fields=["author", "author_email", "author_name", "updated_at"])
    return change
