"""The suspect ranking as a model: features of each candidate change, weights, a score, an explanation (pure).

Score = sum of weight x feature, read as log-odds against the other candidates of the same incident (a conditional
logit). Features cover recency (in time and in order, over the repository and over the affected paths), how much
of the change lies in the affected paths, size, code against docs and tests, config and migrations, AI assistance,
the risk score, the author's recent reverts, whether it is itself a revert or was already reverted, deployments to
the affected services, gates and sign-offs, later commits that revert or fix it, and with a fix known the share of
the fix's traced lines it last changed (SZZ). There is no fixed look-back: every change of the window (since the
last known-good deployment, at most 90 days) is a candidate, and recency is a feature like the others.
`DEFAULT_WEIGHTS` hold when too few confirmed links exist to fit; `fit` (incidents.ranking.fitting) learns weights
from confirmed links, shrunk toward the defaults. The portal (incidents.suspects) and the evaluation on real
histories (incidents.history.evaluate) both rank here.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import mul

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
ROOT = "/"  # in a scope: the files at the repository's root

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
}
MIN_LINKS_TO_FIT = 12
# Facts a caller states about a candidate in words (a later revert, a fix, a review): the feature they set.
STATED = (
    "reverted_after",
    "fixed_after",
    "fixed_before",
    "hotfix_after",
    "unreviewed",
    "rubber_stamp",
    "careful_review",
)


@dataclass(frozen=True)
class Suspectable:
    """A change that could be the cause, as the model reads it."""

    key: int
    at: datetime  # merged
    paths: tuple[str, ...]
    lines: int = 0
    author: str = ""
    is_revert: bool = False
    reverted_at: datetime | None = None  # when a revert of it reached the main line
    ai_assisted: bool = False
    risk: float | None = None
    risk_reasons: tuple[str, ...] = ()
    deployed_at: datetime | None = None  # its latest recorded deployment to an affected service before the start
    deployed_to: str = ""
    later_deploys: int = 0  # deployments of that service after it, before the start
    batch: int = 0  # other changes in that deployment
    deployed_after: datetime | None = None  # recorded deployments to the affected services, all after the start
    gate_warnings: tuple[str, ...] = ()
    gate_overrides: tuple[str, ...] = ()
    stated: Mapping[str, str] = field(default_factory=dict)  # a feature of STATED -> what was seen, in words


@dataclass(frozen=True)
class Incident:
    """What the model knows of the incident: its start, the affected paths, the fix's trace if known."""

    start: datetime
    folders: tuple[str, ...]  # affected path prefixes taken as folders ('' = everything, ROOT = root files)
    blamed: Mapping[int, int] = field(default_factory=dict)  # candidate key -> traced lines it last changed
    blamed_total: int = 0
    author_reverts: Mapping[str, int] = field(default_factory=dict)  # author -> changes reverted in 90 days
    named: tuple[str, ...] = ()  # paths the incident names
    fix: str = ""  # the fix commit whose lines were traced, for the explanation
    blamed_files: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # candidate key -> files of its lines
    deploys_recorded: bool = False  # the affected services record deployments
    implied_deploys: bool = True  # none recorded: a change touching the affected paths shipped when it merged
    services: str = ""  # the affected services, for the explanation


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score and the reasons a person can check."""

    key: int
    score: float
    reasons: tuple[tuple[str, float, str], ...]  # (feature, contribution, words), largest first


def under(path: str, prefixes: Sequence[str]) -> bool:
    """The path lies in one of the prefixes, each taken as a folder ('' holds everything, ROOT the root files)."""
    for prefix in prefixes:
        if prefix == ROOT:
            if "/" not in path:
                return True
        elif not prefix or path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/"):
            return True
    return False


def is_code(path: str) -> bool:
    """Neither tests nor documentation."""
    return not _TEST_RE.search(path) and not _DOC_RE.search(path)


def _hours(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 3600)


@dataclass(frozen=True)
class _PathKind:
    """What the features read of one path, worked out once however many candidates touch it."""

    code: bool
    inside: bool  # in the incident's folders
    named: bool  # in the paths the incident names
    config: bool
    migration: bool


def _path_kinds(incident: Incident, pool: Sequence[Suspectable]) -> dict[str, _PathKind]:
    kinds: dict[str, _PathKind] = {}
    for c in pool:
        for p in c.paths:
            if p not in kinds:
                kinds[p] = _PathKind(
                    code=is_code(p),
                    inside=under(p, incident.folders),
                    named=under(p, incident.named),
                    config=bool(_CONFIG_RE.search(p)),
                    migration=bool(_MIGRATION_RE.search(p)),
                )
    return kinds


def features(incident: Incident, pool: Sequence[Suspectable]) -> list[dict[str, float]]:
    """The feature values of every candidate, in the pool's order."""
    kinds = _path_kinds(incident, pool)
    merged = sorted(c.at for c in pool)
    # Later changes to the affected paths' code push a change down; a later change to their tests or docs only
    # cannot have replaced what ran in production.
    in_folder_times = sorted(c.at for c in pool if any(kinds[p].inside and kinds[p].code for p in c.paths))
    rows = []
    for c in pool:
        code = [p for p in c.paths if kinds[p].code]
        judged = code or list(c.paths)
        inside = [p for p in judged if kinds[p].inside]
        touches = bool(inside)
        later = len(merged) - bisect_right(merged, c.at)
        later_in = len(in_folder_times) - bisect_right(in_folder_times, c.at) if touches else len(in_folder_times)
        blamed = incident.blamed.get(c.key, 0)
        deployed_at, later_deploys, implied = c.deployed_at, c.later_deploys, False
        if deployed_at is None and touches and incident.implied_deploys and not incident.deploys_recorded:
            deployed_at, later_deploys, implied = c.at, later_in, True
        deployed = deployed_at is not None and deployed_at <= incident.start
        own = deployed and not implied  # an implied deployment is the merge: recency and folder_order count it
        row = {
            "recency": -math.log1p(_hours(incident.start, c.at) / 24),
            "order": -math.log1p(later),
            "folder_order": -math.log1p(later_in),
            "in_folders": len(inside) / len(judged) if judged else 0.0,
            "named_paths": (
                sum(1 for p in judged if kinds[p].named) / len(judged) if judged and incident.named else 0.0
            ),
            "size": math.log1p(max(0, c.lines)) / math.log(1000),
            "code": 1.0 if code else 0.0,
            "config": 1.0 if any(kinds[p].config for p in c.paths) else 0.0,
            "migration": 1.0 if any(kinds[p].migration for p in c.paths) else 0.0,
            "ai": 1.0 if c.ai_assisted else 0.0,
            "risk": _logit(c.risk) - _logit(0.4) if c.risk is not None else 0.0,
            "author_reverts": math.log1p(incident.author_reverts.get(c.author, 0)),
            "is_revert": 1.0 if c.is_revert else 0.0,
            "reverted_before": 1.0 if c.reverted_at is not None and c.reverted_at <= incident.start else 0.0,
            "deployed": 1.0 if deployed else 0.0,
            "deploy_recency": -math.log1p(_hours(incident.start, deployed_at) / 24) if own else 0.0,
            "later_deploys": -math.log1p(later_deploys) if own else 0.0,
            "deployed_after": 1.0 if not deployed and c.deployed_after is not None else 0.0,
            "gates": float(min(3, len(c.gate_warnings))),
            "overrides": float(min(3, len(c.gate_overrides))),
            "blame_share": blamed / incident.blamed_total if incident.blamed_total else 0.0,
            "blame_any": 1.0 if blamed else 0.0,
        }
        for name in STATED:
            row[name] = 1.0 if name in c.stated else 0.0
        row["_implied"] = 1.0 if implied else 0.0  # not a feature: how the deployment features were read
        rows.append(row)
    return rows


