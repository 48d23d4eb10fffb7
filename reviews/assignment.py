"""Choose a reviewer for a change (pure): eligible seniors, least load first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A possible reviewer and what is known of their load."""

    engineer_id: int
    name: str
    level: int
    is_away: bool
    open_minutes: int
    capacity_minutes: int
    owns_paths: bool = False


@dataclass(frozen=True)
class Pick:
    """The chosen reviewer and why."""

    engineer_id: int
    reasons: tuple[str, ...]


def pick_reviewer(
    candidates: Sequence[Candidate],
    *,
    author_id: int | None,
    exclude_ids: frozenset[int] = frozenset(),
    senior_level: int = 6,
    owner_required: bool = False,
) -> Pick | None:
    """The eligible senior with the least open review load; never the author."""
    eligible = [
        c
        for c in candidates
        if c.level >= senior_level
        and not c.is_away
        and c.engineer_id != author_id
        and c.engineer_id not in exclude_ids
        and (c.owns_paths or not owner_required)
    ]
    if not eligible:
        return None
    best = min(eligible, key=lambda c: (c.open_minutes / max(c.capacity_minutes, 1), c.open_minutes, c.engineer_id))
    share = round(100 * best.open_minutes / max(best.capacity_minutes, 1))
    reasons = [f"least open review load among {len(eligible)} eligible seniors ({share}% of weekly capacity)"]
    if owner_required:
        reasons.insert(0, "owns the sensitive paths this change touches")
    return Pick(engineer_id=best.engineer_id, reasons=tuple(reasons))
