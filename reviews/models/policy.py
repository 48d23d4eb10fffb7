"""Policy versions, gate results and overrides, fitted risk models."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from reviews.models.changes import Change
from reviews.models.org import Engineer


class PolicyVersion(models.Model):
    """One version of the sign-off policy as data; the newest is in force."""

    number = models.PositiveIntegerField(unique=True)
    data = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=300, default="portal", help_text="portal, default, or repo@sha:path")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"policy v{self.number}"


class PolicyDraft(models.Model):
    """An admin's unpublished edit of the policy: whole policy data, validated on every save, published once."""

    data = models.JSONField()
    based_on = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts", help_text="Edited from."
    )
    published_as = models.OneToOneField(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="from_draft"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["-updated_at"], name="policydraft_updated_idx")]

    def __str__(self) -> str:
        return f"policy draft {self.pk}"

    @property
    def is_published(self) -> bool:
        return self.published_as_id is not None


class GateResult(models.Model):
    """The outcome of one automated gate on one revision."""

    class Status(models.TextChoices):
        PASS = "pass", "Pass"
        WARN = "warn", "Warning"
        FAIL = "fail", "Fail"

    class Source(models.TextChoices):
        BUILTIN = "builtin", "Countersign"
        PLUGIN = "plugin", "Organisation check"
        CI = "ci", "CI"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="gate_results")
    head_sha = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=4, choices=Status.choices)
    message = models.CharField(max_length=1000)
    details = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUILTIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["change", "head_sha", "name"], name="gateresult_unique_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"


class GateOverride(models.Model):
    """A senior's written decision to let a failed gate pass on one revision."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="gate_overrides")
    head_sha = models.CharField(max_length=40)
    gate_name = models.CharField(max_length=100)
    senior = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="gate_overrides")
    reason = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "head_sha", "gate_name"], name="gateoverride_once_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_name} overridden by {self.senior}"


class RiskModel(models.Model):
    """Weights of the risk score; the newest is used. Fitted from history or the defaults."""

    weights = models.JSONField()
    intercept = models.FloatField()
    auc = models.FloatField(null=True, blank=True, help_text="ROC AUC on the held-out later part of history.")
    trained_on = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"risk model {self.pk} (AUC {self.auc})"
