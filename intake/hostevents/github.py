"""GitHub deliveries into plain events (pure): pull requests, reviews, pushes, deployments, installations."""

from __future__ import annotations

from typing import Any

from intake.hostevents.shapes import (
    MAX_REVIEW_BODY,
    MAX_TEXT,
    HostChange,
    HostEvent,
    _host_id,
    _int,
    _labels,
    _obj,
    _optional_sha,
    _ref,
    _sha,
    _str,
    parse_time,
    push_commits,
)

# --- GitHub -----------------------------------------------------------------


def _github_repository(payload: dict) -> str:
    return _str(_obj(payload.get("repository"), "repository"), "full_name", "repository", limit=300)


# Events Countersign acts on: these must name their repository. Every other event (organisation, team,
# membership, marketplace, sponsorship, security advisories, ...) may come without one and is recorded and ignored.
ACTED_ON = {"pull_request", "pull_request_review", "push", "deployment_status"}
INSTALLATION_EVENTS = {"installation", "installation_repositories"}


def _installation_id(payload: dict) -> int | None:
    installation = payload.get("installation")
    return _optional_big_id(installation.get("id")) if isinstance(installation, dict) else None


def _optional_big_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def _repository_names(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        i["full_name"][:300] for i in items[:5000] if isinstance(i, dict) and isinstance(i.get("full_name"), str)
    )


def _github_installation(event: str, payload: dict) -> HostEvent:
    """An App installed, removed, suspended, or granted repositories: what the portal stores per repository."""
    installation = _obj(payload.get("installation"), "installation")
    installation_id = _host_id(installation, "id", "installation")
    account = installation.get("account") if isinstance(installation.get("account"), dict) else {}
    action = _str(payload, "action", "payload", required=False, limit=100)
    if event == "installation":
        added = _repository_names(payload.get("repositories")) if action == "created" else ()
        removed = _repository_names(payload.get("repositories")) if action == "deleted" else ()
    else:
        added = _repository_names(payload.get("repositories_added"))
        removed = _repository_names(payload.get("repositories_removed"))
    return HostEvent(
        kind="installation",
        action=action,
        repository="",
        installation_id=int(installation_id),
        account=str(account.get("login") or "")[:200],
        repositories_added=added,
        repositories_removed=removed,
    )


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
    if event in INSTALLATION_EVENTS:
        return _github_installation(event, payload)
    action = _str(payload, "action", "payload", required=False, limit=100)
    if event not in ACTED_ON:
        named = payload.get("repository")
        name = named.get("full_name") if isinstance(named, dict) else None
        return HostEvent(
            kind="ignored",
            action=action,
            repository=name[:300] if isinstance(name, str) else "",
            note=f"event {event[:100]!r} not used",
            installation_id=_installation_id(payload),
        )
    repository = _github_repository(payload)
    if event == "pull_request":
        if action not in PULL_REQUEST_ACTIONS:
            return HostEvent(kind="ignored", action=action, repository=repository, note=f"action {action!r} not used")
        change = _github_pull(_obj(payload.get("pull_request"), "pull_request"))
        return HostEvent(
            kind="change",
            action=action,
            repository=repository,
            change=change,
            installation_id=_installation_id(payload),
        )
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
        parsed = push_commits(payload)
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
