"""Schema of incidents and their links to the changes that may have caused them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models import Change, Service


class Incident(models.Model):
    """An outage or degradation of one or more services."""

    class Severity(models.TextChoices):
        SEV1 = "SEV1", "SEV1 (critical)"
        SEV2 = "SEV2", "SEV2 (major)"
        SEV3 = "SEV3", "SEV3 (minor)"
        SEV4 = "SEV4", "SEV4 (low)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    services = models.ManyToManyField(Service, related_name="incidents", blank=True)
    summary = models.TextField(blank=True, max_length=20000)
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], name="incident_started_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(detected_at__isnull=True) | Q(detected_at__gte=models.F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"


class IncidentChangeLink(models.Model):
    """A change suspected of, confirmed as, or ruled out as causing an incident."""

    class State(models.TextChoices):
        SUSPECTED = "suspected", "Suspected"
        CONFIRMED = "confirmed", "Confirmed"
        RULED_OUT = "ruled_out", "Ruled out"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="incident_links")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUSPECTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "change"], name="incident_link_unique_change")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.change_id} ({self.state})"
