"""The author's attestation and the seniors' verdicts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assignment.services.assign import change_assign_if_waiting
from notifications.services.events import tell_verdict
from notifications.services.turns import turn_record
from policy import gates
from policy.services.evaluation import (
    change_reevaluate,
    failing_gates,
    gate_plugins,
    gate_summary,
    review_state_of,
    unresolved_senior_threads,
)
from policy.services.policies import policy_current, policy_of
from policy.signoff_rules import UNKNOWN_AUTHOR
from portal.access.rules import may
from reviews import rubberstamp
from reviews.attention import Event, Move
from reviews.audit import AlreadyRecorded, NotAllowed, ServiceError, audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.models import Assignment, Attestation, Change, Engineer, FileView, GateOverride, GateResult, Review


def change_attest(*, change: Change, engineer: Engineer, note: str = "") -> Attestation:
    """The author attests self-review of the current revision; the change then enters the queue."""
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if change.author_id != engineer.pk:
            raise NotAllowed("only the author of a change can attest its self-review")
        if change.state != Change.State.OPEN:
            raise ServiceError("only open changes can be attested")
        attestation, created = Attestation.objects.get_or_create(
            change=change, head_sha=change.head_sha, defaults={"author": engineer, "note": note[:5000]}
        )
        if created:
            audit_record(actor=engineer.user, action="change.attested", target=change, payload={"sha": change.head_sha})
            if change.diff_state == Change.DiffState.DONE:
                change.review_state = review_state_of(change)
                change.save(update_fields=["review_state", "policy_missing", "updated_at"])
                host_sync_mark(change_id=change.pk, reason="attested")
                turn_record(
                    change=change, move=Move(Event.ATTESTED, actor=engineer.pk, review_state=change.review_state)
                )
                change_assign_if_waiting(change=change)
    return attestation


def can_sign_off(engineer: Engineer | None, change: Change) -> bool:
    """Whether this engineer may record a verdict on this change (the rule `reviews.sign_off_change`)."""
    return engineer is not None and may(engineer.user, "reviews.sign_off_change", change)


def _is_last_pusher(engineer: Engineer, change: Change) -> bool:
    return bool(change.last_pusher_email) and engineer.email.lower() == change.last_pusher_email.lower()


def review_submit(
    *,
    change: Change,
    reviewer: Engineer,
    verdict: str,
    head_sha: str,
    seconds_spent: int,
    comment: str = "",
    confirm_fast: bool = False,
) -> Review:
    """Record a verdict on the revision the reviewer saw, in the ledger, and update the change.

    An approval faster than the floor for its size, or with files not viewed, needs confirm_fast;
    confirmed, it is recorded and flagged as a rubber stamp.
    """
    if verdict not in Review.Verdict.values:
        raise ServiceError(f"unknown verdict {verdict!r}")
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if not can_sign_off(reviewer, change):
            if change.is_author_unknown and change.state == Change.State.OPEN:
                raise NotAllowed(UNKNOWN_AUTHOR)
            if change.author_id == reviewer.pk:
                raise NotAllowed("nobody signs off their own change")
            if _is_last_pusher(reviewer, change):
                raise NotAllowed("the last pusher of a change may not sign it off")
            if not reviewer.is_senior:
                raise NotAllowed("only senior engineers (L6 and up) can sign off")
            raise NotAllowed("this change is not open for review")
        if head_sha != change.head_sha:
            raise ServiceError(
                f"the change has a newer revision ({change.head_sha[:10]}); review that revision before signing off"
            )
        threads = unresolved_senior_threads(change) if verdict == Review.Verdict.APPROVE else 0
        if threads:
            raise ServiceError(
                f"{threads} unresolved thread{'s' if threads != 1 else ''} opened by "
                f"{'seniors' if threads != 1 else 'a senior'}: resolve {'them' if threads != 1 else 'it'} first"
            )
        viewed, total = files_viewed(change, reviewer)
        check = rubberstamp.check_sign_off(
            seconds_spent=max(0, int(seconds_spent)),
            lines_changed=change.lines_changed,
            files_viewed=viewed,
            files_total=total,
            floor=rubberstamp.Floor(
                seconds_per_10_lines=settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES,
                min_seconds=settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS,
                require_all_viewed=settings.PORTAL_REVIEW_REQUIRE_ALL_VIEWED,
            ),
        )
        fast = verdict == Review.Verdict.APPROVE and check.too_fast
        if fast and not confirm_fast:
            raise NeedsConfirmation(check)
        review = _record_review(
            change=change,
            reviewer=reviewer,
            verdict=verdict,
            head_sha=head_sha,
            seconds_spent=seconds_spent,
            comment=comment,
            at=timezone.now(),
            files=(viewed, total),
            rubber_stamp=fast,
        )
    return review


class NeedsConfirmation(ServiceError):
    """An approval looks too fast to be a review: the reviewer must confirm it."""

    def __init__(self, check: rubberstamp.Verdict) -> None:
        super().__init__("this sign-off is faster than a review of this size: " + "; ".join(check.reasons))
        self.check = check


def files_viewed(change: Change, reviewer: Engineer) -> tuple[int, int]:
    """(files the reviewer marked viewed in their current content, files of the change that are not generated)."""
    current = dict(change.files.filter(is_generated=False).values_list("path", "fingerprint"))
    seen = FileView.objects.filter(change=change, reviewer=reviewer, path__in=list(current)).values_list(
        "path", "fingerprint"
    )
    return sum(1 for path, fingerprint in seen if current.get(path) == fingerprint), len(current)


def _record_review(
    *,
    change: Change,
    reviewer: Engineer,
    verdict: str,
    head_sha: str,
    seconds_spent: int,
    comment: str,
    at: datetime,
    source: str = Review.Source.PORTAL,
    files: tuple[int, int] = (0, 0),
    rubber_stamp: bool = False,
    host_review_id: str = "",
    closes_assignment: bool = True,
) -> Review:
    """Write a verdict and its ledger entry, close the reviewer's assignment, update the change."""
    review = Review.objects.create(
        host_review_id=host_review_id,
        change=change,
        reviewer=reviewer,
        verdict=verdict,
        head_sha=head_sha,
        seconds_spent=max(0, int(seconds_spent)),
        comment=comment[:20000],
        created_at=at,
        source=source,
        files_viewed=files[0],
        files_total=files[1],
        rubber_stamp=rubber_stamp,
        confirmed_fast=rubber_stamp,
    )
    event = audit_record(
        actor=reviewer.user,
        action=f"review.{verdict}",
        target=change,
        payload={
            "review_id": review.pk,
            "sha": head_sha,
            "seconds_spent": review.seconds_spent,
            "files_viewed": review.files_viewed,
            "files_total": review.files_total,
            "rubber_stamp": review.rubber_stamp,
            "at": at.isoformat(),
            **({"source": source, "host_review_id": host_review_id} if host_review_id else {}),
        },
    )
    review.ledger_hash = event.hash
    review.save(update_fields=["ledger_hash"])
    if verdict != Review.Verdict.COMMENT and closes_assignment:
        change.assignments.filter(reviewer=reviewer, state=Assignment.State.ACTIVE).update(
            state=Assignment.State.DONE, completed_at=at
        )
    change.review_state = review_state_of(change)
    change.save(update_fields=["review_state", "policy_missing", "updated_at"])
    host_sync_mark(change_id=change.pk, reason="verdict")
    if change.state == Change.State.OPEN:
        complete = change.review_state in (Change.ReviewState.APPROVED, Change.ReviewState.NOT_REQUIRED)
        event = {
            Review.Verdict.APPROVE: Event.APPROVED,
            Review.Verdict.REQUEST_CHANGES: Event.CHANGES_REQUESTED,
        }.get(verdict, Event.COMMENTED)
        turn_record(
            change=change,
            move=Move(event, actor=reviewer.pk, review_state=change.review_state, complete=complete),
            ref=str(review.pk),
        )
        if source != Review.Source.HISTORY:
            tell_verdict(review, complete=complete)
    return review


