"""Parse and authenticate git host webhooks (GitHub, GitLab) into plain events (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from intake.gitrun import is_safe_ref, is_sha

MAX_TEXT = 20000


MAX_REVIEW_BODY = 20_000  # characters of a review's text kept; an AI bot's summary rarely needs more


class PayloadError(ValueError):
    """The payload does not have the shape the host documents."""


@dataclass(frozen=True)
class HostChange:
    """A pull or merge request as the host describes it."""

    number: int
    title: str
    body: str
    author_login: str
    head_sha: str
    head_ref: str
    base_ref: str
    state: str  # open, closed, merged
    draft: bool
    labels: tuple[str, ...]
    opened_at: datetime | None
    merged_at: datetime | None
    updated_at: datetime | None
    new_commits: bool = True
    base_sha: str = ""
    merge_sha: str = ""
    author_host_id: int | None = None  # GitLab's object_attributes.author_id: the author on every action


@dataclass(frozen=True)
class HostCommit:
    """A commit listed in a push event."""

    sha: str
    message: str
    author_email: str


@dataclass(frozen=True)
class HostEvent:
    """What a delivery means for the portal."""

    kind: str  # change, review, push, deployment, ping, ignored
    action: str
    repository: str
    change: HostChange | None = None
    reviewer_login: str = ""
    review_state: str = ""  # approved, changes_requested, commented; dismissed withdraws an earlier review
    # The host's id of the review (GitHub's review.id; for GitLab approvals, which have none, a key of the request,
    # the approver and the head). A dismissal names the review it withdraws: its key, or a prefix of keys up to ':'.
    host_review_id: str = ""
    review_sha: str = ""  # the revision the reviewer saw, when the host says
    reviewed_at: datetime | None = None  # when the reviewer submitted it, when the host says
    review_body: str = ""  # what the reviewer wrote with the review (kept for AI review bots' findings)
    ref: str = ""
    after: str = ""
    commits: tuple[HostCommit, ...] = field(default_factory=tuple)
    environment: str = ""
    deployment_state: str = ""
    deployment_sha: str = ""
    deployed_at: datetime | None = None
    services: tuple[str, ...] = ()
    note: str = ""


# --- field helpers ----------------------------------------------------------


def _obj(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{name} must be an object")
    return value


def _str(container: dict, key: str, name: str, *, required: bool = True, limit: int = 1000) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{name}.{key} must be a string")
    return value[:limit]


def _int(container: dict, key: str, name: str) -> int:
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**31:
        raise PayloadError(f"{name}.{key} must be a positive integer")
    return value


def _sha(container: dict, key: str, name: str) -> str:
    value = _str(container, key, name)
    if not is_sha(value):
        raise PayloadError(f"{name}.{key} must be a full commit SHA")
    return value


def _optional_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


def _host_id(container: dict, key: str, name: str) -> str:
    value = container.get(key)
    # Not _int: GitHub's review ids have outgrown 32 bits.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise PayloadError(f"{name}.{key} must be a positive integer")
    return str(value)


def _optional_sha(value: Any) -> str:
    return value if isinstance(value, str) and is_sha(value) else ""


def _ref(value: str, name: str) -> str:
    if value.startswith("refs/heads/"):
        value = value[len("refs/heads/") :]
    if not is_safe_ref(value):
        raise PayloadError(f"{name} {value[:80]!r} is not an acceptable branch name")
    return value


def parse_time(value: Any) -> datetime | None:
    """Parse the ISO 8601 and 'YYYY-MM-DD HH:MM:SS UTC' forms hosts use; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    text = re.sub(r"^(\d{4}-\d{2}-\d{2}) ", r"\1T", text)
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
        # In UTC, or None when the offset pushes it out of datetime's range (PostgreSQL could not read it back).
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _labels(items: Any, key: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(str(i.get(key))[:100] for i in items[:100] if isinstance(i, dict) and isinstance(i.get(key), str))


# --- GitHub -----------------------------------------------------------------


def _github_repository(payload: dict) -> str:
    return _str(_obj(payload.get("repository"), "repository"), "full_name", "repository", limit=300)


def _github_pull(pr: dict) -> HostChange:
    head = _obj(pr.get("head"), "pull_request.head")
    base = _obj(pr.get("base"), "pull_request.base")
    user = _obj(pr.get("user") or {}, "pull_request.user")
    merged = pr.get("merged") is True or bool(pr.get("merged_at"))
    state = _str(pr, "state", "pull_request")
    return HostChange(
        number=_int(pr, "number", "pull_request"),
        title=_str(pr, "title", "pull_request", limit=500),
        body=_str(pr, "body", "pull_request", required=False, limit=MAX_TEXT),
        author_login=_str(user, "login", "pull_request.user", required=False, limit=100),
        head_sha=_sha(head, "sha", "pull_request.head"),
        head_ref=_ref(_str(head, "ref", "pull_request.head", limit=255), "pull_request.head.ref"),
        base_ref=_ref(_str(base, "ref", "pull_request.base", limit=255), "pull_request.base.ref"),
        state="merged" if merged else ("closed" if state == "closed" else "open"),
        draft=pr.get("draft") is True,
        labels=_labels(pr.get("labels"), "name"),
        opened_at=parse_time(pr.get("created_at")),
        merged_at=parse_time(pr.get("merged_at")),
        updated_at=parse_time(pr.get("updated_at")),
        base_sha=_optional_sha(base.get("sha")),
        merge_sha=_optional_sha(pr.get("merge_commit_sha")) if merged else "",
    )


PULL_REQUEST_ACTIONS = {
    "opened",
    "reopened",
    "synchronize",
    "edited",
    "ready_for_review",
    "converted_to_draft",
    "closed",
    "labeled",
    "unlabeled",
}


def parse_github(event: str, payload: Any) -> HostEvent:
    """Turn a GitHub delivery into an event; raise PayloadError on a wrong shape."""
    payload = _obj(payload, "payload")
    if event == "ping":
        pinged = _obj(payload.get("repository") or {}, "repository")  # absent for organisation hooks
        return HostEvent(kind="ping", action="", repository=_str(pinged, "full_name", "repository", required=False))
    repository = _github_repository(payload)
    action = _str(payload, "action", "payload", required=False, limit=100)
    if event == "pull_request":
        if action not in PULL_REQUEST_ACTIONS:
            return HostEvent(kind="ignored", action=action, repository=repository, note=f"action {action!r} not used")
        change = _github_pull(_obj(payload.get("pull_request"), "pull_request"))
        return HostEvent(kind="change", action=action, repository=repository, change=change)
    if event == "pull_request_review":
        review = _obj(payload.get("review"), "review")
        state = _str(review, "state", "review", limit=50).lower()
        change = _github_pull(_obj(payload.get("pull_request"), "pull_request"))
        dismissed = action == "dismissed"
        if not dismissed and (action != "submitted" or state not in ("approved", "changes_requested", "commented")):
            return HostEvent(kind="ignored", action=action, repository=repository, note=f"review {action} {state}")
        user = _obj(review.get("user"), "review.user")
        return HostEvent(
            kind="review",
            action=action,
            repository=repository,
            change=change,
            reviewer_login=_str(user, "login", "review.user", limit=100),
            review_state="dismissed" if dismissed else state,
            review_sha=_optional_sha(review.get("commit_id")),
            reviewed_at=parse_time(review.get("submitted_at")),
            host_review_id=_host_id(review, "id", "review"),
            review_body=_str(review, "body", "review", required=False, limit=MAX_REVIEW_BODY),
        )
    if event == "push":
        ref = _str(payload, "ref", "payload", limit=300)
        if not ref.startswith("refs/heads/"):
            return HostEvent(kind="ignored", action="push", repository=repository, note="not a branch push")
        after = _str(payload, "after", "payload", limit=40)
        commits = payload.get("commits") or []
        if not isinstance(commits, list):
            raise PayloadError("commits must be a list")
        parsed = []
        for item in commits[:2000]:
            item = _obj(item, "commits[]")
            author = _obj(item.get("author") or {}, "commits[].author")
            parsed.append(
                HostCommit(
                    sha=_sha(item, "id", "commits[]"),
                    message=_str(item, "message", "commits[]", limit=MAX_TEXT),
                    author_email=_str(author, "email", "commits[].author", required=False, limit=320),
                )
            )
        return HostEvent(
            kind="push", action="push", repository=repository, ref=_ref(ref, "ref"), after=after, commits=tuple(parsed)
        )
    if event == "deployment_status":
        status = _obj(payload.get("deployment_status"), "deployment_status")
        deployment = _obj(payload.get("deployment"), "deployment")
        extra = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
        services = extra.get("services") if isinstance(extra.get("services"), list) else []
        return HostEvent(
            kind="deployment",
            action=action or "created",
            repository=repository,
            environment=_str(deployment, "environment", "deployment", limit=100),
            deployment_state=_str(status, "state", "deployment_status", limit=50).lower(),
            deployment_sha=_sha(deployment, "sha", "deployment"),
            deployed_at=parse_time(status.get("updated_at") or status.get("created_at")),
            services=tuple(str(s)[:200] for s in services[:50] if isinstance(s, str)),
        )
    return HostEvent(kind="ignored", action=action, repository=repository, note=f"event {event!r} not used")


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
        commits = payload.get("commits") or []
        if not isinstance(commits, list):
            raise PayloadError("commits must be a list")
        parsed = []
        for item in commits[:2000]:
            item = _obj(item, "commits[]")
            author = _obj(item.get("author") or {}, "commits[].author")
            parsed.append(
                HostCommit(
                    sha=_sha(item, "id", "commits[]"),
                    message=_str(item, "message", "commits[]", limit=MAX_TEXT),
                    author_email=_str(author, "email", "commits[].author", required=False, limit=320),
                )
            )
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
