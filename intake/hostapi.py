"""Minimal GitHub and GitLab API clients for pull/merge request metadata: pagination and rate limits."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

MAX_PAGES = 20
MAX_BODY = 5 * 1024 * 1024


class HostApiError(RuntimeError):
    """The host's API refused or failed; transient errors may be retried."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class Metadata:
    """What the host says of a pull/merge request."""

    title: str
    body: str
    labels: tuple[str, ...]
    author_login: str
    draft: bool
    author_host_id: int | None = None  # GitLab's user id of the author


_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def api_base(provider: str, clone_url: str) -> str:
    """The API root for a repository's host: api.github.com, GitHub Enterprise /api/v3, GitLab /api/v4."""
    parts = urlsplit(clone_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostApiError(f"no API for {clone_url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    if provider == "github":
        return "https://api.github.com" if host == "github.com" else f"{parts.scheme}://{host}/api/v3"
    return f"{parts.scheme}://{host}/api/v4"


class _Client:
    def __init__(self, base_url: str, headers: dict[str, str], *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": "Countersign", **headers}
        self.timeout = timeout

    def _get(self, url: str) -> tuple[Any, dict[str, str]]:
        if not url.startswith(self.base_url):
            raise HostApiError(f"refusing to follow {url!r} outside {self.base_url}")
        request = urllib.request.Request(url, headers=self.headers)  # noqa: S310 - URL checked above
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_BODY + 1)
                headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            raise self._error(exc.code, headers) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise HostApiError(f"API unreachable: {exc}", transient=True) from None
        if len(body) > MAX_BODY:
            raise HostApiError("API answer too large")
        try:
            return json.loads(body), headers
        except ValueError:
            raise HostApiError("API answered with something that is not JSON") from None

    def _error(self, status: int, headers: dict[str, str]) -> HostApiError:
        retry_after = headers.get("retry-after")
        if status in (403, 429) and (retry_after or headers.get("x-ratelimit-remaining") == "0"):
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            reset = headers.get("x-ratelimit-reset", "")
            if wait is None and reset.isdigit():
                wait = max(1.0, int(reset) - time.time())
            return HostApiError("rate limited by the host", transient=True, retry_after=wait or 60.0)
        if status >= 500:
            return HostApiError(f"host API error {status}", transient=True)
        return HostApiError(f"host API refused the request ({status})")


class GitHubClient(_Client):
    """GitHub REST v3."""

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(
            base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            **kwargs,
        )

    def _pages(self, url: str) -> list[Any]:
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            data, headers = self._get(url)
            if not isinstance(data, list):
                raise HostApiError("expected a list from the API")
            items.extend(data)
            match = _LINK_NEXT.search(headers.get("link", ""))
            if not match:
                break
            url = match.group(1)
        return items

    def pull_request(self, repository: str, number: int) -> Metadata:
        """Title, body, draft flag, author and every label of a pull request."""
        root = f"{self.base_url}/repos/{quote(repository, safe='/')}"
        data, _ = self._get(f"{root}/pulls/{int(number)}")
        if not isinstance(data, dict):
            raise HostApiError("expected an object from the API")
        labels = self._pages(f"{root}/issues/{int(number)}/labels?per_page=100")
        return Metadata(
            title=str(data.get("title") or "")[:500],
            body=str(data.get("body") or "")[:20000],
            labels=tuple(str(label.get("name"))[:100] for label in labels if isinstance(label, dict)),
            author_login=str((data.get("user") or {}).get("login") or "")[:100],
            draft=data.get("draft") is True,
        )


class GitLabClient(_Client):
    """GitLab REST v4."""

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(base_url, {"PRIVATE-TOKEN": token}, **kwargs)

    def pull_request(self, repository: str, number: int) -> Metadata:
        """Title, description, draft flag, author and labels of a merge request."""
        data, _ = self._get(f"{self.base_url}/projects/{quote(repository, safe='')}/merge_requests/{int(number)}")
        if not isinstance(data, dict):
            raise HostApiError("expected an object from the API")
        labels = data.get("labels") if isinstance(data.get("labels"), list) else []
        author = data.get("author") if isinstance(data.get("author"), dict) else {}
        author_id = author.get("id")
        return Metadata(
            title=str(data.get("title") or "")[:500],
            body=str(data.get("description") or "")[:20000],
            labels=tuple(str(label)[:100] for label in labels),
            author_login=str(author.get("username") or "")[:100],
            draft=data.get("draft") is True or data.get("work_in_progress") is True,
            author_host_id=author_id if isinstance(author_id, int) and not isinstance(author_id, bool) else None,
        )


def client_for(provider: str, clone_url: str, token: str, *, base_url: str | None = None) -> _Client:
    """The API client of a repository's host."""
    base = base_url or api_base(provider, clone_url)
    return GitHubClient(base, token) if provider == "github" else GitLabClient(base, token)
