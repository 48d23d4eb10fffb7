"""An assignment replay built from a real history: humans only, pull-request authors credited, minutes capped.

Bots (dependency updates, CI, merge bots) are neither seniors nor replayed: nobody reviews their changes in the
replay and they know no files. A merge commit is credited to the author of its branch commits, not to the
maintainer who pressed merge. Review minutes follow the portal's estimate, capped at MAX_MINUTES (no careful
review of a 20,000-line vendored update takes 14 hours; the cap keeps one such change from deciding the Gini).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from assignment.history import FileTouch, ReplayChange, Senior
from assignment.metrics import Metrics
from assignment.simulation import STRATEGIES, simulate
from incidents.history.cases import MainChange
from incidents.ranking.features import is_code
from policy.risk import estimate_review_minutes

MAX_MINUTES = 60


def replay_changes(changes: Sequence[MainChange], *, max_minutes: int = MAX_MINUTES) -> list[ReplayChange]:
    """Human changes with files, as the replay reads them."""
    result = []
    for c in changes:
        if c.is_bot or not c.paths:
            continue
        minutes = min(max_minutes, estimate_review_minutes(c.lines, len(c.paths), 0.0))
        files = tuple(FileTouch(path=p) for p in c.paths)
        result.append(ReplayChange(at=c.at, author=c.author, files=files, minutes=minutes, ref=c.index))
    return result


def most_active(changes: Sequence[ReplayChange], n: int) -> list[str]:
    """The n people with most changes in the period; ties by name, never by how prolific they were before."""
    counts = Counter(c.author for c in changes)
    return sorted(counts, key=lambda a: (-counts[a], a))[:n]


def replay(
    changes: Sequence[MainChange],
    *,
    since: datetime,
    seniors: int = 10,
    max_minutes: int = MAX_MINUTES,
    strategies: Sequence[str] = STRATEGIES,
) -> tuple[list[str], list[Metrics]]:
    """Replay the changes from `since` under each strategy, earlier ones as authorship history."""
    everything = replay_changes(changes, max_minutes=max_minutes)
    history = [c for c in everything if c.at < since]
    period = [c for c in everything if c.at >= since]
    keys = most_active(period, seniors)
    people = [Senior(key=k, name=k) for k in keys]
    return keys, [simulate(period, people, strategy=s, history=history) for s in strategies]


def code_share(change: MainChange) -> float:
    """Share of the change's files that are code (for reports)."""
    return sum(1 for p in change.paths if is_code(p)) / len(change.paths) if change.paths else 0.0
