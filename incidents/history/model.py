"""The suspect ranking as a model: features of each candidate change, weights, a score, an explanation (pure).

Score = sum of weight x feature, read as log-odds against the other candidates of the same incident (a
conditional logit). Features cover recency (in time and in order, over the repository and over the affected
folders), how much of the change lies in the affected folders, size, code against docs and tests, config and
migrations, AI assistance, the risk score, the author's recent reverts, whether it is itself a revert or was
already reverted, and with a fix known the share of the fix's traced lines it last changed (SZZ). There is no
look-back cut: every change of the window (since the last known-good deployment, at most 90 days) is a
candidate, and recency is a feature like the others. `DEFAULT_WEIGHTS` hold when too few confirmed links
exist to fit; `fit` learns weights from confirmed links, shrunk toward the defaults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import minimize

_TEST_RE = re.compile(
    r"(^|/)(tests?|testing|testdata|__tests__|spec)(/|$)|(^|/)test_[^/]*$|_test\.[^/]+$|\.(test|spec)\."
)
_DOC_RE = re.compile(
    r"(^|/)(docs?|news|changelog\.d|changes)(/|$)|\.(md|rst|txt|adoc)$|(^|/)(CHANGELOG|NEWS|AUTHORS)", re.I
)
_CONFIG_RE = re.compile(
    r"(^|/)(pyproject\.toml|setup\.(py|cfg)|requirements[^/]*\.(txt|in)|go\.(mod|sum)|package(-lock)?\.json|"
    r"Dockerfile|Makefile|tox\.ini|noxfile\.py|[^/]*\.ya?ml|[^/]*\.toml|[^/]*\.ini|[^/]*\.cfg)$",
    re.I,
)
_MIGRATION_RE = re.compile(r"(^|/)(migrations?|alembic/versions|versions)/", re.I)

FEATURES = (
    "recency",
    "order",
    "folder_order",
    "in_folders",
    "size",
    "code",
    "config",
    "migration",
    "ai",
    "risk",
    "author_reverts",
    "is_revert",
    "reverted_before",
    "blame_share",
    "blame_any",
)
# Set from reasoning, not from any repository's answers: recency in the affected folders first, code over docs.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "recency": 0.3,
    "order": 0.3,
    "folder_order": 1.0,
    "in_folders": 1.5,
    "size": 0.3,
    "code": 1.0,
    "config": 0.2,
    "migration": 0.3,
    "ai": 0.2,
    "risk": 0.3,
    "author_reverts": 0.3,
    "is_revert": -1.0,
    "reverted_before": -3.0,
    "blame_share": 4.0,
    "blame_any": 3.0,
}
MIN_LINKS_TO_FIT = 12


@dataclass(frozen=True)
class Suspectable:
    """A change that could be the cause, as the model reads it."""

    key: int
    at: datetime
    paths: tuple[str, ...]
    lines: int = 0
    author: str = ""
    is_revert: bool = False
    reverted_at: datetime | None = None  # when a revert of it reached the main line
    ai_assisted: bool = False
    risk: float | None = None


@dataclass(frozen=True)
class Incident:
    """What the model knows of the incident: its start, the affected folders, the fix's trace if known."""

    start: datetime
    folders: tuple[str, ...]  # top-level folders ('' = root files)
    blamed: Mapping[int, int] = field(default_factory=dict)  # candidate key -> traced lines it last changed
    blamed_total: int = 0
    author_reverts: Mapping[str, int] = field(default_factory=dict)  # author -> changes reverted in 90 days


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score and the reasons a person can check."""

    key: int
    score: float
    reasons: tuple[tuple[str, float, str], ...]  # (feature, contribution, words)


def _in(path: str, folders: Sequence[str]) -> bool:
    top = path.split("/", 1)[0] if "/" in path else ""
    return top in folders


def is_code(path: str) -> bool:
    """Neither tests nor documentation."""
    return not _TEST_RE.search(path) and not _DOC_RE.search(path)


def features(incident: Incident, pool: Sequence[Suspectable]) -> list[dict[str, float]]:
    """The feature values of every candidate, in the pool's order."""
    newer = sorted((c.at for c in pool), reverse=True)
    in_folder_times = sorted((c.at for c in pool if any(_in(p, incident.folders) for p in c.paths)), reverse=True)
    rows = []
    for c in pool:
        age_hours = max(0.0, (incident.start - c.at).total_seconds() / 3600)
        code = [p for p in c.paths if is_code(p)]
        judged = code or list(c.paths)
        inside = [p for p in judged if _in(p, incident.folders)]
        touches = bool(inside)
        later = sum(1 for t in newer if t > c.at)
        later_in = sum(1 for t in in_folder_times if t > c.at) if touches else len(in_folder_times)
        blamed = incident.blamed.get(c.key, 0)
        rows.append(
            {
                "recency": -math.log1p(age_hours / 24),
                "order": -math.log1p(later),
                "folder_order": -math.log1p(later_in),
                "in_folders": len(inside) / len(judged) if judged else 0.0,
                "size": math.log1p(max(0, c.lines)) / math.log(1000),
                "code": 1.0 if code else 0.0,
                "config": 1.0 if any(_CONFIG_RE.search(p) for p in c.paths) else 0.0,
                "migration": 1.0 if any(_MIGRATION_RE.search(p) for p in c.paths) else 0.0,
                "ai": 1.0 if c.ai_assisted else 0.0,
                "risk": _logit(c.risk) - _logit(0.4) if c.risk is not None else 0.0,
                "author_reverts": math.log1p(incident.author_reverts.get(c.author, 0)),
                "is_revert": 1.0 if c.is_revert else 0.0,
                "reverted_before": 1.0 if c.reverted_at is not None and c.reverted_at <= incident.start else 0.0,
                "blame_share": blamed / incident.blamed_total if incident.blamed_total else 0.0,
                "blame_any": 1.0 if blamed else 0.0,
            }
        )
    return rows


