"""The operations app: connects the review latency metric when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Health, metrics, logging context and backups; no models of its own."""

    name = "portal.ops"
    label = "ops"

    def ready(self) -> None:
        """Observe every new verdict's latency (the receiver only records a metric)."""
        from django.db.models.signals import post_save

        from portal.ops.reviewmetrics import observe_review
        from reviews.models import Review

        post_save.connect(observe_review, sender=Review, dispatch_uid="ops-review-latency")
