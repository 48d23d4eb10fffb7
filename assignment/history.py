"""The history an assignment replay walks, as plain values, and how to cut it (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FileTouch:
    """One file of a change: its path, lines the author added, and how it changed."""

    path: str
    lines_added: int = 0
    status: str = "modified"  # added, modified, deleted, renamed, binary
    old_path: str = ""


@dataclass(frozen=True)
class ReplayChange:
    """A change as the replay sees it: when, who wrote it, its files, its estimated review minutes, and what the
    policy asks of it: how many sign-offs (0: authored only, nobody reviews it) and who may give them (empty: any
    senior; when none of them is among the seniors, any senior, as in the portal when no owner is on record)."""

    at: datetime
    author: str
    files: tuple[FileTouch, ...]
    minutes: int = 0
    sign_offs: int = 1
    eligible: frozenset[str] = frozenset()
    ref: int | None = None  # the caller's id of the change (its primary key)


@dataclass(frozen=True)
class ReplayReview:
    """One review the replay gave: when the change arrived, who reviewed it, the minutes, the wait in hours."""

    at: datetime
    reviewer: str
    minutes: int
    wait_hours: float
    ref: int | None = None


@dataclass(frozen=True)
class Senior:
    """A possible reviewer in the replay."""

    key: str
    name: str = ""
    capacity_minutes: int = 240
    max_open: int | None = None


def split_history(changes: Sequence[ReplayChange], start: datetime | None) -> tuple[list, list]:
    """(history before `start`, changes from `start` on); everything is replayed when `start` is None."""
    if start is None:
        return [], list(changes)
    return [c for c in changes if c.at < start], [c for c in changes if c.at >= start]


def top_authors(changes: Sequence[ReplayChange], k: int, *, leave_out: Collection[str] = ()) -> list[str]:
    """The k people who authored the most changes, but those left out (bots); ties go to the earlier first change,
    then the key."""
    counts: dict[str, int] = {}
    first: dict[str, datetime] = {}
    for c in sorted(changes, key=lambda c: c.at):
        if c.author in leave_out:
            continue
        counts[c.author] = counts.get(c.author, 0) + 1
        first.setdefault(c.author, c.at)
    return sorted(counts, key=lambda a: (-counts[a], first[a], a))[:k]
