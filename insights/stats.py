"""Metric arithmetic for the dashboards and the weekly report (pure: plain values in, plain values out).

Percentiles and the Gini coefficient are the ones the assignment replay uses (assignment.simulation), so a figure
on a dashboard and the same figure in a replay agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assignment.metrics import gini, percentile_nearest_rank
from assignment.picking import directory_of

__all__ = [
    "MIN_N",
    "SIZE_BUCKETS",
    "bus_factor",
    "gini",
    "percentile_nearest_rank",
    "rate",
    "size_bucket",
    "top_share",
    "wilson_interval",
]

# Below this many observations a rate is shown as "not enough data", never as a percentage.
MIN_N = 10
Z95 = 1.959963984540054
# Size buckets by changed lines (added + removed): larger changes fail more whatever wrote them.
SIZE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("small", 0, 99),
    ("medium", 100, 499),
    ("large", 500, None),
)


def size_bucket(lines_changed: int) -> str:
    """The size bucket of a change with that many changed lines."""
    for name, low, high in SIZE_BUCKETS:
        if lines_changed >= low and (high is None or lines_changed <= high):
            return name
    return SIZE_BUCKETS[0][0]


def size_bucket_label(name: str) -> str:
    """'small (0–99 lines)' and so on, as the pages state the thresholds."""
    for bucket, low, high in SIZE_BUCKETS:
        if bucket == name:
            return f"{bucket} ({low}–{high} lines)" if high is not None else f"{bucket} ({low}+ lines)"
    raise ValueError(f"no size bucket {name!r}")


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default); (0, 1) when there is no observation."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # Exact at the ends: no rounding residue when nothing (or everything) succeeded.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def rate(successes: int, n: int, *, min_n: int = MIN_N) -> dict[str, Any]:
    """A rate with its denominator and 95% Wilson interval; `enough` is False (and `value` None) below min_n."""
    low, high = wilson_interval(successes, n)
    enough = n >= min_n
    return {
        "k": successes,
        "n": n,
        "enough": enough,
        "value": successes / n if enough else None,
        "low": low if enough else None,
        "high": high if enough else None,
    }


def top_share(values: Sequence[float], fraction: float = 0.1) -> float:
    """Share of the total held by the top `fraction` of the values (at least one value); 0 for no total."""
    total = sum(values)
    if not values or total <= 0:
        return 0.0
    count = max(1, math.ceil(fraction * len(values)))
    return sum(sorted(values, reverse=True)[:count]) / total


def bus_factor(knowers: Mapping[str, Iterable[str]]) -> int:
    """The fewest people whose leaving would leave more than half of the files with nobody who knows them.

    The greedy estimate of Avelino et al. (2016): remove the person who knows the most files still covered,
    again and again, until more than half of the files are left with no knower. Files nobody knows count as
    uncovered from the start; 0 when half of them already are.
    """
    sets = {path: set(people) for path, people in knowers.items()}
    total = len(sets)
    if total == 0:
        return 0
    removed = 0
    while True:
        orphans = sum(1 for people in sets.values() if not people)
        if orphans * 2 > total:
            return removed
        counts: dict[str, int] = {}
        for people in sets.values():
            for person in people:
                counts[person] = counts.get(person, 0) + 1
        if not counts:
            return removed
        # Most files first; the name breaks ties so the answer does not depend on dict order.
        leaver = min(counts, key=lambda p: (-counts[p], p))
        for people in sets.values():
            people.discard(leaver)
        removed += 1


def directory_knowers(knowers: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """The people who know some file directly in each directory ('' for the top level)."""
    result: dict[str, set[str]] = {}
    for path, people in knowers.items():
        result.setdefault(directory_of(path), set()).update(people)
    return result
