"""The hash-chained audit ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """An entry of the append-only, hash-chained audit ledger."""

    created_at = models.DateTimeField()
    # Which rules hashed this row (reviews.ledger.chain.canonical_entry); rows are never rehashed.
    version = models.PositiveSmallIntegerField(default=2)
    # No database constraint and nothing done on delete: removing a user must not touch a ledger row
    # (PostgreSQL refuses it anyway). actor_id then names a user who is gone; actor_label keeps the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="The actor's username when it acted.")
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"


class LedgerHead(models.Model):
    """The single row that serialises appends to the audit ledger."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash[:12]


class LedgerAlert(models.Model):
    """A problem a verification found in the ledger, shown to admins until one of them resolves it."""

    # The same problem found again updates last_seen_at instead of raising a second alert.
    key = models.CharField(max_length=200, unique=True)
    entry_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], name="ledger_alert_open_idx", condition=models.Q(resolved_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{'open' if self.resolved_at is None else 'resolved'}: {self.message[:60]}"
