"""Hit rates and their intervals (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 %): honest at small n and at 0 or n hits; (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: Sequence[float], z: float = Z95) -> tuple[float, float, float]:
    """Mean and a normal-approximation 95 % interval, clipped to [0, 1] (for the mean reciprocal rank)."""
    n = len(values)
    if not n:
        return 0.0, 0.0, 1.0
    mean = sum(values) / n
    if n == 1:
        return mean, 0.0, 1.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = z * sd / math.sqrt(n)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def summarise(ranks: Sequence[int | None]) -> dict[str, object]:
    """top-1, top-5 and mean reciprocal rank of the culprit's ranks (None: not ranked), with 95 % intervals."""
    n = len(ranks)
    top1 = sum(1 for r in ranks if r == 1)
    top5 = sum(1 for r in ranks if r is not None and r <= 5)
    mrr, low, high = mean_interval([1.0 / r if r else 0.0 for r in ranks])

    def share(hits: int) -> dict[str, object]:
        lo, hi = wilson(hits, n)
        return {"hits": hits, "rate": round(hits / n, 3) if n else None, "ci95": [round(lo, 3), round(hi, 3)]}

    return {
        "cases": n,
        "top1": share(top1),
        "top5": share(top5),
        # No case in reach (pallets/flask's reverts since 2020): no mean to report, as for the rates.
        "mrr": {"value": round(mrr, 3) if n else None, "ci95": [round(low, 3), round(high, 3)]},
    }
