"""GitLab REST v4: merge request metadata, commit statuses, external status checks, merge request notes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from intake.hostapi.metadata import Metadata
from intake.hostapi.transport import HostApiError, Transport


class GitLabClient(Transport):
    """GitLab REST v4 for one token."""

    def __init__(self, base_url: str, token: str, **kwargs: Any) -> None:
        super().__init__(base_url, {"PRIVATE-TOKEN": token}, **kwargs)

    def _project(self, repository: str) -> str:
        return f"/projects/{quote(repository, safe='')}"

    def pull_request(self, repository: str, number: int) -> Metadata:
        """Title, description, draft flag, author and labels of a merge request."""
        data, _ = self.request("GET", f"{self._project(repository)}/merge_requests/{int(number)}")
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

    def status_create(self, repository: str, sha: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /projects/:id/statuses/:sha (state pending, running, success, failed or canceled)."""
        data, _ = self.request("POST", f"{self._project(repository)}/statuses/{sha}", body=body)
        return _object(data)

    def statuses_for_ref(self, repository: str, sha: str) -> list[dict[str, Any]]:
        """GET /projects/:id/repository/commits/:sha/statuses."""
        items = self.pages(
            f"{self._project(repository)}/repository/commits/{sha}/statuses", params={"per_page": 100, "all": "true"}
        )
        return [i for i in items if isinstance(i, dict)]

    def external_status_checks(self, repository: str) -> list[dict[str, Any]]:
        """GET /projects/:id/external_status_checks (GitLab Ultimate; empty when none are configured)."""
        items = self.pages(f"{self._project(repository)}/external_status_checks", params={"per_page": 100})
        return [i for i in items if isinstance(i, dict)]

    def status_check_respond(self, repository: str, number: int, body: dict[str, Any]) -> dict[str, Any]:
        """POST /projects/:id/merge_requests/:iid/status_check_responses (status passed, failed or pending)."""
        data, _ = self.request(
            "POST", f"{self._project(repository)}/merge_requests/{int(number)}/status_check_responses", body=body
        )
        return _object(data)

    def note_create(self, repository: str, number: int, body: str) -> dict[str, Any]:
        """POST /projects/:id/merge_requests/:iid/notes."""
        data, _ = self.request(
            "POST", f"{self._project(repository)}/merge_requests/{int(number)}/notes", body={"body": body}
        )
        return _object(data)

    def note_update(self, repository: str, number: int, note_id: int, body: str) -> dict[str, Any]:
        """PUT /projects/:id/merge_requests/:iid/notes/:note_id."""
        data, _ = self.request(
            "PUT",
            f"{self._project(repository)}/merge_requests/{int(number)}/notes/{int(note_id)}",
            body={"body": body},
        )
        return _object(data)

    def notes(self, repository: str, number: int) -> list[dict[str, Any]]:
        """Every note of a merge request."""
        items = self.pages(f"{self._project(repository)}/merge_requests/{int(number)}/notes", params={"per_page": 100})
        return [i for i in items if isinstance(i, dict)]


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise HostApiError("expected an object from the API")
    return data
