"""Deployments of services and the changes they carry."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from intake.mirrors import repository_mirror
from reviews.models import Change, Deployment, Repository, Service


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


def deployment_record_for_sha(
    *, repository: Repository, services: list[Service], environment: str, sha: str, deployed_at: datetime
) -> int:
    """Record that sha went out: each service carries the merged changes reachable from it not yet deployed there."""
    mirror = repository_mirror(repository)
    if not mirror.exists() or not mirror.has_commit(sha):
        mirror.fetch(repository.clone_url)
    reachable = set(mirror.rev_list(sha, max_count=20000))
    candidates = list(
        Change.objects.filter(repository=repository, state=Change.State.MERGED)
        .filter(Q(head_sha__in=reachable) | Q(merge_sha__in=reachable))
        .prefetch_related("files")
    )
    recorded = 0
    for service in services:
        already = set(
            Deployment.objects.filter(service=service, environment=environment).values_list("changes", flat=True)
        )
        prefixes = tuple(service.path_prefixes or ())
        carried = [
            c
            for c in candidates
            if c.pk not in already and (not prefixes or any(f.path.startswith(prefixes) for f in c.files.all()))
        ]
        deployment_record(service=service, environment=environment, sha=sha, deployed_at=deployed_at, changes=carried)
        recorded += 1
    return recorded
