"""Diffs, policy, risk and assignment of a change."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from reviews import policy, risk
from reviews.ai_detection import detect_ai
from reviews.assignment import Candidate, pick_reviewer
from reviews.diffparse import parse_diff
from reviews.gitrepo import GitError
from reviews.models import Assignment, Change, ChangeFile, Engineer, Review
from reviews.services.base import audit_record, repository_mirror

log = logging.getLogger(__name__)


def change_pull_diff(*, change_id: int) -> Change | None:
    """Pull, parse and store the diff of a change's head, then apply policy and assignment; idempotent."""
    change = Change.objects.select_related("repository", "author").filter(pk=change_id).first()
    if change is None:
        return None
    if change.diff_state == Change.DiffState.DONE and change.diff_sha == change.head_sha:
        return change
    head = change.head_sha
    mirror = repository_mirror(change.repository)
    try:
        if not mirror.exists():
            mirror.fetch(change.repository.clone_url)
        raw = mirror.diff(change.base_sha or None, head)
        if change.state == Change.State.MERGED:
            commits = mirror.log(head, exclude=change.base_sha or None, first_parent=True)[-1:]
        else:
            commits = mirror.log(head, exclude=change.base_sha or None)
    except GitError as exc:
        if exc.transient:
            raise
        Change.objects.filter(pk=change.pk, head_sha=head).update(
            diff_state=Change.DiffState.FAILED, diff_error=str(exc)[:2000], updated_at=timezone.now()
        )
        return change
    parsed = parse_diff(raw)
    ai = detect_ai(
        [c["message"] for c in commits],
        [email for c in commits for email in (c["author_email"], c["committer_email"])],
        branch=change.source_branch,
    )
    with transaction.atomic():
        locked = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if locked.head_sha != head:
            return locked  # a newer revision arrived; its own task will do the work
        ChangeFile.objects.filter(change=locked).delete()
        ChangeFile.objects.bulk_create(
            [
                ChangeFile(
                    change=locked,
                    path=f.path[:1000],
                    old_path=f.old_path[:1000],
                    status=f.status,
                    lines_added=f.lines_added,
                    lines_removed=f.lines_removed,
                    patch=f.patch,
                )
                for f in parsed.files
            ],
            batch_size=500,
        )
        locked.lines_added = parsed.lines_added
        locked.lines_removed = parsed.lines_removed
        locked.files_count = len(parsed.files)
        locked.ai_assisted = ai.assisted
        locked.ai_confidence = ai.confidence
        locked.ai_evidence = list(ai.evidence)
        locked.diff_state = Change.DiffState.DONE
        locked.diff_sha = head
        locked.diff_error = "\n".join(parsed.notes)
        _apply_policy(locked, tuple(f.path for f in parsed.files))
        locked.save()
        if locked.state == Change.State.OPEN and locked.review_state == Change.ReviewState.NEEDS_SIGN_OFF:
            change_assign(change=locked)
    return locked


def _apply_policy(change: Change, paths: tuple[str, ...]) -> None:
    facts = policy.ChangeFacts(
        author_level=change.author.level if change.author else None,
        ai_assisted=change.ai_assisted,
        paths=paths,
        lines_changed=change.lines_changed,
        sensitive_globs=tuple(change.repository.sensitive_paths or ()),
    )
    decision = policy.decide(
        facts,
        policy.PolicyConfig(
            senior_level=settings.PORTAL_SENIOR_LEVEL, size_limit_lines=settings.PORTAL_SIZE_LIMIT_LINES
        ),
    )
    scored = risk.score_risk(
        risk.RiskFacts(
            lines_added=change.lines_added,
            lines_removed=change.lines_removed,
            paths=paths,
            sensitive_count=len(decision.sensitive_paths),
            ai_assisted=change.ai_assisted,
        )
    )
    change.required_sign_offs = decision.required_sign_offs
    change.requires_owner = decision.requires_owner
    change.requires_attestation = decision.requires_attestation
    change.policy_reasons = list(decision.reasons)
    change.risk_score = scored.score
    change.risk_reasons = [[weight, text] for weight, text in scored.reasons]
    change.review_minutes = risk.estimate_review_minutes(change.lines_changed, len(paths), scored.score)
    change.review_state = _review_state(change)


