"""Which client writes to a repository's host: the GitHub App's installation, else the repository's token."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from intake.hostapi import GitHubClient, GitLabClient, HostApiError, Transport, api_base
from intake.hostapi.appauth import installation_token
from reviews.models import HostConnection, HostInstallation, Repository

APP, TOKEN = "app", "token"


class Disconnected(RuntimeError):
    """The host no longer lets the portal write (installation removed or suspended): no retry until reconnected."""


@dataclass
class Writer:
    """A client ready to write, and how it is authenticated (app: check runs; token: commit statuses)."""

    client: Transport
    kind: str
    installation_id: int | None = None


def installation_of(repository: Repository, connection: HostConnection | None) -> int | None:
    """The installation id stored for the repository, else one whose granted repositories name it."""
    if connection is not None and connection.installation_id:
        return connection.installation_id
    found = (
        HostInstallation.objects.filter(
            repository_names__contains=[repository.name], removed_at__isnull=True, suspended=False
        )
        .values_list("installation_id", flat=True)
        .first()
    )
    return found


def writer_for(repository: Repository, connection: HostConnection | None) -> Writer | None:
    """The writer of a repository's host, or None when neither an App installation nor a token is configured."""
    if connection is not None and connection.disconnected_at is not None:
        raise Disconnected(connection.disconnected_reason or "the host connection was removed")
    timeout = float(settings.PORTAL_HOST_TIMEOUT_SECONDS)
    base = api_base(repository.provider, repository.clone_url)
    if repository.provider == Repository.Provider.GITHUB:
        installation = installation_of(repository, connection)
        if installation and settings.PORTAL_GITHUB_APP_ID and settings.PORTAL_GITHUB_APP_PRIVATE_KEY:
            try:
                token = installation_token(
                    base_url=base,
                    app_id=settings.PORTAL_GITHUB_APP_ID,
                    private_key=settings.PORTAL_GITHUB_APP_PRIVATE_KEY,
                    installation_id=installation,
                    timeout=timeout,
                )
            except HostApiError as exc:
                if exc.status in (401, 403, 404) and not exc.rate_limited:
                    raise Disconnected(f"installation {installation} refused: {exc}") from None
                raise
            return Writer(GitHubClient(base, token, timeout=timeout), APP, installation)
        if repository.api_token:
            return Writer(GitHubClient(base, repository.api_token, timeout=timeout), TOKEN)
        return None
    if repository.provider == Repository.Provider.GITLAB and repository.api_token:
        return Writer(GitLabClient(base, repository.api_token, timeout=timeout), TOKEN)
    return None
