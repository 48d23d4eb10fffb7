"""The bare git mirrors the portal keeps, one per repository, with the configured git limits."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from intake.gitrepo import Mirror
from intake.gitrun import GitConfig
from reviews.models import Repository


def git_config() -> GitConfig:
    """The git limits configured for this portal."""
    return GitConfig(
        timeout_seconds=settings.PORTAL_GIT_TIMEOUT_SECONDS,
        max_output_bytes=settings.PORTAL_GIT_MAX_OUTPUT_BYTES,
        allowed_protocols=tuple(settings.PORTAL_GIT_ALLOWED_PROTOCOLS),
    )


def repository_mirror(repository: Repository) -> Mirror:
    """The bare mirror the portal keeps for a repository (named by id, never by a user's text)."""
    return Mirror(
        Path(settings.DATA_DIR) / "mirrors" / f"{repository.pk}.git",
        git_config(),
        mailmap_branch=repository.default_branch,
    )
