"""Whether a sign-off was too fast to be a review (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Floor:
    """The least active time a sign-off of a given size should take."""

    seconds_per_10_lines: int = 1
    min_seconds: int = 20
    require_all_viewed: bool = True


@dataclass(frozen=True)
class Verdict:
    """Too fast or not, and the sentence that says why."""

    too_fast: bool
    floor_seconds: int
    reasons: tuple[str, ...]


def floor_seconds(lines_changed: int, floor: Floor) -> int:
    """Seconds of active review a change of this size needs at the least."""
    return max(floor.min_seconds, (lines_changed * floor.seconds_per_10_lines + 9) // 10)


def check_sign_off(
    *, seconds_spent: int, lines_changed: int, files_viewed: int, files_total: int, floor: Floor = Floor()
) -> Verdict:
    """A sign-off is a rubber stamp when active time is under the floor or not every file was viewed."""
    needed = floor_seconds(lines_changed, floor)
    reasons = []
    if seconds_spent < needed:
        reasons.append(f"{seconds_spent} s of active review for {lines_changed} changed lines (floor {needed} s)")
    if floor.require_all_viewed and files_total and files_viewed < files_total:
        reasons.append(f"{files_viewed} of {files_total} files marked viewed")
    return Verdict(too_fast=bool(reasons), floor_seconds=needed, reasons=tuple(reasons))
