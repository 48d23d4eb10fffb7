"""Read an imported repository's history from its mirror for the evaluation (git only, no database writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.dateparse import parse_datetime

from incidents.history.cases import Commit, MainChange, main_line
from intake.gitrepo import Mirror


@dataclass(frozen=True)
class History:
    """Main-line changes oldest first, the landing change of every commit, and every commit's message."""

    changes: list[MainChange]
    landed: dict[str, int]
    messages: dict[str, str]
    commits: dict[str, Commit]


def read_history(mirror: Mirror, branch: str, *, files_since: str = "") -> History:
    """The history of `branch` (its files from `files_since` on, empty before)."""
    head = mirror.resolve(branch)
    commits = []
    for record in mirror.log(head):
        at = parse_datetime(record["committed_at"])
        if at is None:
            continue
        commits.append(
            Commit(
                sha=record["sha"],
                parents=tuple(record["parents"]),
                author_name=record["author_name"],
                author_email=record["author_email"],
                at=at,
                message=record["message"],
            )
        )
    files = mirror.first_parent_files(head, since=files_since)
    changes, landed = main_line(commits, head, files)
    return History(changes, landed, {c.sha: c.message for c in commits}, {c.sha: c for c in commits})


def since_text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""
