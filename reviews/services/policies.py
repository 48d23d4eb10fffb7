"""Policy versions: published by admins or loaded from a repository file, every edit audited."""

from __future__ import annotations

import copy
import json
from typing import Any

from django.db import transaction
from django.db.models import Max

from reviews.gitrepo import GitError
from reviews.models import PolicyVersion, Repository
from reviews.policy import DEFAULT_POLICY_DATA, PolicyError, parse_policy, policy_to_data
from reviews.services.base import ServiceError, audit_record, repository_mirror

POLICY_FILE = ".countersign/policy.json"


def policy_current() -> PolicyVersion:
    """The version in force: the newest one; the default policy is published as version 1 on first use."""
    version = PolicyVersion.objects.order_by("-number").first()
    if version is None:
        with transaction.atomic():
            version, _ = PolicyVersion.objects.get_or_create(
                number=1,
                defaults={"data": copy.deepcopy(DEFAULT_POLICY_DATA), "source": "default", "note": "default policy"},
            )
    return version


def policy_publish(*, data: Any, actor: Any, note: str = "", source: str = "portal") -> PolicyVersion:
    """Validate and publish a new version; it applies to revisions arriving from now on."""
    try:
        normalised = policy_to_data(parse_policy(data))
    except PolicyError as exc:
        raise ServiceError(f"the policy is not valid: {exc}") from None
    with transaction.atomic():
        previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
        if previous is not None and previous.data == normalised:
            raise ServiceError(f"no change: this is already version {previous.number}")
        number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        version = PolicyVersion.objects.create(
            number=number,
            data=normalised,
            note=note[:500],
            source=source[:300],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="policy.published",
            target=version,
            payload={"before": previous.data if previous else None, "after": normalised, "source": source},
        )
    return version


def policy_load_from_repository(*, repository: Repository, actor: Any, path: str = POLICY_FILE) -> PolicyVersion:
    """Publish the policy file kept in a repository's default branch (like CODEOWNERS)."""
    mirror = repository_mirror(repository)
    try:
        mirror.fetch(repository.clone_url)
        sha = mirror.resolve(repository.default_branch)
        raw = mirror.read_file(sha, path)
    except GitError as exc:
        raise ServiceError(str(exc)) from None
    if raw is None:
        raise ServiceError(f"{repository.name} has no {path} on {repository.default_branch}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(f"{path} is not valid JSON: {exc}") from None
    return policy_publish(
        data=data, actor=actor, note=f"loaded from {path}", source=f"{repository.name}@{sha[:12]}:{path}"
    )
