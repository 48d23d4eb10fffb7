"""Weights for the suspect model learnt from confirmed links: a conditional logit, shrunk toward a prior (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import minimize

from incidents.ranking.model import DEFAULT_WEIGHTS, FEATURES, MIN_LINKS_TO_FIT


def fit(
    links: Sequence[tuple[Sequence[Mapping[str, float]], int]],
    prior: Mapping[str, float] = DEFAULT_WEIGHTS,
    strength: float = 1.0,
) -> dict[str, float]:
    """Weights that make each confirmed culprit likeliest among its incident's candidates (conditional logit),
    with a Gaussian prior centred on `prior`; `links`: (feature rows of the candidates, index of the culprit).
    Fewer than MIN_LINKS_TO_FIT links: the prior itself."""
    usable = [(rows, i) for rows, i in links if len(rows) > 1 and 0 <= i < len(rows)]
    if len(usable) < MIN_LINKS_TO_FIT:
        return dict(prior)
    mats = [np.array([[r.get(n, 0.0) for n in FEATURES] for r in rows]) for rows, _ in usable]
    picks = [i for _, i in usable]
    w0 = np.array([prior.get(n, 0.0) for n in FEATURES])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total = 0.5 * strength * float(np.sum((w - w0) ** 2))
        grad = strength * (w - w0)
        for x, i in zip(mats, picks, strict=True):
            s = x @ w
            m = s.max()
            p = np.exp(s - m)
            z = p.sum()
            total -= s[i] - m - math.log(z)
            grad -= x[i] - (p / z) @ x
        return total, grad

    result = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 200})
    return {n: round(float(v), 4) for n, v in zip(FEATURES, result.x, strict=True)}
