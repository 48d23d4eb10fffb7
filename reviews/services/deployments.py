"""Deployments of services and the changes they carry."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from reviews.models import Change, Deployment, Service


def deployment_record(
    *, service: Service, environment: str, sha: str, deployed_at: datetime, changes: list[Change]
) -> Deployment:
    """Record a deployment of a service carrying changes; idempotent per service, environment and SHA."""
    with transaction.atomic():
        deployment, created = Deployment.objects.get_or_create(
            service=service, environment=environment, sha=sha, defaults={"deployed_at": deployed_at}
        )
        if created:
            deployment.changes.set(changes)
            Change.objects.filter(pk__in=[c.pk for c in changes], deployed_at__isnull=True).update(
                deployed_at=deployed_at
            )
    return deployment
