"""What a host says of a pull/merge request (read for AI detection and the author)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metadata:
    """What the host says of a pull/merge request."""

    title: str
    body: str
    labels: tuple[str, ...]
    author_login: str
    draft: bool
    author_host_id: int | None = None  # GitLab's user id of the author
