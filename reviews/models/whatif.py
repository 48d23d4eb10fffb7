"""Managers' what-if replays."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models.policy import PolicyVersion


class WhatIfRun(models.Model):
    """A manager's what-if: history replayed under a policy version and a strategy, with its progress and result."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    params = models.JSONField(help_text="What was asked: policy version, strategy, weeks, repository, seniors.")
    params_key = models.CharField(max_length=64, help_text="Hash of the parameters, to reuse a recent run.")
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="whatif_runs"
    )
    proposed_policy = models.JSONField(null=True, blank=True, help_text="A policy not published, replayed instead.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["params_key", "created_at"], name="whatif_params_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="whatif_progress_at_most_100"),
            models.CheckConstraint(
                condition=Q(policy_version__isnull=False) | Q(proposed_policy__isnull=False),
                name="whatif_version_or_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"what-if {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def policy_label(self) -> str:
        """'v3', or 'proposed' for a policy that was not published."""
        return f"v{self.policy_version.number}" if self.policy_version_id else "proposed"

    @property
    def seconds(self) -> float | None:
        """How long the replay ran, once finished."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