def _review_state(change: Change) -> str:
    if change.required_sign_offs == 0:
        return Change.ReviewState.NOT_REQUIRED
    latest = {}
    for review in change.reviews.filter(head_sha=change.head_sha).order_by("created_at"):
        if review.verdict != Review.Verdict.COMMENT:
            latest[review.reviewer_id] = review.verdict
    if Review.Verdict.REQUEST_CHANGES in latest.values():
        return Change.ReviewState.CHANGES_REQUESTED
    if sum(1 for v in latest.values() if v == Review.Verdict.APPROVE) >= change.required_sign_offs:
        return Change.ReviewState.APPROVED
    if change.state == Change.State.OPEN and change.requires_attestation and not _is_attested(change):
        return Change.ReviewState.AWAITING_ATTESTATION
    return Change.ReviewState.NEEDS_SIGN_OFF


def _is_attested(change: Change) -> bool:
    return change.attestations.filter(head_sha=change.head_sha).exists()


def _owner_ids(change: Change) -> set[int]:
    """Seniors of the teams whose services cover the change's sensitive files."""
    paths = list(change.files.values_list("path", flat=True))
    sensitive = policy.sensitive_matches(paths, change.repository.sensitive_paths or [])
    team_ids = set()
    for service in change.repository.services.all():
        if service.team_id and any(p.startswith(tuple(service.path_prefixes or ())) for p in sensitive):
            team_ids.add(service.team_id)
    return set(Engineer.objects.filter(team_id__in=team_ids).values_list("pk", flat=True))


def change_assign(*, change: Change) -> Assignment | None:
    """Assign the eligible senior with the least open load; the caller holds the change's row lock."""
    if change.assignments.filter(state=Assignment.State.ACTIVE).exists():
        return None
    declined = set(change.assignments.filter(state=Assignment.State.HANDED_BACK).values_list("reviewer_id", flat=True))
    owners = _owner_ids(change) if change.requires_owner else set()
    # With no owner on record for the sensitive paths, any senior may sign off; the reason says so.
    owner_required = change.requires_owner and bool(owners)
    seniors = Engineer.objects.filter(level__gte=settings.PORTAL_SENIOR_LEVEL).annotate(
        open_minutes=Sum("assignments__estimated_minutes", filter=Q(assignments__state=Assignment.State.ACTIVE))
    )
    candidates = [
        Candidate(
            engineer_id=s.pk,
            name=s.display_name,
            level=s.level,
            is_away=s.is_away,
            open_minutes=s.open_minutes or 0,
            capacity_minutes=s.weekly_capacity_minutes,
            owns_paths=s.pk in owners,
        )
        for s in seniors
    ]
    pick = pick_reviewer(
        candidates,
        author_id=change.author_id,
        exclude_ids=frozenset(declined),
        senior_level=settings.PORTAL_SENIOR_LEVEL,
        owner_required=owner_required,
    )
    if pick is None:
        log.warning("no eligible senior for change %s", change.pk)
        return None
    reasons = list(pick.reasons)
    if change.requires_owner and not owners:
        reasons.append("no owner is recorded for the sensitive paths: any senior may sign off")
    assignment = Assignment.objects.create(
        change=change,
        reviewer_id=pick.engineer_id,
        reason=reasons[0][:500],
        reasons=reasons,
        estimated_minutes=change.review_minutes,
    )
    audit_record(
        actor=None,
        action="change.assigned",
        target=change,
        payload={"reviewer_id": pick.engineer_id, "reasons": reasons},
    )
    return assignment
