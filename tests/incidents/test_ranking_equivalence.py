"""The ranking's scoring (incidents.ranking.model.rank over incidents.ranking.features) gives what its first,
plainer form gave: the same order, scores and reasons on seeded random pools. The plainer form is kept here as the
reference."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

import pytest

from incidents.ranking import features as model_features
from incidents.ranking.features import ROOT, STATED, Incident, Suspectable, features, is_code, under
from incidents.ranking.model import DEFAULT_WEIGHTS, FEATURES, Ranked, rank
from incidents.ranking.words import describe

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
PATHS = (
    "services/checkout/cart.py",
    "services/checkout/tests/test_cart.py",
    "services/checkout/README.md",
    "services/checkout/migrations/0004_total.py",
    "services/search/index.py",
    "services/search/config.yaml",
    "docs/checkout.rst",
    "pyproject.toml",
    "Makefile",
    "setup.py",
)


def _features_before(incident: Incident, pool: list[Suspectable]) -> list[dict[str, float]]:
    merged = sorted(c.at for c in pool)
    in_folder_times = sorted(c.at for c in pool if any(under(p, incident.folders) and is_code(p) for p in c.paths))
    rows = []
    for c in pool:
        code = [p for p in c.paths if is_code(p)]
        judged = code or list(c.paths)
        inside = [p for p in judged if under(p, incident.folders)]
        touches = bool(inside)
        later = len(merged) - bisect_right(merged, c.at)
        later_in = len(in_folder_times) - bisect_right(in_folder_times, c.at) if touches else len(in_folder_times)
        blamed = incident.blamed.get(c.key, 0)
        deployed_at, later_deploys, implied = c.deployed_at, c.later_deploys, False
        if deployed_at is None and touches and incident.implied_deploys and not incident.deploys_recorded:
            deployed_at, later_deploys, implied = c.at, later_in, True
        deployed = deployed_at is not None and deployed_at <= incident.start
        hours = max(0.0, (incident.start - c.at).total_seconds() / 3600)
        row = {
            "recency": -math.log1p(hours / 24),
            "order": -math.log1p(later),
            "folder_order": -math.log1p(later_in),
            "in_folders": len(inside) / len(judged) if judged else 0.0,
            "named_paths": (
                sum(1 for p in judged if under(p, incident.named)) / len(judged) if judged and incident.named else 0.0
            ),
            "size": math.log1p(max(0, c.lines)) / math.log(1000),
            "code": 1.0 if code else 0.0,
            "config": 1.0 if any(model_features._CONFIG_RE.search(p) for p in c.paths) else 0.0,
            "migration": 1.0 if any(model_features._MIGRATION_RE.search(p) for p in c.paths) else 0.0,
            "ai": 1.0 if c.ai_assisted else 0.0,
            "risk": model_features._logit(c.risk) - model_features._logit(0.4) if c.risk is not None else 0.0,
            "author_reverts": math.log1p(incident.author_reverts.get(c.author, 0)),
            "is_revert": 1.0 if c.is_revert else 0.0,
            "reverted_before": 1.0 if c.reverted_at is not None and c.reverted_at <= incident.start else 0.0,
            "deployed": 1.0 if deployed else 0.0,
            # An implied deployment (the merge) adds no recency of its own: recency and folder_order count it.
            "deploy_recency": (
                -math.log1p(max(0.0, (incident.start - deployed_at).total_seconds() / 3600) / 24)
                if deployed and not implied
                else 0.0
            ),
            "later_deploys": -math.log1p(later_deploys) if deployed and not implied else 0.0,
            "deployed_after": 1.0 if not deployed and c.deployed_after is not None else 0.0,
            "gates": float(min(3, len(c.gate_warnings))),
            "overrides": float(min(3, len(c.gate_overrides))),
            "blame_share": blamed / incident.blamed_total if incident.blamed_total else 0.0,
            "blame_any": 1.0 if blamed else 0.0,
            "fix_files": (
                sum(1 for p in judged if p in incident.fix_paths) / len(judged)
                if judged and incident.fix_paths
                else 0.0
            ),
        }
        for name in STATED:
            row[name] = 1.0 if name in c.stated else 0.0
        row["_implied"] = 1.0 if implied else 0.0
        rows.append(row)
    return rows


def _rank_before(incident: Incident, pool: list[Suspectable], weights, explain: int | None) -> list[Ranked]:
    rows = _features_before(incident, pool)
    active = [(n, w) for n in FEATURES if (w := weights.get(n, 0.0))]
    scored = []
    for c, row in zip(pool, rows, strict=True):
        parts = [(n, w * row[n]) for n, w in active]
        scored.append((sum(v for _, v in parts), c.at, c.key, parts, c, row))
    scored.sort(key=lambda r: (-r[0], -r[1].timestamp(), r[2]))
    ranked = []
    for place, (score, _, key, parts, c, row) in enumerate(scored):
        reasons: tuple = ()
        if explain is None or place < explain:
            reasons = tuple(
                (n, round(v, 3), describe(n, row[n], row, c, incident))
                for n, v in sorted(parts, key=lambda p: -abs(p[1]))
                if abs(v) >= 0.0005
            )
        ranked.append(Ranked(key, round(score, 3), reasons))
    return ranked


def _seeded_case(seed: int) -> tuple[Incident, list[Suspectable], dict[str, float]]:
    rnd = random.Random(seed)
    pool = []
    for key in range(rnd.randint(1, 120)):
        at = T0 - timedelta(minutes=rnd.randint(1, 60 * 24 * 60))
        deployed_at = at + timedelta(minutes=rnd.randint(0, 600)) if rnd.random() < 0.4 else None
        pool.append(
            Suspectable(
                key=key,
                at=at,
                paths=tuple(rnd.sample(PATHS, rnd.randint(0, 4))),
                lines=rnd.randint(0, 3000),
                author=rnd.choice(("ana", "bo", "cy")),
                is_revert=rnd.random() < 0.1,
                reverted_at=T0 - timedelta(hours=1) if rnd.random() < 0.1 else None,
                ai_assisted=rnd.random() < 0.3,
                risk=rnd.random() if rnd.random() < 0.7 else None,
                risk_reasons=("big diff",),
                deployed_at=deployed_at,
                deployed_to="checkout" if deployed_at else "",
                later_deploys=rnd.randint(0, 5),
                batch=rnd.randint(0, 3),
                deployed_after=T0 + timedelta(hours=2) if rnd.random() < 0.1 else None,
                gate_warnings=("tests: flaky",) * rnd.randint(0, 4),
                gate_overrides=("lint by bo: ok",) * rnd.randint(0, 2),
                stated={name: f"seen {name}" for name in STATED if rnd.random() < 0.1},
            )
        )
    incident = Incident(
        start=T0,
        folders=rnd.choice((("services/checkout/",), ("",), (ROOT,), ("services/search", "docs"))),
        blamed={k: rnd.randint(1, 5) for k in rnd.sample(range(len(pool)), min(len(pool), 3))},
        blamed_total=20,
        author_reverts={"bo": 2},
        named=rnd.choice(((), ("services/checkout/cart.py",), ("setup.py", "docs"))),
        fix="f" * 40,
        deploys_recorded=rnd.random() < 0.5,
        implied_deploys=rnd.random() < 0.8,
        services="checkout",
        fix_paths=frozenset(rnd.choice(((), ("services/checkout/cart.py", "setup.py"), ("docs/checkout.rst",)))),
    )
    weights = dict(DEFAULT_WEIGHTS)
    for name in rnd.sample(FEATURES, 5):
        weights[name] = rnd.choice((0.0, round(rnd.uniform(-3, 3), 4)))
    return incident, pool, weights


@pytest.mark.parametrize("seed", range(12))
def test_the_ranking_gives_what_its_plainer_form_gave(seed):
    incident, pool, weights = _seeded_case(seed)

    assert features(incident, pool) == _features_before(incident, pool)
    for explain in (None, 0, 5):
        assert rank(incident, pool, weights, explain) == _rank_before(incident, pool, weights, explain)
