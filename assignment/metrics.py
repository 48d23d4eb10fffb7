"""The outcome of an assignment replay and the statistics it is measured with (pure).

Metrics (issue 6):

- `changes`: changes replayed.
- `expertise`: share of the changes whose reviewer had authored or reviewed at least one touched file before.
- `workload_gini`: Gini coefficient of review minutes over the seniors (those given no review count as 0).
- `max_share`: the largest share of all review minutes on one senior.
- `files_at_risk`: at the end, the share of the repository's files known by at most one active person. A person
  knows a file they authored at any time before or during the replay, or reviewed during it; active means they
  authored or reviewed something in the 90 days before the end. The repository's files are those the history
  touched, less those it deleted or renamed away; generated files are left out by the caller.
- `senior_hours`: estimated review hours of the changes that got a reviewer.
- `p90_queue_hours`: 90th percentile (nearest rank) of how long a change waits until its reviewer starts on
  it, when every senior works through their own queue first come first served at the pace of their weekly
  capacity (a senior with 240 minutes a week gets through 240 minutes of review in 7 days).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assignment.history import ReplayReview


@dataclass(frozen=True)
class Metrics:
    """The outcome of one replay."""

    strategy: str
    changes: int
    expertise: float
    workload_gini: float
    max_share: float
    files_at_risk: float
    senior_hours: float
    p90_queue_hours: float
    minutes_by_senior: tuple[tuple[str, int], ...] = ()
    picks: tuple[str | None, ...] = ()  # the (first) reviewer of each replayed change, in time order; None: nobody
    reviews: tuple[ReplayReview, ...] = ()  # every review given, in time order

    def as_dict(self) -> dict[str, object]:
        """The metrics of issue 6, rounded for display, keyed by their names."""
        return {
            "strategy": self.strategy,
            "changes": self.changes,
            "expertise": round(self.expertise, 3),
            "workload_gini": round(self.workload_gini, 3),
            "max_share": round(self.max_share, 3),
            "files_at_risk": round(self.files_at_risk, 3),
            "senior_hours": round(self.senior_hours, 1),
            "p90_queue_hours": round(self.p90_queue_hours, 1),
        }


def gini(values: Sequence[float]) -> float:
    """Gini coefficient: 0 when all are equal, (n-1)/n when one has everything; 0 for nothing at all."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered))
    return weighted / (n * total)


def percentile_nearest_rank(values: Sequence[float], q: float) -> float:
    """The smallest value with at least q of the values at or below it; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
