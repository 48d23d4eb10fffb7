"""What the suspect model reads of an incident and its candidates: the feature values of each candidate (pure).

incidents.ranking.model weighs them into a score; incidents.ranking.words says each in words a person can check.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
    fix_paths: frozenset[str] = frozenset()  # the files the fix changes (with the fix known)
    fix: str = ""  # the fix commit whose lines were traced, for the explanation
    blamed_files: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # candidate key -> files of its lines
    deploys_recorded: bool = False  # the affected services record deployments
    implied_deploys: bool = True  # none recorded: a change touching the affected paths shipped when it merged
    services: str = ""  # the affected services, for the explanation


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


def hours_between(later: datetime, earlier: datetime) -> float:
    """Hours from `earlier` to `later`, never negative."""
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
            "recency": -math.log1p(hours_between(incident.start, c.at) / 24),
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
            "deploy_recency": -math.log1p(hours_between(incident.start, deployed_at) / 24) if own else 0.0,
            "later_deploys": -math.log1p(later_deploys) if own else 0.0,
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
        row["_implied"] = 1.0 if implied else 0.0  # not a feature: how the deployment features were read
        rows.append(row)
    return rows


def _logit(p: float) -> float:
    p = min(0.99, max(0.01, p))
    return math.log(p / (1 - p))
