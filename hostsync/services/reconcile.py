"""Drift repair and resync: compare what the host shows with what Countersign last sent, and mark what differs."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from hostsync.connection import APP, Disconnected, writer_for
from hostsync.desired import CHECK_NAME, GITHUB_STATUS, GITLAB_STATE, STATUS_CONTEXT
from intake.hostapi import GitHubClient, HostApiError
from reviews.audit import audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, HostConnection, HostSyncState, Repository

log = logging.getLogger(__name__)
WRITABLE = (Repository.Provider.GITHUB, Repository.Provider.GITLAB)


def repository_resync(*, repository: Repository, actor: object) -> int:
    """An admin's resync: reconnect, forget any pause, and write every open change's state again."""
    with transaction.atomic():
        HostConnection.objects.get_or_create(repository=repository)
        HostConnection.objects.filter(repository=repository).update(
            disconnected_at=None, disconnected_reason="", paused_until=None
        )
        # Forgetting the fingerprints makes the worker write even what it believes the host already shows.
        HostSyncState.objects.filter(repository=repository).update(sent_fingerprint="", comment_fingerprint="")
        count = sum(
            host_sync_mark(change_id=pk, reason="resync")
            for pk in _open_changes(repository).values_list("pk", flat=True)
        )
        audit_record(actor=actor, action="host.resync", target=repository, payload={"changes": count})
    return count


def _open_changes(repository: Repository):
    return Change.objects.filter(repository=repository, state=Change.State.OPEN, number__isnull=False)


def host_shows(row: HostSyncState, repository: Repository, connection: HostConnection) -> str | None:
    """The state the host shows for the row's head commit in Countersign's terms, or None when it shows nothing."""
    writer = writer_for(repository, connection)
    if writer is None:
        return row.sent_state or None
    client = writer.client
    if isinstance(client, GitHubClient) and writer.kind == APP:
        runs = client.check_runs_for_ref(repository.name, row.head_sha, CHECK_NAME)
        latest = next((r for r in runs if r.get("id") == row.check_run_id), None)
        if latest is None:
            return None
        return "pending" if latest.get("status") != "completed" else str(latest.get("conclusion"))
    statuses = client.statuses_for_ref(repository.name, row.head_sha)
    key = "context" if isinstance(client, GitHubClient) else "name"
    mine = next((s for s in statuses if s.get(key) == STATUS_CONTEXT), None)
    if mine is None:
        return None
    table = GITHUB_STATUS if isinstance(client, GitHubClient) else GITLAB_STATE
    state = mine.get("state") if isinstance(client, GitHubClient) else mine.get("status")
    return row.sent_state if state == table.get(row.sent_state) else f"other:{state}"


def reconcile(*, limit: int = 500) -> dict[str, int]:
    """Repair drift on open changes: a deleted or changed status or check, a write that never happened."""
    counts = {"checked": 0, "drift": 0, "missing": 0, "errors": 0}
    for repository in Repository.objects.filter(provider__in=WRITABLE):
        connection, _ = HostConnection.objects.get_or_create(repository=repository)
        if connection.disconnected_at is not None:
            continue
        # A change with no outbox row never had a write marked (it predates the outbox, or a mark was missed).
        for pk in _open_changes(repository).filter(host_sync__isnull=True).values_list("pk", flat=True)[:limit]:
            with transaction.atomic():
                counts["missing"] += host_sync_mark(change_id=pk, reason="reconcile: never written")
        rows = HostSyncState.objects.filter(
            repository=repository, change__state=Change.State.OPEN, sent_at__isnull=False
        ).exclude(sent_state="")
        for row in rows[:limit]:
            if row.is_dirty:
                continue
            counts["checked"] += 1
            try:
                shown = host_shows(row, repository, connection)
            except (HostApiError, Disconnected) as exc:
                counts["errors"] += 1
                log.warning("reconciling %s failed: %s", repository.name, exc)
                break
            if shown != row.sent_state:
                counts["drift"] += 1
                with transaction.atomic():
                    HostSyncState.objects.filter(pk=row.pk).update(
                        sent_fingerprint="", check_run_id=None if shown is None else row.check_run_id
                    )
                    host_sync_mark(change_id=row.change_id, reason=f"reconcile: host shows {shown or 'nothing'}")
    HostConnection.objects.filter(paused_until__lt=timezone.now()).update(paused_until=None)
    return counts