def review_import(
    *,
    change: Change,
    reviewer: Engineer,
    verdict: str,
    seconds_spent: int,
    at: datetime,
    source: str = Review.Source.HISTORY,
    rubber_stamp: bool = False,
    assigned_at: datetime | None = None,
    host_review_id: str = "",
) -> Review:
    """Record a verdict given outside the portal (host review events, history).

    `rubber_stamp` carries the flag where the source measured the time spent; `assigned_at`, when known, records
    the request for this review as an assignment, done when the verdict was given. A review with a
    `host_review_id` is recorded once: another delivery of it raises AlreadyRecorded.
    """
    if verdict not in Review.Verdict.values:
        raise ServiceError(f"unknown verdict {verdict!r}")
    if reviewer.pk == change.author_id:
        raise NotAllowed("nobody signs off their own change")
    if assigned_at is not None and assigned_at > at:
        raise ServiceError("a review cannot be requested after it was given")
    with transaction.atomic():
        # The change's row lock serialises deliveries of one review: the second sees the first's row, committed.
        change = Change.objects.select_for_update().get(pk=change.pk)
        if host_review_id:
            existing = change.reviews.filter(host_review_id=host_review_id).first()
            if existing is not None:
                raise AlreadyRecorded(existing)
        if assigned_at is not None:
            assignment = Assignment.objects.create(
                change=change,
                reviewer=reviewer,
                reason="review requested on the git host",
                reasons=["review requested on the git host"],
                estimated_minutes=change.review_minutes,
                due_at=assigned_at + timedelta(hours=settings.PORTAL_REVIEW_DUE_HOURS),
            )
            # created_at is set on insert; the request happened earlier, when the host recorded it.
            Assignment.objects.filter(pk=assignment.pk).update(created_at=assigned_at)
        return _record_review(
            change=change,
            reviewer=reviewer,
            verdict=verdict,
            head_sha=change.head_sha,
            seconds_spent=seconds_spent,
            comment="",
            at=at,
            source=source,
            rubber_stamp=rubber_stamp and verdict == Review.Verdict.APPROVE,
            host_review_id=host_review_id,
            # An approval the policy does not count leaves the senior's assignment open: their sign-off is still due.
            closes_assignment=not (
                source == Review.Source.HOST
                and verdict == Review.Verdict.APPROVE
                and not policy_of(change.policy_version or policy_current()).settings.host_approvals_count
            ),
        )


