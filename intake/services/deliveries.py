"""Webhook deliveries from git hosts: stored and committed first, then applied in a second transaction."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from intake.ai_detection import is_ai_reviewer
from intake.hostevents import HostChange, HostEvent, PayloadError, parse_github, parse_gitlab
from intake.selectors import ai_vocabulary
from intake.services.aiaccounts import ai_finding_record, change_fill_opener
from intake.services.installations import installation_apply, installation_learn
from intake.services.repositories import change_new_revision, enqueue_diffs
from intake.signals import host_review_dismissed, host_review_received
from notifications.services.turns import turn_closed
from portal.enqueue import enqueue
from reviews.audit import AlreadyRecorded, ServiceError, audit_record
from reviews.models import Change, Delivery, Engineer, Repository, Review, Service

log = logging.getLogger(__name__)

PARSERS = {Delivery.Provider.GITHUB: parse_github, Delivery.Provider.GITLAB: parse_gitlab}
VERDICTS = {
    "approved": Review.Verdict.APPROVE,
    "changes_requested": Review.Verdict.REQUEST_CHANGES,
    "commented": Review.Verdict.COMMENT,
}


def parse_delivery(provider: str, event: str, payload: Any) -> HostEvent:
    """Parse a stored or incoming payload for its provider."""
    return PARSERS[provider](event, payload)


def delivery_receive(
    *, provider: str, delivery_id: str, event: str, payload: dict, parsed: HostEvent, repository: Repository | None
) -> tuple[Delivery, bool]:
    """Store a delivery once (deduplicated on its id), then queue it or apply it here; returns (delivery, is_new)."""
    queued = settings.PORTAL_DELIVERY_APPLY == "queue" and parsed.kind != "ping"
    # Committed first: whatever fails later is on record. Alone, no BEGIN/COMMIT; in a transaction, a savepoint.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            delivery = Delivery.objects.create(
                provider=provider,
                delivery_id=delivery_id[:200],
                event=event[:100],
                action=parsed.action[:100],
                repository=repository,
                repository_name=parsed.repository[:300],
                payload=payload,
            )
    except IntegrityError:
        return Delivery.objects.get(provider=provider, delivery_id=delivery_id[:200]), False
    if queued:
        enqueue("reviews.delivery_apply", delivery.pk)  # after commit; the sweeper resends it if the broker is down
        return delivery, True
    return delivery_apply(delivery_id=delivery.pk, parsed=parsed) or delivery, True


def delivery_apply(*, delivery_id: int, parsed: HostEvent | None = None) -> Delivery | None:
    """Apply a stored delivery still in status received; an unexpected error leaves it received for the sweeper."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status != Delivery.Status.RECEIVED:
                return delivery  # applied meanwhile by another request or worker
            if delivery.provider not in PARSERS:
                return delivery
            if parsed is None:
                try:
                    parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
                except PayloadError as exc:
                    _finish(delivery, Delivery.Status.FAILED, str(exc))
                    return delivery
            repository = delivery.repository or (
                Repository.objects.filter(name=delivery.repository_name, provider=delivery.provider).first()
                if delivery.repository_name
                else None
            )
            delivery.repository = repository
            _apply(delivery, parsed, repository)
            return delivery
    except Exception as exc:  # noqa: BLE001 - any failure: the stored delivery is retried, the host gets its 2xx
        attempts = (Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0) + 1
        parked = attempts >= settings.PORTAL_DELIVERY_MAX_ATTEMPTS  # failed for good, for an admin to redeliver
        status = Delivery.Status.FAILED if parked else Delivery.Status.RECEIVED
        log.exception("applying delivery %s failed (attempt %s), now %s", delivery_id, attempts, status)
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.RECEIVED).update(
            status=status, error=f"{type(exc).__name__}: {exc}"[:5000], attempts=F("attempts") + 1
        )
        return Delivery.objects.filter(pk=delivery_id).first()