def _logit(p: float) -> float:
    p = min(0.99, max(0.01, p))
    return math.log(p / (1 - p))


def _words(name: str, value: float, row: Mapping[str, float], c: Suspectable, incident: Incident) -> str:
    age = (incident.start - c.at).total_seconds() / 3600
    folders = ", ".join(f or "(root files)" for f in incident.folders) or "none"
    later_in = round(math.expm1(-row["folder_order"]))
    return {
        "recency": f"merged {age:.0f} h before the start",
        "order": f"{round(math.expm1(-row['order']))} change(s) merged after it",
        "folder_order": f"{later_in} later change(s) in the affected folders ({folders})",
        "in_folders": f"{value:.0%} of its code files in the affected folders",
        "size": f"{c.lines} changed lines",
        "code": "changes code (not only tests or docs)" if value else "only tests or docs",
        "config": "touches configuration or dependencies",
        "migration": "touches a migration",
        "ai": "AI-assisted",
        "risk": f"risk score {c.risk:.2f}" if c.risk is not None else "",
        "author_reverts": f"its author had {incident.author_reverts.get(c.author, 0)} change(s) reverted in 90 days",
        "is_revert": "is itself a revert",
        "reverted_before": "already reverted before the start",
        "blame_share": f"last changed {incident.blamed.get(c.key, 0)} of {incident.blamed_total} lines the fix changes",
        "blame_any": "the fix changes lines it last touched",
    }[name]


def rank(
    incident: Incident, pool: Sequence[Suspectable], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> list[Ranked]:
    """Candidates best first (ties: the later merge first), each with its largest reasons."""
    rows = features(incident, pool)
    ranked = []
    for c, row in zip(pool, rows, strict=True):
        parts = [(n, weights.get(n, 0.0) * row[n]) for n in FEATURES]
        score = sum(v for _, v in parts)
        reasons = tuple(
            (n, round(v, 3), _words(n, row[n], row, c, incident))
            for n, v in sorted(parts, key=lambda p: -abs(p[1]))
            if abs(v) >= 0.05
        )
        ranked.append((score, c.at, c.key, reasons))
    ranked.sort(key=lambda r: (-r[0], -r[1].timestamp(), r[2]))
    return [Ranked(key, round(score, 3), reasons) for score, _, key, reasons in ranked]


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
    mats = [np.array([[r[n] for n in FEATURES] for r in rows]) for rows, _ in usable]
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