def change_declare_ai(*, change: Change, engineer: Engineer, declared: bool) -> Change:
    """The author declares whether AI assisted the change; policy is applied again."""
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if change.author_id != engineer.pk:
            raise NotAllowed("only the author of a change can declare AI assistance")
        if change.state != Change.State.OPEN:
            raise ServiceError("only open changes can be declared")
        previous = change.ai_declared
        change.ai_declared = declared
        if change.diff_state == Change.DiffState.DONE:
            change_reevaluate(change=change)
        else:
            change.save(update_fields=["ai_declared", "updated_at"])
        audit_record(
            actor=engineer.user, action="change.ai_declared", target=change, payload={"from": previous, "to": declared}
        )
    return change


def gate_override(*, change: Change, senior: Engineer, gate_name: str, reason: str) -> GateOverride:
    """A senior lets a failed gate pass on the current revision, with a written reason; audited."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ServiceError("write a reason of at least 10 characters")
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if not senior.is_senior:
            raise NotAllowed("only senior engineers can override a gate")
        if change.author_id == senior.pk:
            raise NotAllowed("nobody overrides a gate on their own change")
        if gate_name not in failing_gates(change):
            raise ServiceError(f"gate {gate_name!r} is not failing on this revision")
        override = GateOverride.objects.create(
            change=change, head_sha=change.head_sha, gate_name=gate_name, senior=senior, reason=reason[:5000]
        )
        audit_record(
            actor=senior.user,
            action="gate.overridden",
            target=change,
            payload={"gate": gate_name, "sha": change.head_sha, "reason": reason[:500]},
        )
        _refresh_after_gates(change)
    return override


def gate_record_external(
    *, change: Change, head_sha: str, name: str, status: str, message: str, details: list[str], actor: Any
) -> GateResult:
    """A result posted by CI or another outside check for one revision; the latest post per name wins."""
    if status not in GateResult.Status.values:
        raise ServiceError(f"status must be one of {', '.join(GateResult.Status.values)}")
    if name[:100] in {g.name for g in (*gates.BUILTIN_GATES, *gate_plugins())}:
        # Otherwise a CI post would replace the portal's own result: a failing secrets gate cleared without the
        # senior's written override that the policy asks for.
        raise ServiceError(f"{name!r} is the name of a built-in gate: report the check under another name")
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if head_sha != change.head_sha:
            raise ServiceError(f"{head_sha[:12]} is not the current revision ({change.head_sha[:12]})")
        result, _ = GateResult.objects.update_or_create(
            change=change,
            head_sha=head_sha,
            name=name[:100],
            defaults={
                "status": status,
                "message": message[:1000],
                "details": [str(d)[:500] for d in details[:200]],
                "source": GateResult.Source.CI,
            },
        )
        audit_record(actor=actor, action="gate.reported", target=change, payload={"gate": name, "status": status})
        _refresh_after_gates(change)
    return result


def _refresh_after_gates(change: Change) -> None:
    change.gates_state = gate_summary(change)
    change.review_state = review_state_of(change)
    change.save(update_fields=["gates_state", "review_state", "policy_missing", "updated_at"])
    host_sync_mark(change_id=change.pk, reason="gates")
    if change.state == Change.State.OPEN:
        turn_record(change=change, move=Move(Event.EVALUATED, review_state=change.review_state))
    change_assign_if_waiting(change=change)
