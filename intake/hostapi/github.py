"""GitHub REST v3: pull request metadata, check runs, commit statuses, issue comments, App installation tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from intake.hostapi.metadata import Metadata
from intake.hostapi.transport import HostApiError, Transport

API_VERSION = "2022-11-28"


def github_headers(token: str) -> dict[str, str]:
    """Headers of every GitHub call: the token (installation, personal or the App's JWT) and the API version."""
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }


class GitHubClient(Transport):
    """GitHub REST v3 for one token."""

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(base_url, github_headers(token), **kwargs)

    def _repo(self, repository: str) -> str:
        return f"/repos/{quote(repository, safe='/')}"

    def pull_request(self, repository: str, number: int) -> Metadata:
        """Title, body, draft flag, author and every label of a pull request."""
        root = self._repo(repository)
        data, _ = self.request("GET", f"{root}/pulls/{int(number)}")
        if not isinstance(data, dict):
            raise HostApiError("expected an object from the API")
        labels = self.pages(f"{root}/issues/{int(number)}/labels", params={"per_page": 100})
        return Metadata(
            title=str(data.get("title") or "")[:500],
            body=str(data.get("body") or "")[:20000],
            labels=tuple(str(label.get("name"))[:100] for label in labels if isinstance(label, dict)),
            author_login=str((data.get("user") or {}).get("login") or "")[:100],
            draft=data.get("draft") is True,
        )

    # --- checks (GitHub Apps only) ---

    def check_run_create(self, repository: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /repos/{owner}/{repo}/check-runs: the new check run."""
        data, _ = self.request("POST", f"{self._repo(repository)}/check-runs", body=body)
        return _object(data)

    def check_run_update(self, repository: str, check_run_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /repos/{owner}/{repo}/check-runs/{id}; annotations sent here are added to those already there."""
        data, _ = self.request("PATCH", f"{self._repo(repository)}/check-runs/{int(check_run_id)}", body=body)
        return _object(data)

    def check_runs_for_ref(self, repository: str, sha: str, name: str) -> list[dict[str, Any]]:
        """The check runs of that name on a commit, newest first."""
        items = self.pages(
            f"{self._repo(repository)}/commits/{sha}/check-runs",
            params={"check_name": name, "filter": "latest", "per_page": 100},
            key="check_runs",
        )
        return [i for i in items if isinstance(i, dict)]

    # --- commit statuses (any token with repo:status) ---

    def status_create(self, repository: str, sha: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /repos/{owner}/{repo}/statuses/{sha}."""
        data, _ = self.request("POST", f"{self._repo(repository)}/statuses/{sha}", body=body)
        return _object(data)

    def statuses_for_ref(self, repository: str, sha: str) -> list[dict[str, Any]]:
        """Every status on a commit, newest first (GET .../commits/{ref}/statuses)."""
        items = self.pages(f"{self._repo(repository)}/commits/{sha}/statuses", params={"per_page": 100})
        return [i for i in items if isinstance(i, dict)]

    # --- the summary comment ---

    def comment_create(self, repository: str, number: int, body: str) -> dict[str, Any]:
        """POST /repos/{owner}/{repo}/issues/{number}/comments."""
        data, _ = self.request("POST", f"{self._repo(repository)}/issues/{int(number)}/comments", body={"body": body})
        return _object(data)

    def comment_update(self, repository: str, comment_id: int, body: str) -> dict[str, Any]:
        """PATCH /repos/{owner}/{repo}/issues/comments/{id}."""
        data, _ = self.request(
            "PATCH", f"{self._repo(repository)}/issues/comments/{int(comment_id)}", body={"body": body}
        )
        return _object(data)

    def comments(self, repository: str, number: int) -> list[dict[str, Any]]:
        """Every comment of a pull request's conversation."""
        items = self.pages(f"{self._repo(repository)}/issues/{int(number)}/comments", params={"per_page": 100})
        return [i for i in items if isinstance(i, dict)]

    # --- App authentication (the client's token is the App's JWT) ---

    def installation_token(self, installation_id: int) -> tuple[str, str]:
        """POST /app/installations/{id}/access_tokens: (token, expires_at)."""
        data, _ = self.request("POST", f"/app/installations/{int(installation_id)}/access_tokens")
        data = _object(data)
        token, expires = data.get("token"), data.get("expires_at")
        if not isinstance(token, str) or not token or not isinstance(expires, str):
            raise HostApiError("installation token answer without token or expires_at")
        return token, expires


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise HostApiError("expected an object from the API")
    return data
