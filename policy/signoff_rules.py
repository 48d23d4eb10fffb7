"""Which sign-offs still count on a change, who blocks it, and what it still needs (pure).

Approvals count only from seniors who neither wrote nor last pushed the change, and only while the diff they
approved is still the diff under review. A senior's request for changes holds until a newer revision is approved.
Approvals given on the git host were never timed against the review floor: they count only where the policy says
so (`host_approvals_count`); requests for changes from the host always hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from policy.decision import Decision
from policy.document import Settings

Verdict = Literal["approve", "request_changes", "comment"]
APPROVE: Verdict = "approve"
REQUEST_CHANGES: Verdict = "request_changes"
UNKNOWN_AUTHOR = "the author of this change is unknown; an admin must set it before anyone signs off"


@dataclass(frozen=True)
class ReviewFact:
    """One recorded verdict; `revision` is the number of the revision it was given on."""

    reviewer_id: int
    reviewer_level: int
    reviewer_email: str
    is_owner: bool
    verdict: Verdict
    revision: int
    at: datetime
    from_host: bool = False


@dataclass(frozen=True)
class RevisionFact:
    """One revision of a change; equal non-empty patch ids mean the same diff (a rebase that changed nothing)."""

    number: int
    patch_id: str


@dataclass(frozen=True)
class SignOffStatus:
    """Whether the change is signed off, whose approvals count, who blocks it, and what is missing."""

    approved: bool
    counting: tuple[int, ...]
    blocked_by: tuple[int, ...]
    missing: tuple[str, ...]


def _latest_verdicts(reviews: Sequence[ReviewFact]) -> dict[int, ReviewFact]:
    """Each reviewer's latest approval or request for changes; comments change nobody's verdict."""
    latest: dict[int, tuple[tuple[datetime, int, int], ReviewFact]] = {}
    for index, review in enumerate(reviews):
        if review.verdict not in (APPROVE, REQUEST_CHANGES):
            continue
        key = (review.at, review.revision, index)
        current = latest.get(review.reviewer_id)
        if current is None or key > current[0]:
            latest[review.reviewer_id] = (key, review)
    return {reviewer_id: review for reviewer_id, (_, review) in latest.items()}


def _still_stands(revision: int, revisions: Sequence[RevisionFact], settings: Settings) -> bool:
    """Whether an approval given on this revision still applies to the current one."""
    if not settings.dismiss_on_new_revision:
        return True
    if not revisions:
        return False
    if revision == revisions[-1].number:
        return True
    if not settings.keep_approval_on_rebase:
        return False
    positions = [i for i, r in enumerate(revisions) if r.number == revision]
    if not positions:
        return False
    approved = revisions[positions[-1]]
    later = revisions[positions[-1] + 1 :]
    return bool(approved.patch_id) and all(r.patch_id == approved.patch_id for r in later)


def _paths_phrase(paths: Sequence[str]) -> str:
    """A short name for a set of paths: files of one directory become `dir/**`; past three items, a count."""
    by_directory: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        by_directory.setdefault(path.rpartition("/")[0], []).append(path)
    items: list[str] = []
    for directory, files in by_directory.items():
        items += [f"{directory}/**"] if directory and len(files) > 1 else files
    if len(items) <= 3:
        return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]
    return ", ".join(items[:3]) + f" and {len(items) - 3} more"


def _sign_offs(count: int) -> str:
    return f"{count} more senior sign-off{'s' if count > 1 else ''}"


def signoff_status(
    decision: Decision,
    *,
    reviews: Sequence[ReviewFact],
    revisions: Sequence[RevisionFact],
    author_id: int | None,
    last_pusher_email: str,
    attested: bool,
    failing_gates: Sequence[str],
    settings: Settings,
    author_known: bool = True,
) -> SignOffStatus:
    """Apply the sign-off rules to the recorded verdicts; `revisions` are in order, the last is current.

    With the author unknown, no approval counts where a sign-off is needed: any approver might be the author.
    """
    pusher = last_pusher_email.strip().casefold()

    def is_senior(review: ReviewFact) -> bool:
        return review.reviewer_level >= settings.senior_level and review.reviewer_id != author_id

    def may_sign_off(review: ReviewFact) -> bool:
        # Whoever pushed last wrote part of what is under review, whatever the recorded author says.
        return is_senior(review) and not (pusher and review.reviewer_email.strip().casefold() == pusher)

    # Left out before taking each reviewer's latest verdict: an uncounted host approval lifts nothing either.
    if not settings.host_approvals_count:
        reviews = [r for r in reviews if not (r.from_host and r.verdict == APPROVE)]
    latest = _latest_verdicts(reviews)
    required = max(decision.required_sign_offs, 1 if decision.requires_owner else 0)
    author_blocks = required > 0 and not author_known
    approvals = [r for r in latest.values() if r.verdict == APPROVE and may_sign_off(r) and not author_blocks]
    counting = sorted(r.reviewer_id for r in approvals if _still_stands(r.revision, revisions, settings))
    # A request for changes is lifted by its author's own later approval (their latest verdict replaces it), or by
    # another senior approving a newer revision; approving the very revision found wanting does not answer it.
    blocked_by = sorted(
        r.reviewer_id
        for r in latest.values()
        if r.verdict == REQUEST_CHANGES
        and is_senior(r)
        and not any(a.reviewer_id != r.reviewer_id and a.revision > r.revision for a in approvals)
    )

    missing: list[str] = [UNKNOWN_AUTHOR] if author_blocks else []
    if decision.requires_attestation and not attested:
        missing.append("attestation missing")
    failing = list(dict.fromkeys(failing_gates))
    if decision.requires_gates and failing:
        missing.append(f"gates failing: {', '.join(failing)}")
    more = max(0, required - len(counting))
    has_owner = any(latest[reviewer_id].is_owner for reviewer_id in counting)
    if decision.requires_owner and not has_owner:
        # The owner's sign-off will be one of those still needed.
        if more > 1:
            missing.append(f"needs {_sign_offs(more - 1)} besides the owner's")
        owners_of = _paths_phrase(decision.owner_paths) if decision.owner_paths else ""
        missing.append(
            f"needs a sign-off from an owner of {owners_of}" if owners_of else "needs a code owner's sign-off"
        )
    elif more:
        missing.append(f"needs {_sign_offs(more)}")
    if blocked_by:
        count = len(blocked_by)
        missing.append("changes requested by a senior" if count == 1 else f"changes requested by {count} seniors")
    return SignOffStatus(
        approved=not missing and not blocked_by,
        counting=tuple(counting),
        blocked_by=tuple(blocked_by),
        missing=tuple(missing),
    )
