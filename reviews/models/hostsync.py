"""Writing back to the git host: connections per repository, GitHub App installations, the outbox per change."""

from __future__ import annotations

from django.db import models

from reviews.models.changes import Change
from reviews.models.org import Repository


class HostInstallation(models.Model):
    """A GitHub App installation, as the `installation` and `installation_repositories` deliveries describe it."""

    installation_id = models.PositiveBigIntegerField(unique=True)
    account = models.CharField(max_length=200, blank=True)
    repository_names = models.JSONField(default=list, blank=True, help_text="full_name of every repository granted.")
    suspended = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"installation {self.installation_id} ({self.account})"


class HostConnection(models.Model):
    """How the portal writes to one repository's host (app installation or token) and how the last writes went."""

    repository = models.OneToOneField(Repository, on_delete=models.CASCADE, related_name="host_connection")
    installation_id = models.PositiveBigIntegerField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True, help_text="Installation removed: no writes.")
    disconnected_reason = models.CharField(max_length=500, blank=True)
    last_write_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    rate_limit_remaining = models.IntegerField(null=True, blank=True)
    rate_limit_reset_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True, help_text="Rate limited: no writes before this.")
    writes = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"host connection of {self.repository_id}"

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None


class HostSyncState(models.Model):
    """The outbox row of one change: marked in the transaction that changes what it needs, sent by a worker.

    `generation` grows with every mark; the worker computes the desired state from the records as they are, sends
    it and records the generation it sent. A row whose `generation` is ahead of `sent_generation` is dirty; marks
    made while a write is in flight coalesce into one further write, and a superseded state is never sent.
    """

    change = models.OneToOneField(Change, on_delete=models.CASCADE, primary_key=True, related_name="host_sync")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="host_syncs")
    generation = models.PositiveBigIntegerField(default=1)
    sent_generation = models.PositiveBigIntegerField(default=0)
    marked_at = models.DateTimeField(help_text="When the state last changed (start of the time to converge).")
    reason = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A worker is writing until then.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Back-off: not before this.")
    attempts = models.PositiveIntegerField(default=0)
    # What the host was last told (and when); the fingerprint decides whether a new write is needed at all.
    head_sha = models.CharField(max_length=40, blank=True)
    sent_state = models.CharField(max_length=20, blank=True, help_text="pending, success, failure, neutral.")
    sent_title = models.CharField(max_length=300, blank=True)
    sent_fingerprint = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    check_run_id = models.PositiveBigIntegerField(null=True, blank=True)
    check_run_sha = models.CharField(max_length=40, blank=True)
    annotations_fingerprint = models.CharField(max_length=64, blank=True, help_text="Annotations on check_run_id.")
    comment_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The summary comment or note.")
    comment_fingerprint = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="hostsync_next_attempt")]

    def __str__(self) -> str:
        return f"host state of change {self.change_id} (gen {self.generation}, sent {self.sent_generation})"

    @property
    def is_dirty(self) -> bool:
        return self.generation > self.sent_generation
