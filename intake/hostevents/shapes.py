"""The plain events a delivery becomes, and the field readers both hosts' parsers share (pure)."""

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
    # The GitHub App installation the delivery came through (every App delivery names it), and for installation
    # events what it grants: the account, and the repositories added or removed.
    installation_id: int | None = None
    account: str = ""
    repositories_added: tuple[str, ...] = ()
    repositories_removed: tuple[str, ...] = ()


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


def push_commits(payload: dict) -> list[HostCommit]:
    """The commits of a push event (GitHub and GitLab name the same fields), at most 2,000."""
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
    return parsed