def delivery_redeliver(*, delivery: Delivery, actor: Any) -> Delivery:
    """Apply a stored delivery again (every step is idempotent), after fixing what made it fail."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        repository = Repository.objects.filter(name=delivery.repository_name, provider=delivery.provider).first()
        delivery.repository = repository
        try:
            parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
        except PayloadError as exc:
            _finish(delivery, Delivery.Status.FAILED, str(exc))
        else:
            _apply(delivery, parsed, repository)
        audit_record(actor=actor, action="delivery.redelivered", target=delivery, payload={"status": delivery.status})
    return delivery


def _finish(delivery: Delivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.error = error[:5000]
    delivery.attempts += 1
    delivery.processed_at = timezone.now() if status != Delivery.Status.RECEIVED else None
    delivery.save()


def _apply(delivery: Delivery, parsed: HostEvent, repository: Repository | None) -> None:
    if parsed.kind == "ping":
        return _finish(delivery, Delivery.Status.IGNORED, "ping")
    if parsed.kind == "installation":
        return _finish(delivery, Delivery.Status.PROCESSED, installation_apply(parsed=parsed))
    if repository is None:
        return _finish(delivery, Delivery.Status.IGNORED, f"repository {parsed.repository!r} is not registered")
    if parsed.kind == "ignored":
        return _finish(delivery, Delivery.Status.IGNORED, parsed.note)
    if parsed.installation_id is not None and delivery.provider == Delivery.Provider.GITHUB:
        installation_learn(repository=repository, installation_id=parsed.installation_id)
    if parsed.kind == "change":
        change_apply_host(repository=repository, provider=delivery.provider, host=parsed.change, action=parsed.action)
        return _finish(delivery, Delivery.Status.PROCESSED)
    if parsed.kind == "review":
        change = change_apply_host(
            repository=repository, provider=delivery.provider, host=parsed.change, action="review"
        )
        if delivery.status == Delivery.Status.PROCESSED:
            # Redelivered: its verdict is already recorded, and a second copy would outrank any later verdict.
            return _finish(delivery, Delivery.Status.PROCESSED, "review already recorded")
        return _finish(delivery, *_apply_review(change, delivery.provider, parsed))
    if parsed.kind == "push":
        if parsed.ref != repository.default_branch:
            return _finish(delivery, Delivery.Status.IGNORED, f"push to {parsed.ref}, not the default branch")
        enqueue("reviews.repository_poll", repository.pk)
        return _finish(delivery, Delivery.Status.PROCESSED, "fetch of the default branch queued")
    if parsed.kind == "deployment":
        if parsed.deployment_state != "success":
            return _finish(delivery, Delivery.Status.IGNORED, f"deployment {parsed.deployment_state}")
        enqueue("reviews.deployment_from_host", delivery.pk)
        _finish(delivery, Delivery.Status.RECEIVED)
        return None
    return _finish(delivery, Delivery.Status.IGNORED, f"unknown kind {parsed.kind}")


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


def _apply_review(change: Change, provider: str, parsed: HostEvent) -> tuple[str, str]:
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


def deployment_apply(*, delivery: Delivery) -> None:
    """Record a successful deployment from a host event; services from the payload, else the repository's."""
    from intake.services.deployments import deployment_record_for_sha

    parsed = parse_delivery(delivery.provider, delivery.event, delivery.payload)
    repository = delivery.repository
    if repository is None:
        _finish(delivery, Delivery.Status.IGNORED, "repository not registered")
        return
    services = list(Service.objects.filter(repository=repository))
    if parsed.services:
        services = [s for s in services if s.name in parsed.services]
    recorded = deployment_record_for_sha(
        repository=repository,
        services=services,
        environment=parsed.environment or "production",
        sha=parsed.deployment_sha,
        deployed_at=parsed.deployed_at or timezone.now(),
    )
    _finish(delivery, Delivery.Status.PROCESSED, f"{recorded} deployment(s) recorded")


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
