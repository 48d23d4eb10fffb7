"""Every write of the reviews app: intake, diffs, policy, assignment, attestation, sign-off, audit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reviews import policy, risk
from reviews.ai_detection import detect_ai
from reviews.assignment import Candidate, pick_reviewer
from reviews.diffparse import parse_diff
from reviews.gitrepo import GitConfig, GitError, Mirror, check_url, is_safe_ref
from reviews.ledger import GENESIS_HASH, entry_hash
from reviews.models import (
    Assignment,
    Attestation,
    AuditEvent,
    Change,
    ChangeFile,
    Deployment,
    Engineer,
    LedgerHead,
    Repository,
    Review,
    Service,
)

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the portal refuses, with a message fit for the person who made it."""


class NotAllowed(ServiceError):
    """The actor may not do this."""


# --- audit ledger -----------------------------------------------------------


def audit_record(*, actor: Any, action: str, target: Any, payload: dict[str, Any]) -> AuditEvent:
    """Append one entry to the hash-chained ledger; must run inside the caller's transaction."""
    head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    created_at = timezone.now()
    entry = {
        "created_at": created_at.isoformat(),
        "actor_id": getattr(actor, "pk", None),
        "action": action,
        "target_type": target._meta.label_lower,
        "target_id": str(target.pk),
        "payload": payload,
    }
    digest = entry_hash(head.last_hash, entry)
    event = AuditEvent.objects.create(
        created_at=created_at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=entry["target_type"],
        target_id=entry["target_id"],
        payload=payload,
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    return event


# --- repositories and intake ------------------------------------------------


def git_config() -> GitConfig:
    """The git limits configured for this portal."""
    return GitConfig(
        timeout_seconds=settings.PORTAL_GIT_TIMEOUT_SECONDS,
        max_output_bytes=settings.PORTAL_GIT_MAX_OUTPUT_BYTES,
        allowed_protocols=tuple(settings.PORTAL_GIT_ALLOWED_PROTOCOLS),
    )


def repository_mirror(repository: Repository) -> Mirror:
    """The bare mirror the portal keeps for a repository (named by id, never by a user's text)."""
    return Mirror(Path(settings.DATA_DIR) / "mirrors" / f"{repository.pk}.git", git_config())


def repository_register(*, name: str, url: str, provider: str = "git", default_branch: str = "main") -> Repository:
    """Register a repository by name, or update its location; idempotent."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ServiceError("a repository needs a name of 1 to 200 characters")
    if not is_safe_ref(default_branch):
        raise ServiceError(f"{default_branch!r} is not a valid branch name")
    if provider not in Repository.Provider.values:
        raise ServiceError(f"unknown provider {provider!r}")
    if "://" not in url and "::" not in url and not url.startswith("-"):
        url = str(Path(url).expanduser().resolve())
    try:
        check_url(url, settings.PORTAL_GIT_ALLOWED_PROTOCOLS)
    except GitError as exc:
        raise ServiceError(str(exc)) from None
    repository, created = Repository.objects.get_or_create(
        name=name, defaults={"clone_url": url, "provider": provider, "default_branch": default_branch}
    )
    if not created and (repository.clone_url, repository.default_branch) != (url, default_branch):
        repository.clone_url = url
        repository.default_branch = default_branch
        repository.save(update_fields=["clone_url", "default_branch"])
    return repository


@dataclass(frozen=True)
class ImportResult:
    """What one import of a repository's history added."""

    merged_created: int
    open_created: int
    open_updated: int


def _first_line(message: str) -> str:
    return (message.strip().splitlines() or ["(no message)"])[0][:500]


def _parse_time(value: str) -> datetime:
    parsed = parse_datetime(value)
    return parsed if parsed is not None else timezone.now()


def repository_import(*, repository: Repository) -> ImportResult:
    """Fetch the repository into its mirror and record its history and open branches as changes."""
    mirror = repository_mirror(repository)
    mirror.fetch(repository.clone_url)
    default_sha = mirror.resolve(repository.default_branch)
    engineers = {e.email.lower(): e for e in Engineer.objects.all()}
    existing = dict(Change.objects.filter(repository=repository).values_list("external_id", "head_sha"))

    new_changes: list[Change] = []
    for commit in mirror.log(default_sha, first_parent=True):
        if commit["sha"] in existing:
            continue
        merged_at = _parse_time(commit["committed_at"])
        new_changes.append(
            Change(
                repository=repository,
                external_id=commit["sha"],
                title=_first_line(commit["message"]),
                description=commit["message"][:20000],
                author=engineers.get(commit["author_email"].lower()),
                author_name=commit["author_name"][:200],
                author_email=commit["author_email"][:320],
                base_sha=(commit["parents"] or [""])[0],
                head_sha=commit["sha"],
                state=Change.State.MERGED,
                opened_at=_parse_time(commit["authored_at"]),
                merged_at=merged_at,
            )
        )
    merged_created = len(new_changes)

    open_created = open_updated = 0
    for branch, tip in sorted(mirror.branches().items()):
        if branch == repository.default_branch or mirror.is_ancestor(tip, default_sha):
            continue
        external_id = f"branch:{branch}"
        base = mirror.merge_base(default_sha, tip) or ""
        if external_id in existing:
            if existing[external_id] != tip:
                change_new_revision(
                    change=Change.objects.get(repository=repository, external_id=external_id),
                    head_sha=tip,
                    base_sha=base,
                )
                open_updated += 1
            continue
        commits = mirror.log(tip, exclude=base or None)
        first = commits[0] if commits else {"message": branch, "author_email": "", "author_name": "", "authored_at": ""}
        new_changes.append(
            Change(
                repository=repository,
                external_id=external_id,
                title=_first_line(first["message"]),
                description="\n\n".join(c["message"] for c in commits)[:20000],
                author=engineers.get(first["author_email"].lower()),
                author_name=first["author_name"][:200],
                author_email=first["author_email"][:320],
                source_branch=branch,
                base_sha=base,
                head_sha=tip,
                state=Change.State.OPEN,
                opened_at=_parse_time(first["authored_at"]),
            )
        )
        open_created += 1

    with transaction.atomic():
        Change.objects.bulk_create(new_changes, batch_size=500, ignore_conflicts=True)
        repository.last_fetched_at = timezone.now()
        repository.save(update_fields=["last_fetched_at"])
        created_ids = list(
            Change.objects.filter(
                repository=repository, external_id__in=[c.external_id for c in new_changes]
            ).values_list("pk", flat=True)
        )
        _enqueue_diffs(created_ids)
    return ImportResult(merged_created=merged_created, open_created=open_created, open_updated=open_updated)


def _enqueue_diffs(change_ids: list[int]) -> None:
    from reviews.tasks import change_pull_diff

    for change_id in change_ids:
        change_pull_diff.delay_on_commit(change_id)


def change_new_revision(*, change: Change, head_sha: str, base_sha: str) -> Change:
    """Record a new head of an open change: its diff is pulled again and old sign-offs stop counting."""
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        if change.head_sha == head_sha:
            return change
        previous = change.head_sha
        change.head_sha = head_sha
        change.base_sha = base_sha
        change.diff_state = Change.DiffState.PENDING
        change.review_state = Change.ReviewState.PENDING_POLICY
        change.save(update_fields=["head_sha", "base_sha", "diff_state", "review_state", "updated_at"])
        audit_record(
            actor=None, action="change.new_revision", target=change, payload={"from": previous, "to": head_sha}
        )
        _enqueue_diffs([change.pk])
    return change


# --- diff, policy, risk -----------------------------------------------------


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


# --- assignment -------------------------------------------------------------


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


# --- attestation and sign-off -----------------------------------------------


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
                change.review_state = _review_state(change)
                change.save(update_fields=["review_state", "updated_at"])
                if change.review_state == Change.ReviewState.NEEDS_SIGN_OFF:
                    change_assign(change=change)
    return attestation


def can_sign_off(engineer: Engineer | None, change: Change) -> bool:
    """Whether this engineer may record a verdict on this change."""
    return (
        engineer is not None
        and engineer.is_senior
        and change.author_id != engineer.pk
        and change.state == Change.State.OPEN
    )


def review_submit(
    *,
    change: Change,
    reviewer: Engineer,
    verdict: str,
    head_sha: str,
    seconds_spent: int,
    comment: str = "",
) -> Review:
    """Record a verdict on the revision the reviewer saw, in the ledger, and update the change."""
    if verdict not in Review.Verdict.values:
        raise ServiceError(f"unknown verdict {verdict!r}")
    with transaction.atomic():
        change = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if not can_sign_off(reviewer, change):
            if change.author_id == reviewer.pk:
                raise NotAllowed("nobody signs off their own change")
            if not reviewer.is_senior:
                raise NotAllowed("only senior engineers (L6 and up) can sign off")
            raise NotAllowed("this change is not open for review")
        if head_sha != change.head_sha:
            raise ServiceError(
                f"the change has a newer revision ({change.head_sha[:10]}); review that revision before signing off"
            )
        review = _record_review(
            change=change,
            reviewer=reviewer,
            verdict=verdict,
            head_sha=head_sha,
            seconds_spent=seconds_spent,
            comment=comment,
            at=timezone.now(),
        )
    return review


def _record_review(
    *, change: Change, reviewer: Engineer, verdict: str, head_sha: str, seconds_spent: int, comment: str, at: datetime
) -> Review:
    """Write a verdict and its ledger entry, close the reviewer's assignment, update the change."""
    review = Review.objects.create(
        change=change,
        reviewer=reviewer,
        verdict=verdict,
        head_sha=head_sha,
        seconds_spent=max(0, int(seconds_spent)),
        comment=comment[:20000],
        created_at=at,
    )
    event = audit_record(
        actor=reviewer.user,
        action=f"review.{verdict}",
        target=change,
        payload={"review_id": review.pk, "sha": head_sha, "seconds_spent": review.seconds_spent, "at": at.isoformat()},
    )
    review.ledger_hash = event.hash
    review.save(update_fields=["ledger_hash"])
    if verdict != Review.Verdict.COMMENT:
        change.assignments.filter(reviewer=reviewer, state=Assignment.State.ACTIVE).update(
            state=Assignment.State.DONE, completed_at=at
        )
    change.review_state = _review_state(change)
    change.save(update_fields=["review_state", "updated_at"])
    return review


def review_import(*, change: Change, reviewer: Engineer, verdict: str, seconds_spent: int, at: datetime) -> Review:
    """Record a verdict given before the change reached the portal (host review events, history)."""
    if verdict not in Review.Verdict.values:
        raise ServiceError(f"unknown verdict {verdict!r}")
    if reviewer.pk == change.author_id:
        raise NotAllowed("nobody signs off their own change")
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        return _record_review(
            change=change,
            reviewer=reviewer,
            verdict=verdict,
            head_sha=change.head_sha,
            seconds_spent=seconds_spent,
            comment="",
            at=at,
        )


def deployment_record(
    *, service: Service, environment: str, sha: str, deployed_at: datetime, changes: list[Change]
) -> Deployment:
    """Record a deployment of a service carrying changes; idempotent per service, environment and SHA."""
    with transaction.atomic():
        deployment, created = Deployment.objects.get_or_create(
            service=service, environment=environment, sha=sha, defaults={"deployed_at": deployed_at}
        )
        if created:
            deployment.changes.set(changes)
            Change.objects.filter(pk__in=[c.pk for c in changes], deployed_at__isnull=True).update(
                deployed_at=deployed_at
            )
    return deployment
