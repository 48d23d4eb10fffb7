"""Changes as the git hosts describe them: a pull/merge request created or updated from an event, a host review
applied, the metadata read back from the host's API."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.ai_detection import is_ai_reviewer
from intake.hostevents import HostChange, HostEvent
from intake.selectors import ai_vocabulary
from intake.services.aiaccounts import ai_finding_record, change_fill_opener
from intake.services.repositories import change_new_revision, enqueue_diffs
from intake.signals import host_review_dismissed, host_review_received
from notifications.services.turns import turn_closed
from portal.enqueue import enqueue
from reviews.audit import AlreadyRecorded, ServiceError, audit_record
from reviews.models import Change, Delivery, Engineer, Repository, Review

VERDICTS = {
    "approved": Review.Verdict.APPROVE,
    "changes_requested": Review.Verdict.REQUEST_CHANGES,
    "commented": Review.Verdict.COMMENT,
}


def _engineer_for_login(provider: str, login: str) -> Engineer | None:
    if not login:
        return None
    field = "github_login" if provider == Delivery.Provider.GITHUB else "gitlab_username"
    return Engineer.objects.filter(**{f"{field}__iexact": login}).select_related("user").first()


def _engineer_for_author(provider: str, login: str, host_id: int | None) -> Engineer | None:
    """The engineer who wrote a pull/merge request: by GitLab user id where the host gives it, else by login."""
    if host_id is not None and provider == Delivery.Provider.GITLAB:
        engineer = Engineer.objects.filter(gitlab_user_id=host_id).select_related("user").first()
        if engineer is not None:
            return engineer
    return _engineer_for_login(provider, login)


def _fill_author(change: Change, provider: str, login: str, host_id: int | None) -> bool:
    """Record the author of a change that has none yet; True when an engineer was found (policy must run again)."""
    if change.author_id is not None:
        return False
    if login and not change.author_name:
        change.author_name = login
    author = _engineer_for_author(provider, login, host_id)
    if author is None:
        return False
    change.author = author
    change.author_email = change.author_email or author.email
    return True


def change_apply_host(*, repository: Repository, provider: str, host: HostChange, action: str) -> Change:
    """Create or update the change for a pull/merge request (safe when deliveries race); a new head is a revision."""
    prefix = "pr" if provider == Delivery.Provider.GITHUB else "mr"
    external_id = f"{prefix}:{host.number}"
    change = Change.objects.select_for_update().filter(repository=repository, external_id=external_id).first()
    if change is None:
        change = _change_create(repository=repository, provider=provider, host=host, external_id=external_id)
        if change is not None:
            audit_record(actor=None, action="change.received", target=change, payload={"action": action})
            enqueue_diffs([change.pk])
            _enqueue_metadata(change)
            _drop_duplicate_commit_change(change)
            return change
        # Another delivery of the same request created it first: wait for its transaction, then update it.
        change = Change.objects.select_for_update().get(repository=repository, external_id=external_id)
    # Every event names the author (GitLab by id): a change whose first events were lost still learns who wrote it.
    named = change.author_name
    author_found = _fill_author(change, provider, host.author_login, host.author_host_id)
    stale = bool(change.host_updated_at and host.updated_at and host.updated_at < change.host_updated_at)
    if stale:
        # An older event delivered late: what we hold is newer, except who wrote it, when only this event says.
        if author_found:
            _reevaluate_later(change)
            enqueue_diffs([change.pk])
        if author_found or change.author_name != named:
            change.save()
        return change
    _apply_newer(change, host, author_found=author_found)
    if change.author_id is None:
        _enqueue_metadata(change)  # the host's API may name the author where no event has
    _drop_duplicate_commit_change(change)
    return change


def _change_create(*, repository: Repository, provider: str, host: HostChange, external_id: str) -> Change | None:
    """Insert the change, or None when a concurrent delivery inserted it first (the savepoint keeps ours usable)."""
    now = timezone.now()
    change = Change(
        repository=repository,
        external_id=external_id,
        number=host.number,
        title=host.title or f"#{host.number}",
        description=host.body,
        source_branch=host.head_ref,
        target_branch=host.base_ref,
        base_sha=host.base_sha,
        head_sha=host.head_sha,
        is_draft=host.draft,
        labels=list(host.labels),
        state=host.state,
        merge_sha=host.merge_sha,
        opened_at=host.opened_at or now,
        merged_at=(host.merged_at or now) if host.state == Change.State.MERGED else None,
        host_updated_at=host.updated_at,
    )
    _fill_author(change, provider, host.author_login, host.author_host_id)
    change_fill_opener(change, host.author_login)
    try:
        with transaction.atomic():
            change.save(force_insert=True)
    except IntegrityError:
        if Change.objects.filter(repository=repository, external_id=external_id).exists():
            return None
        raise
    return change


def _reevaluate_later(change: Change) -> None:
    """The author's level and history feed policy and risk: pull and evaluate the change again."""
    change.diff_state = Change.DiffState.PENDING
    change.diff_sha = ""


