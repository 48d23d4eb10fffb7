"""The notifications of the review and of incidents, worded once: each domain's services call these in their
transaction. They take shared records or plain values (an incident is described, not imported)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from notifications.services.notify import Note, notify
from reviews.models import Assignment, Change, Engineer, NotificationKind, Review


def _page(change: Change) -> str:
    return reverse("reviews:change-detail", args=[change.pk])


def tell_assigned(assignment: Assignment) -> int:
    """The senior hears they were asked to review, and why they were picked."""
    change = assignment.change
    reasons = tuple(assignment.reasons or [assignment.reason])
    due = f" Due {assignment.due_at:%a %d %b %H:%M} UTC." if assignment.due_at else ""
    return notify(
        Note(
            kind=NotificationKind.ASSIGNED,
            key=f"assigned:{assignment.pk}",
            title=f"Review requested: {change.title}",
            body=f"{change.repository.name}, +{change.lines_added} −{change.lines_removed}, "
            f"about {change.review_minutes} min.{due} Why you: {'; '.join(reasons)}.",
            details=reasons,
            url=_page(change),
            change=change,
        ),
        [assignment.reviewer_id],
    )


def tell_verdict(review: Review, *, complete: bool) -> int:
    """The author hears of a verdict: changes requested (with the comment), a question, or a sign-off."""
    change = review.change
    who = review.reviewer.display_name
    comment = review.comment.strip()
    if review.verdict == Review.Verdict.REQUEST_CHANGES:
        kind, title = NotificationKind.CHANGES_REQUESTED, f"{who} requested changes: {change.title}"
    elif review.verdict == Review.Verdict.APPROVE:
        kind = NotificationKind.SIGNED_OFF
        title = f"{who} signed off{'' if complete else ' (more sign-offs needed)'}: {change.title}"
    else:
        kind, title = NotificationKind.TURN, f"{who} commented: {change.title}"
    body = comment or ("Signed off without a comment." if kind == NotificationKind.SIGNED_OFF else "No comment.")
    return notify(
        Note(
            kind=kind,
            key=f"verdict:{review.pk}",
            title=title,
            body=body,
            url=_page(change) + "#timeline",
            change=change,
        ),
        [change.author_id],
        exclude=[review.reviewer_id],
    )


def tell_due_soon(assignment: Assignment) -> int:
    """The senior hears a review is due soon."""
    change = assignment.change
    return notify(
        Note(
            kind=NotificationKind.DUE_SOON,
            key=f"due_soon:{assignment.pk}",
            title=f"Due soon: {change.title}",
            body=f"Your review of this change is due at {assignment.due_at:%a %d %b %H:%M} UTC; after that it is "
            "escalated to your manager. Hand it back if you cannot get to it.",
            url=_page(change),
            change=change,
        ),
        [assignment.reviewer_id],
    )


def tell_overdue(assignment: Assignment, managers: Iterable[Engineer]) -> int:
    """The team's manager hears a review is overdue, with a one-click re-route."""
    change = assignment.change
    return notify(
        Note(
            kind=NotificationKind.OVERDUE,
            key=f"overdue:{assignment.pk}",
            title=f"Overdue: {assignment.reviewer.display_name}'s review of {change.title}",
            body=f"Due {assignment.due_at:%a %d %b %H:%M} UTC and not reviewed. Re-route it to another senior, "
            "or leave it: it is re-routed automatically after the grace period.",
            url=_page(change),
            action_url=reverse("reviews:assignment-reroute", args=[assignment.pk]),
            action_label="Re-route",
            change=change,
        ),
        managers,
        exclude=[assignment.reviewer_id],
    )


def tell_rerouted(assignment: Assignment, why: str) -> int:
    """The senior whose review moved on while they were away (or late) hears where it went."""
    change = assignment.change
    return notify(
        Note(
            kind=NotificationKind.REROUTED,
            key=f"rerouted:{assignment.pk}",
            title=f"Re-routed: {change.title}",
            body=f"Your review of this change went to another senior: you {why}.",
            url=_page(change),
            change=change,
        ),
        [assignment.reviewer_id],
    )


def tell_incident(
    *,
    kind: str,
    key: str,
    change: Change,
    incident_title: str,
    incident_url: str,
    evidence: Iterable[str],
) -> int:
    """The author and the signers of a change hear that it is a suspect in an incident, or confirmed as its cause."""
    signers = {r.reviewer_id for r in change.reviews.all() if r.verdict == Review.Verdict.APPROVE}
    verb = "is a suspect in" if kind == NotificationKind.SUSPECT else "was confirmed as a cause of"
    return notify(
        Note(
            kind=kind,
            key=key,
            title=f"Your change {verb} {incident_title}",
            body=f"{change.repository.name}: “{change.title}” {verb} the incident “{incident_title}”.",
            details=tuple(evidence),
            url=incident_url,
            change=change,
        ),
        [change.author_id, *sorted(signers)],
    )


def tell_report(*, key: str, title: str, url: str, summary: str, recipients: Iterable[Engineer | int]) -> int:
    """The weekly report was finalised and published."""
    return notify(
        Note(kind=NotificationKind.REPORT, key=key, title=title, body=summary, url=url),
        recipients,
    )
