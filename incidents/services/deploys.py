"""Deployments reported by CI pipelines through the API."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction

from intake.gitrun import GitError, is_sha
from intake.mirrors import repository_mirror
from intake.services.deployments import deployment_record_for_sha
from reviews.audit import ServiceError, audit_record
from reviews.models import Deployment, Service


class GitUnavailable(ServiceError):
    """The repository could not be fetched just now; the caller may try again."""


def deployment_report(
    *, actor: Any, services: list[Service], environment: str, sha: str, deployed_at: datetime
) -> list[Deployment]:
    """Record that commit sha went out to these services: each carries the merged changes it had not yet.

    Idempotent per service, environment and SHA. The commit is fetched into the mirror first if needed.
    """
    environment = environment.strip()[:100]
    if not environment:
        raise ServiceError("a deployment needs an environment")
    if not is_sha(sha):
        raise ServiceError("sha must be a full 40-character lower-case commit SHA")
    if not services:
        raise ServiceError("a deployment needs at least one service")
    by_repository: dict[int, list[Service]] = defaultdict(list)
    for service in services:
        by_repository[service.repository_id].append(service)
    for members in by_repository.values():
        repository = members[0].repository
        mirror = repository_mirror(repository)
        try:
            if not mirror.exists() or not mirror.has_commit(sha):
                mirror.fetch(repository.clone_url)
        except GitError as exc:
            raise GitUnavailable(f"could not fetch {repository.name}: {exc}") from None
        if not mirror.has_commit(sha):
            raise ServiceError(f"commit {sha} is not in {repository.name}")
    recorded = []
    with transaction.atomic():
        for members in by_repository.values():
            deployment_record_for_sha(
                repository=members[0].repository,
                services=members,
                environment=environment,
                sha=sha,
                deployed_at=deployed_at,
            )
        for deployment in Deployment.objects.filter(
            service__in=services, environment=environment, sha=sha
        ).select_related("service"):
            audit_record(
                actor=actor,
                action="deployment.reported",
                target=deployment,
                payload={"service": deployment.service.name, "environment": environment, "sha": sha},
            )
            recorded.append(deployment)
    return recorded
