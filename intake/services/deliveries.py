"""Webhook deliveries from git hosts: stored first, applied in the same transaction, git work queued."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.hostevents import HostChange, HostEvent, PayloadError, parse_github, parse_gitlab
from intake.services.repositories import change_new_revision, enqueue_diffs
from intake.signals import host_review_received
from portal.enqueue import enqueue
from reviews.audit import ServiceError, audit_record
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
    *, provider: str, delivery_id: str, event: str, payload: dict, parsed: HostEvent
) -> tuple[Delivery, bool]:
    """Store a delivery once (deduplicated on its id) and apply it; returns (delivery, is_new)."""
    repository = (
        Repository.objects.filter(name=parsed.repository, provider=provider).first() if parsed.repository else None
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
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
        _apply(delivery, parsed, repository)
    return delivery, True


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
    if repository is None:
        return _finish(delivery, Delivery.Status.IGNORED, f"repository {parsed.repository!r} is not registered")
    if parsed.kind == "ignored":
        return _finish(delivery, Delivery.Status.IGNORED, parsed.note)
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


def change_apply_host(*, repository: Repository, provider: str, host: HostChange, action: str) -> Change:
    """Create or update the change for a pull/merge request; a new head is a new revision."""
    prefix = "pr" if provider == Delivery.Provider.GITHUB else "mr"
    external_id = f"{prefix}:{host.number}"
    now = timezone.now()
    change = Change.objects.select_for_update().filter(repository=repository, external_id=external_id).first()
    if change is None:
        author = _engineer_for_login(provider, host.author_login)
        change = Change.objects.create(
            repository=repository,
            external_id=external_id,
            number=host.number,
            title=host.title or f"#{host.number}",
            description=host.body,
            author=author,
            author_name=host.author_login,
            author_email=author.email if author else "",
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
        audit_record(actor=None, action="change.received", target=change, payload={"action": action})
        enqueue_diffs([change.pk])
        _enqueue_metadata(change)
        _drop_duplicate_commit_change(change)
        return change
    stale = bool(change.host_updated_at and host.updated_at and host.updated_at < change.host_updated_at)
    if stale:
        return change  # an older event delivered late: what we hold is newer
    if change.author is None and host.author_login:
        change.author = _engineer_for_login(provider, host.author_login)
    change.title = host.title or change.title
    change.description = host.body
    change.is_draft = host.draft
    if sorted(change.labels or []) != sorted(host.labels):
        change.labels = list(host.labels)
        change.diff_state = Change.DiffState.PENDING  # labels feed AI detection: evaluate again
        change.diff_sha = ""
    change.target_branch = host.base_ref
    change.state = host.state
    change.merged_at = (host.merged_at or change.merged_at or now) if host.state == Change.State.MERGED else None
    change.merge_sha = host.merge_sha or change.merge_sha
    change.host_updated_at = host.updated_at or change.host_updated_at
    change.save()
    if host.head_sha != change.head_sha and host.new_commits and host.state == Change.State.OPEN:
        change_new_revision(change=change, head_sha=host.head_sha, base_sha=host.base_sha or change.base_sha)
    elif change.diff_state == Change.DiffState.PENDING:
        enqueue_diffs([change.pk])
    _drop_duplicate_commit_change(change)
    return change


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
    reviewer = _engineer_for_login(provider, parsed.reviewer_login)
    if reviewer is None:
        return Delivery.Status.IGNORED, f"reviewer {parsed.reviewer_login!r} is not a known engineer"
    # The revision the reviewer saw (GitHub's review.commit_id), else the head the event carries.
    if parsed.change and (parsed.review_sha or parsed.change.head_sha) != change.head_sha:
        return Delivery.Status.IGNORED, "review of an older revision"
    # The host's submission time, so a delivery retried hours later keeps the real review time;
    # never in the future (a skewed or forged clock cannot place a sign-off ahead of now).
    now = timezone.now()
    at = min(parsed.reviewed_at, now) if parsed.reviewed_at else now
    if not host_review_received.has_listeners():
        return Delivery.Status.IGNORED, "no app records reviews"
    try:
        # The reviews app records the verdict (receiver connected at start-up; intake does not import it).
        host_review_received.send(
            sender=Delivery, change=change, reviewer=reviewer, verdict=VERDICTS[parsed.review_state], at=at
        )
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
        labels_changed = sorted(change.labels or []) != sorted(meta.labels)
        change.title = meta.title or change.title
        change.description = meta.body
        change.is_draft = meta.draft
        change.labels = list(meta.labels)
        if change.author_id is None and meta.author_login:
            change.author = _engineer_for_login(repository.provider, meta.author_login)
        if labels_changed:
            change.diff_state = Change.DiffState.PENDING  # labels feed AI detection: evaluate again
            change.diff_sha = ""
        change.save()
        if labels_changed:
            enqueue_diffs([change.pk])
    return change
