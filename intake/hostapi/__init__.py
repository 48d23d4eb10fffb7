"""The git hosts' APIs (GitHub REST v3, GitLab REST v4) over one httpx layer: reads and writes alike.

httpx with this thin typed layer rather than PyGithub + python-gitlab: one place for timeouts, pagination and
rate-limit headers for both hosts, and a rate limit is reported to the caller (the outbox reschedules the write)
instead of being slept out inside the worker.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from intake.hostapi.github import GitHubClient
from intake.hostapi.gitlab import GitLabClient
from intake.hostapi.metadata import Metadata
from intake.hostapi.transport import MAX_BODY, MAX_PAGES, HostApiError, RateLimit, Transport, error_for, rate_limit_of

__all__ = [
    "MAX_BODY",
    "MAX_PAGES",
    "GitHubClient",
    "GitLabClient",
    "HostApiError",
    "Metadata",
    "RateLimit",
    "Transport",
    "api_base",
    "client_for",
    "error_for",
    "rate_limit_of",
]


def api_base(provider: str, clone_url: str) -> str:
    """The API root for a repository's host: api.github.com, GitHub Enterprise /api/v3, GitLab /api/v4."""
    parts = urlsplit(clone_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostApiError(f"no API for {clone_url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    if provider == "github":
        return "https://api.github.com" if host == "github.com" else f"{parts.scheme}://{host}/api/v3"
    return f"{parts.scheme}://{host}/api/v4"


def client_for(provider: str, clone_url: str, token: str, *, base_url: str | None = None, **kwargs: Any) -> Transport:
    """The API client of a repository's host."""
    base = base_url or api_base(provider, clone_url)
    return GitHubClient(base, token, **kwargs) if provider == "github" else GitLabClient(base, token, **kwargs)