def _logit(p: float) -> float:
    p = min(0.99, max(0.01, p))
    return math.log(p / (1 - p))


def ago(seconds: float) -> str:
    """A duration in words: 45 s, 38 min, 5 h 10 min, 3 d 4 h."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _ago(hours: float) -> str:
    return ago(hours * 3600)


def _words(name: str, value: float, row: Mapping[str, float], c: Suspectable, incident: Incident) -> str:
    """What a person can check behind one feature's contribution."""
    if name in c.stated or name in STATED:
        return c.stated.get(name, "")
    where = ", ".join("(root files)" if f == ROOT else f or "(everything)" for f in incident.folders) or "none"
    if incident.services:
        where = f"{incident.services}: {where}"
    if name == "recency":
        return f"merged {_ago(_hours(incident.start, c.at))} before the start"
    if name == "order":
        return f"{round(math.expm1(-value))} change(s) merged after it"
    if name == "folder_order":
        return f"{round(math.expm1(-value))} later change(s) in the affected paths ({where})"
    if name == "in_folders":
        return f"{value:.0%} of its code files in the affected paths ({where})"
    if name == "named_paths":
        return f"{value:.0%} of its code files in the paths the incident names ({', '.join(incident.named)})"
    if name == "size":
        return f"{c.lines} changed lines"
    if name == "code":
        return "changes code (not only tests or docs)"
    if name == "risk":
        reasons = "; ".join(c.risk_reasons[:2])
        return f"risk score {c.risk:.2f}" + (f": {reasons}" if reasons else "") if c.risk is not None else ""
    if name in ("deployed", "deploy_recency", "later_deploys"):
        if row.get("_implied"):
            later = round(math.expm1(-row["folder_order"]))
            return (
                f"merged {_ago(_hours(incident.start, c.at))} before the start, {later} later change(s) there; "
                f"no deployments recorded for {incident.services or 'the affected paths'}, so it shipped when merged"
            )
        assert c.deployed_at is not None
        later = round(math.expm1(-row["later_deploys"]))
        text = f"deployed to {c.deployed_to} {_ago(_hours(incident.start, c.deployed_at))} before the start"
        if later:
            text += f", {later} later deployment(s) there before the start"
        if c.batch:
            text += f", in one deployment with {c.batch} other change(s)"
        return text
    if name == "deployed_after":
        assert c.deployed_after is not None
        return (
            f"first deployed to the affected services {_ago(_hours(c.deployed_after, incident.start))} after the start"
        )
    if name == "gates":
        return "gates warned or failed: " + "; ".join(c.gate_warnings[:3])
    if name == "overrides":
        return "failed gates overridden: " + "; ".join(c.gate_overrides[:3])
    if name == "author_reverts":
        return f"its author had {incident.author_reverts.get(c.author, 0)} change(s) reverted in 90 days"
    if name in ("blame_share", "blame_any"):
        files = incident.blamed_files.get(c.key, ())
        where = (
            f" in {', '.join(files[:2])}" + (f" and {len(files) - 2} more" if len(files) > 2 else "") if files else ""
        )
        total = incident.blamed_total
        return (
            f"{'fix ' + incident.fix[:10] if incident.fix else 'the fix'} deletes or modifies "
            f"{incident.blamed.get(c.key, 0)} of {total} traced line{'s' if total > 1 else ''} "
            f"last changed by this change{where}"
        )
    return {
        "config": "touches configuration or dependencies",
        "migration": "touches a migration",
        "ai": "AI-assisted",
        "is_revert": "is itself a revert: puts back code that ran before",
        "reverted_before": "already reverted before the start",
    }[name]


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
                (n, round(v, 3), _words(n, row[n], row, c, incident))
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