def _apply_newer(change: Change, host: HostChange, *, author_found: bool) -> None:
    """Update a change from an event newer than what it holds."""
    now = timezone.now()
    change.title = host.title or change.title
    change.description = host.body
    change.is_draft = host.draft
    if author_found or sorted(change.labels or []) != sorted(host.labels):
        change.labels = list(host.labels)
        _reevaluate_later(change)  # labels feed AI detection, the author's level feeds policy
    change.target_branch = host.base_ref
    change.state = host.state
    change.merged_at = (host.merged_at or change.merged_at or now) if host.state == Change.State.MERGED else None
    change.merge_sha = host.merge_sha or change.merge_sha
    change.host_updated_at = host.updated_at or change.host_updated_at
    if change_fill_opener(change, host.author_login):
        _reevaluate_later(change)  # an agent-opened change has a policy condition of its own
    change.save()
    if change.state != Change.State.OPEN:
        turn_closed(change=change)
    if host.head_sha != change.head_sha and host.new_commits and host.state == Change.State.OPEN:
        change_new_revision(change=change, head_sha=host.head_sha, base_sha=host.base_sha or change.base_sha)
    elif change.diff_state == Change.DiffState.PENDING:
        enqueue_diffs([change.pk])


def _enqueue_metadata(change: Change) -> None:
    if change.repository.api_token:
        enqueue("reviews.change_refresh_metadata", change.pk)


def _drop_duplicate_commit_change(change: Change) -> None:
    """A merge commit polled from the default branch before the merge event is the same change: keep one."""
    if change.merge_sha:
        Change.objects.filter(
            repository=change.repository,
            external_id=change.merge_sha,
            reviews__isnull=True,
            incident_links__isnull=True,
        ).delete()


def review_apply_host(*, change: Change, provider: str, parsed: HostEvent) -> tuple[str, str]:
    """Apply a host review of a change: an AI reviewer's finding, a dismissal, or a verdict; returns (status, note)."""
    now = timezone.now()
    if is_ai_reviewer(parsed.reviewer_login, ai_vocabulary()):
        # Before any engineer lookup: an AI bot's review is a finding even if someone mapped its login to a person.
        at = min(parsed.reviewed_at, now) if parsed.reviewed_at else now
        finding, created = ai_finding_record(change=change, parsed=parsed, at=at)
        if parsed.review_state == "dismissed":
            return Delivery.Status.PROCESSED, "AI reviewer's finding resolved" if finding else "no such AI finding"
        return Delivery.Status.PROCESSED, "AI reviewer: recorded as a finding, never a sign-off" + (
            "" if created else " (already recorded)"
        )
    reviewer = _engineer_for_login(provider, parsed.reviewer_login)
    if parsed.review_state == "dismissed":
        # GitHub names one review; a GitLab unapproval names the approver's approvals, so nothing stands in for it.
        placeholder = reviewer if provider == Delivery.Provider.GITHUB else None
        answers = host_review_dismissed.send(
            sender=Delivery, change=change, host_review_id=parsed.host_review_id, at=now, reviewer=placeholder
        )
        if not answers:
            return Delivery.Status.IGNORED, "no app records reviews"
        return Delivery.Status.PROCESSED, f"{sum(len(dismissed) for _, dismissed in answers)} review(s) dismissed"
    if reviewer is None:
        return Delivery.Status.IGNORED, f"reviewer {parsed.reviewer_login!r} is not a known engineer"
    # The revision the reviewer saw (GitHub's review.commit_id), else the head the event carries.
    if parsed.change and (parsed.review_sha or parsed.change.head_sha) != change.head_sha:
        return Delivery.Status.IGNORED, "review of an older revision"
    # The host's submission time, so a delivery retried hours later keeps the real review time;
    # never in the future (a skewed or forged clock cannot place a sign-off ahead of now).
    at = min(parsed.reviewed_at, now) if parsed.reviewed_at else now
    if not host_review_received.has_listeners():
        return Delivery.Status.IGNORED, "no app records reviews"
    try:
        # The reviews app records the verdict (receiver connected at start-up; intake does not import it).
        host_review_received.send(
            sender=Delivery,
            change=change,
            reviewer=reviewer,
            verdict=VERDICTS[parsed.review_state],
            at=at,
            host_review_id=parsed.host_review_id,
        )
    except AlreadyRecorded:
        # The same review under another delivery id (the host retried, or sent it twice at once).
        return Delivery.Status.PROCESSED, "review already recorded"
    except ServiceError as exc:
        return Delivery.Status.IGNORED, str(exc)
    return Delivery.Status.PROCESSED, ""


def change_refresh_metadata(*, change_id: int) -> Change | None:
    """Read title, body, labels, draft flag and author from the host's API, where a token is configured."""
    from intake.hostapi import client_for

    change = Change.objects.select_related("repository").filter(pk=change_id).first()
    if change is None or change.number is None or not change.repository.api_token:
        return change
    repository = change.repository
    meta = client_for(repository.provider, repository.clone_url, repository.api_token).pull_request(
        repository.name, change.number
    )
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        # Labels feed AI detection and the author's level feeds policy: either one new means evaluate again.
        again = sorted(change.labels or []) != sorted(meta.labels)
        again |= _fill_author(change, repository.provider, meta.author_login, meta.author_host_id)
        change.title = meta.title or change.title
        change.description = meta.body
        change.is_draft = meta.draft
        change.labels = list(meta.labels)
        if again:
            _reevaluate_later(change)
        change.save()
        if again:
            enqueue_diffs([change.pk])
    return change
