"""The suspect ranking as a model: features of each candidate change, weights, a score, an explanation (pure).

Score = sum of weight x feature, read as log-odds against the other candidates of the same incident (a conditional
logit). Features cover recency (in time and in order, over the repository and over the affected paths), how much
of the change lies in the affected paths, size, code against docs and tests, config and migrations, AI assistance,
the risk score, the author's recent reverts, whether it is itself a revert or was already reverted, deployments to
the affected services, gates and sign-offs, later commits that revert or fix it, and with a fix known the share of
the fix's traced lines it last changed (SZZ) and the share of its code files the fix changes. There is no fixed
look-back: every change of the window (since the last known-good deployment, at most 90 days) is a candidate, and
recency is a feature like the others.
`DEFAULT_WEIGHTS` hold when too few confirmed links exist to fit; `fit` (incidents.ranking.fitting) learns weights
from confirmed links, shrunk toward the defaults. The portal (incidents.suspects) and the evaluation on real
histories (incidents.history.evaluate) both rank here; the feature values are incidents.ranking.features', their
words incidents.ranking.words'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import mul

from incidents.ranking.features import Incident, Suspectable, features
from incidents.ranking.words import describe

FEATURES = (
    "recency",
    "order",
    "folder_order",
    "in_folders",
    "named_paths",
    "size",
    "code",
    "config",
    "migration",
    "ai",
    "risk",
    "author_reverts",
    "is_revert",
    "reverted_before",
    "deployed",
    "deploy_recency",
    "later_deploys",
    "deployed_after",
    "gates",
    "overrides",
    "unreviewed",
    "rubber_stamp",
    "careful_review",
    "reverted_after",
    "fixed_after",
    "fixed_before",
    "hotfix_after",
    "blame_share",
    "blame_any",
    "fix_files",
)
# Set from reasoning, not from any repository's answers: recency in the affected paths first, code over docs,
# a deployment to an affected service just before the start, and what happened after the start (a revert, a
# fix that names it, the fix's traced lines) over every prior.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "recency": 0.3,
    "order": 0.3,
    "folder_order": 1.0,
    "in_folders": 1.5,
    "named_paths": 2.0,
    "size": 0.3,
    "code": 1.0,
    "config": 0.2,
    "migration": 0.3,
    "ai": 0.2,
    "risk": 0.3,
    "author_reverts": 0.3,
    "is_revert": -1.0,
    "reverted_before": -3.0,
    "deployed": 1.5,
    "deploy_recency": 0.5,
    "later_deploys": 0.5,
    "deployed_after": -3.0,
    "gates": 0.25,
    "overrides": 0.5,
    "unreviewed": 0.5,
    "rubber_stamp": 0.5,
    "careful_review": -0.2,
    "reverted_after": 4.0,
    "fixed_after": 3.0,
    "fixed_before": 0.5,
    "hotfix_after": 1.0,
    "blame_share": 4.0,
    "blame_any": 3.0,
    "fix_files": 2.0,
}
MIN_LINKS_TO_FIT = 12


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score and the reasons a person can check."""

    key: int
    score: float
    reasons: tuple[tuple[str, float, str], ...]  # (feature, contribution, words), largest first


def rank(
    incident: Incident,
    pool: Sequence[Suspectable],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    explain: int | None = None,
) -> list[Ranked]:
    """Candidates best first (ties: the later merge first), each with every contribution explained (only the
    first `explain` of them when given: the words cost more than the scores)."""
    rows = features(incident, pool)
    # A feature weighted zero adds nothing to a score and never makes a reason (|v| < 0.0005): skipped.
    active = [(n, w) for n in FEATURES if (w := weights.get(n, 0.0))]
    names, ws = [n for n, _ in active], [w for _, w in active]
    # The score sums the contributions in FEATURES order; the (feature, contribution) pairs are built only for the
    # candidates explained, with the same products (building them for all of a busy service's hundreds cost more
    # than the scoring).
    scored = [
        (sum(map(mul, ws, map(row.__getitem__, names))), c.at, c.key, c, row) for c, row in zip(pool, rows, strict=True)
    ]
    scored.sort(key=lambda r: (-r[0], -r[1].timestamp(), r[2]))
    ranked = []
    for place, (score, _, key, c, row) in enumerate(scored):
        reasons: tuple[tuple[str, float, str], ...] = ()
        if explain is None or place < explain:
            parts = [(n, w * row[n]) for n, w in active]
            reasons = tuple(
                (n, round(v, 3), describe(n, row[n], row, c, incident))
                for n, v in sorted(parts, key=lambda p: -abs(p[1]))
                if abs(v) >= 0.0005
            )
        ranked.append(Ranked(key, round(score, 3), reasons))
    return ranked


def usable_weights(stored: Mapping[str, object] | None) -> dict[str, float]:
    """Stored weights read defensively: unknown names dropped, missing ones at their defaults."""
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (stored or {}).items():
        if name in weights and isinstance(value, int | float) and math.isfinite(value):
            weights[name] = float(value)
    return weights
