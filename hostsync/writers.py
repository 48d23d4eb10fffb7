"""Bringing the host in line with a desired state: each step writes only what differs, and records it at once.

Each step saves what it wrote on the outbox row before the next one starts, so a failure half-way (the check
written, the comment not) resumes with the comment and never creates a second check run or comment.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from hostsync.connection import APP, Writer
from hostsync.desired import (
    CHECK_NAME,
    GITHUB_STATUS,
    GITLAB_CHECK,
    GITLAB_STATE,
    MAX_ANNOTATIONS,
    PENDING,
    STATUS_CONTEXT,
    DesiredState,
    has_marker,
)
from intake.hostapi import GitHubClient, GitLabClient, HostApiError
from reviews.models import HostSyncState

Save = Callable[[list[str]], None]


def write_all(row: HostSyncState, desired: DesiredState, writer: Writer, *, repository: str, number: int) -> int:
    """Write the check (or status) and the summary comment where they differ; returns the number of requests."""
    row_save: Save = lambda fields: row.save(update_fields=fields)  # noqa: E731 - a one-line callback
    client = writer.client
    if isinstance(client, GitHubClient):
        sent = _github_check(row, desired, client, repository, row_save) if writer.kind == APP else 0
        sent += _github_status(row, desired, client, repository, row_save) if writer.kind != APP else 0
        sent += _github_comment(row, desired, client, repository, number, row_save)
    else:
        assert isinstance(client, GitLabClient)
        sent = _gitlab_status(row, desired, client, repository, number, row_save)
        sent += _gitlab_note(row, desired, client, repository, number, row_save)
    return sent


def _output(desired: DesiredState, annotations: list[dict] | None = None, *, text: bool = True) -> dict:
    output = {"title": desired.title, "summary": desired.summary}
    if text and desired.text:
        output["text"] = desired.text
    if annotations:
        output["annotations"] = annotations
    return output


def _check_state(desired: DesiredState) -> dict:
    if desired.state == PENDING:
        return {"status": "in_progress"}
    return {"status": "completed", "conclusion": desired.state, "completed_at": timezone.now().isoformat()}


def _github_check(row: HostSyncState, desired: DesiredState, client: GitHubClient, repo: str, save: Save) -> int:
    """The `Countersign` check run on the head commit; a new run per head, or when annotations change."""
    annotations = [a.as_github() for a in desired.annotations]
    reopen = row.sent_state not in ("", PENDING) and desired.state == PENDING  # a completed run is not reopened
    fresh = (
        row.check_run_id is None
        or row.check_run_sha != desired.head_sha
        or reopen
        or (row.annotations_fingerprint != desired.annotations_fingerprint and bool(annotations))
    )
    if not fresh and row.sent_fingerprint == desired.check_fingerprint:
        return 0
    requests = 0
    if not fresh:
        try:
            body = {"details_url": desired.details_url, "external_id": desired.external_id, **_check_state(desired)}
            client.check_run_update(repo, row.check_run_id, {**body, "output": _output(desired)})
            requests += 1
        except HostApiError as exc:
            if exc.status != 404:
                raise
            fresh = True  # gone on the host: write a new one
    if fresh:
        created = client.check_run_create(
            repo,
            {
                "name": CHECK_NAME,
                "head_sha": desired.head_sha,
                "details_url": desired.details_url,
                "external_id": desired.external_id,
                **_check_state(desired),
                "output": _output(desired, annotations[:MAX_ANNOTATIONS]),
            },
        )
        requests += 1
        run_id = created.get("id")
        if not isinstance(run_id, int) or isinstance(run_id, bool):
            raise HostApiError("check run answer without an id")
        row.check_run_id, row.check_run_sha = run_id, desired.head_sha
        row.annotations_fingerprint = ""
        save(["check_run_id", "check_run_sha", "annotations_fingerprint"])
        # GitHub takes at most 50 annotations a request: the rest follow in updates (they add up on the run).
        for start in range(MAX_ANNOTATIONS, len(annotations), MAX_ANNOTATIONS):
            batch = annotations[start : start + MAX_ANNOTATIONS]
            client.check_run_update(repo, run_id, {"output": _output(desired, batch, text=False)})
            requests += 1
        row.annotations_fingerprint = desired.annotations_fingerprint
    _sent(row, desired, save, ["annotations_fingerprint"])
    return requests


def _github_status(row: HostSyncState, desired: DesiredState, client: GitHubClient, repo: str, save: Save) -> int:
    """With a token only: the commit status `countersign/sign-off` (statuses have no neutral: success)."""
    if row.sent_fingerprint == desired.check_fingerprint:
        return 0
    client.status_create(
        repo,
        desired.head_sha,
        {
            "state": GITHUB_STATUS[desired.state],
            "target_url": desired.details_url,
            "description": desired.description,
            "context": STATUS_CONTEXT,
        },
    )
    _sent(row, desired, save)
    return 1


def _sent(row: HostSyncState, desired: DesiredState, save: Save, extra: list[str] | None = None) -> None:
    row.head_sha, row.sent_state, row.sent_title = desired.head_sha, desired.state, desired.title[:300]
    row.sent_fingerprint, row.sent_at = desired.check_fingerprint, timezone.now()
    save(["head_sha", "sent_state", "sent_title", "sent_fingerprint", "sent_at", *(extra or [])])


def _comment_sent(row: HostSyncState, desired: DesiredState, comment_id: int, save: Save) -> None:
    row.comment_id, row.comment_fingerprint = comment_id, desired.comment_fingerprint
    save(["comment_id", "comment_fingerprint"])


def _may_exist(row: HostSyncState) -> bool:
    """A summary comment may be on the host though its id is not on record: the row was written before, or an
    earlier attempt failed (perhaps after the host created it). A first write skips the search."""
    return row.sent_at is not None or row.attempts > 0


def _github_comment(
    row: HostSyncState, desired: DesiredState, client: GitHubClient, repo: str, number: int, save: Save
) -> int:
    """One summary comment, created once and edited in place; found again by its marker if its id was lost."""
    if row.comment_id and row.comment_fingerprint == desired.comment_fingerprint:
        return 0
    requests = 0
    comment_id = row.comment_id
    if comment_id is None and _may_exist(row):
        requests += 1
        found = [c for c in client.comments(repo, number) if has_marker(c.get("body"), row.change_id)]
        comment_id = found[0].get("id") if found else None
    if comment_id is not None:
        try:
            client.comment_update(repo, comment_id, desired.comment)
            _comment_sent(row, desired, comment_id, save)
            return requests + 1
        except HostApiError as exc:
            if exc.status != 404:
                raise
    created = client.comment_create(repo, number, desired.comment)
    new_id = created.get("id")
    if not isinstance(new_id, int) or isinstance(new_id, bool):
        raise HostApiError("comment answer without an id")
    _comment_sent(row, desired, new_id, save)
    return requests + 1


def _gitlab_status(
    row: HostSyncState, desired: DesiredState, client: GitLabClient, repo: str, number: int, save: Save
) -> int:
    """The commit status on the head, and the answer to any external status check named Countersign."""
    if row.sent_fingerprint == desired.check_fingerprint:
        return 0
    requests = 0
    state = GITLAB_STATE[desired.state]
    if row.head_sha != desired.head_sha or GITLAB_STATE.get(row.sent_state) != state or row.sent_title != desired.title:
        try:
            client.status_create(
                repo,
                desired.head_sha,
                {
                    "state": state,
                    "name": STATUS_CONTEXT,
                    "target_url": desired.details_url,
                    "description": desired.description,
                },
            )
        except HostApiError as exc:
            # GitLab answers 400 "Cannot transition status" when the commit already has that state.
            if exc.status != 400 or "transition" not in str(exc).lower():
                raise
        requests += 1
    requests += 1
    for check in client.external_status_checks(repo):
        if "countersign" not in str(check.get("name", "")).lower() or not isinstance(check.get("id"), int):
            continue
        client.status_check_respond(
            repo,
            number,
            {"sha": desired.head_sha, "external_status_check_id": check["id"], "status": GITLAB_CHECK[desired.state]},
        )
        requests += 1
    _sent(row, desired, save)
    return requests


def _gitlab_note(
    row: HostSyncState, desired: DesiredState, client: GitLabClient, repo: str, number: int, save: Save
) -> int:
    """The summary note on the merge request, created once and edited in place."""
    if row.comment_id and row.comment_fingerprint == desired.comment_fingerprint:
        return 0
    requests = 0
    note_id = row.comment_id
    if note_id is None and _may_exist(row):
        requests += 1
        found = [n for n in client.notes(repo, number) if has_marker(n.get("body"), row.change_id)]
        note_id = found[0].get("id") if found else None
    if note_id is not None:
        try:
            client.note_update(repo, number, note_id, desired.comment)
            _comment_sent(row, desired, note_id, save)
            return requests + 1
        except HostApiError as exc:
            if exc.status != 404:
                raise
    created = client.note_create(repo, number, desired.comment)
    new_id = created.get("id")
    if not isinstance(new_id, int) or isinstance(new_id, bool):
        raise HostApiError("note answer without an id")
    _comment_sent(row, desired, new_id, save)
    return requests + 1
