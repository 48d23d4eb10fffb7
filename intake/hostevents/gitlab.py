"""GitLab deliveries into plain events (pure): merge requests, approvals, pushes, deployments."""

from __future__ import annotations

from typing import Any

from intake.gitrun import is_sha
from intake.hostevents.shapes import (
    MAX_TEXT,
    HostChange,
    HostEvent,
    PayloadError,
    _host_id,
    _int,
    _labels,
    _obj,
    _optional_id,
    _optional_sha,
    _ref,
    _sha,
    _str,
    parse_time,
    push_commits,
)

# --- GitLab -----------------------------------------------------------------

GITLAB_MR_ACTIONS = {
    "open": "opened",
    "reopen": "reopened",
    "update": "synchronize",
    "close": "closed",
    "merge": "closed",
    # GitLab sends approved/unapproved when the merge request as a whole gains or loses its approval, and
    # approval/unapproval for each approver; both name the approver in `user`.
    "approved": "approved",
    "approval": "approved",
    "unapproved": "dismissed",
    "unapproval": "dismissed",
}


def _gitlab_repository(payload: dict) -> str:
    return _str(_obj(payload.get("project"), "project"), "path_with_namespace", "project", limit=300)


def parse_gitlab(event: str, payload: Any) -> HostEvent:
    """Turn a GitLab delivery into an event; raise PayloadError on a wrong shape."""
    payload = _obj(payload, "payload")
    repository = _gitlab_repository(payload)
    kind = payload.get("object_kind")
    if event == "Merge Request Hook" or kind == "merge_request":
        attrs = _obj(payload.get("object_attributes"), "object_attributes")
        action = _str(attrs, "action", "object_attributes", required=False, limit=50)
        last_commit = _obj(attrs.get("last_commit"), "object_attributes.last_commit")
        user = _obj(payload.get("user") or {}, "user")
        state = _str(attrs, "state", "object_attributes", limit=50)
        author_id = _optional_id(attrs.get("author_id"))
        # `user` is whoever triggered the event (an approver, a merger): their name is the author's only when
        # their id is the author's, or, where a payload lacks author_id, on the open event.
        actor_is_author = author_id == _optional_id(user.get("id")) if author_id is not None else action == "open"
        change = HostChange(
            number=_int(attrs, "iid", "object_attributes"),
            title=_str(attrs, "title", "object_attributes", limit=500),
            body=_str(attrs, "description", "object_attributes", required=False, limit=MAX_TEXT),
            author_login=_str(user, "username", "user", required=False, limit=100) if actor_is_author else "",
            head_sha=_sha(last_commit, "id", "object_attributes.last_commit"),
            head_ref=_ref(_str(attrs, "source_branch", "object_attributes", limit=255), "source_branch"),
            base_ref=_ref(_str(attrs, "target_branch", "object_attributes", limit=255), "target_branch"),
            state={"merged": "merged", "closed": "closed", "locked": "closed"}.get(state, "open"),
            draft=attrs.get("draft") is True or attrs.get("work_in_progress") is True,
            labels=_labels(payload.get("labels"), "title"),
            opened_at=parse_time(attrs.get("created_at")),
            merged_at=parse_time(attrs.get("updated_at")) if state == "merged" else None,
            updated_at=parse_time(attrs.get("updated_at")),
            new_commits=action != "update" or "oldrev" in attrs,
            merge_sha=_optional_sha(attrs.get("merge_commit_sha")) if state == "merged" else "",
            author_host_id=author_id,
        )
        mapped = GITLAB_MR_ACTIONS.get(action)
        if mapped in ("approved", "dismissed"):
            login = _str(user, "username", "user", limit=100)
            approver = _host_id(user, "id", "user") if "id" in user else login.lower()
            # GitLab gives an approval no id: the request, the approver and the head name it. An unapproval names
            # every approval of that approver on the request, whatever head it was given on.
            key = f"gitlab-approval:{change.number}:{approver}"
            return HostEvent(
                kind="review",
                action=action,
                repository=repository,
                change=change,
                reviewer_login=login,
                review_state=mapped,
                host_review_id=key if mapped == "dismissed" else f"{key}:{change.head_sha}",
            )
        if mapped is None:
            return HostEvent(kind="ignored", action=action, repository=repository, note=f"action {action!r} not used")
        return HostEvent(kind="change", action=mapped, repository=repository, change=change)
    if event == "Push Hook" or kind == "push":
        ref = _str(payload, "ref", "payload", limit=300)
        if not ref.startswith("refs/heads/"):
            return HostEvent(kind="ignored", action="push", repository=repository, note="not a branch push")
        parsed = push_commits(payload)
        return HostEvent(
            kind="push",
            action="push",
            repository=repository,
            ref=_ref(ref, "ref"),
            after=_str(payload, "after", "payload", limit=40),
            commits=tuple(parsed),
        )
    if event == "Deployment Hook" or kind == "deployment":
        commit_url = _str(payload, "commit_url", "payload", limit=1000)
        sha = commit_url.rstrip("/").rsplit("/", 1)[-1]
        if not is_sha(sha):
            raise PayloadError("commit_url must end with a full commit SHA")
        return HostEvent(
            kind="deployment",
            action=_str(payload, "status", "payload", limit=50),
            repository=repository,
            environment=_str(payload, "environment", "payload", limit=100),
            deployment_state=_str(payload, "status", "payload", limit=50).lower(),
            deployment_sha=sha,
            deployed_at=parse_time(payload.get("status_changed_at")),
        )
    return HostEvent(kind="ignored", action=str(kind)[:50], repository=repository, note=f"event {event!r} not used")
