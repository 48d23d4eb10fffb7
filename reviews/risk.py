"""Explained risk score and estimated review time of a revision (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RiskFacts:
    """Size and spread of a revision, and what it touches."""

    lines_added: int
    lines_removed: int
    paths: tuple[str, ...]
    sensitive_count: int
    ai_assisted: bool


@dataclass(frozen=True)
class Risk:
    """A score in [0, 1] with each feature's contribution."""

    score: float
    reasons: tuple[tuple[float, str], ...]


def _directories(paths: tuple[str, ...]) -> int:
    return len({p.rpartition("/")[0] for p in paths})


def score_risk(facts: RiskFacts) -> Risk:
    """Sum feature contributions, each explained, into a score between 0 and 1."""
    lines = facts.lines_added + facts.lines_removed
    parts: list[tuple[float, str]] = []
    if lines:
        parts.append((round(min(0.35, 0.05 * math.log2(1 + lines / 10)), 2), f"{lines} changed lines"))
    dirs = _directories(facts.paths)
    if dirs > 1:
        parts.append((round(min(0.2, 0.03 * (dirs - 1)), 2), f"touches {dirs} directories"))
    if facts.sensitive_count:
        parts.append((0.25, f"touches {facts.sensitive_count} sensitive path(s)"))
    if facts.ai_assisted:
        parts.append((0.1, "AI-assisted"))
    parts = [p for p in parts if p[0] > 0]
    score = round(min(1.0, sum(p[0] for p in parts)), 2)
    return Risk(score=score, reasons=tuple(sorted(parts, reverse=True)))


def estimate_review_minutes(lines_changed: int, files: int, risk: float) -> int:
    """Minutes a careful senior needs: a base, reading speed, files, scaled by risk."""
    minutes = 5 + lines_changed / 25 + files * 1.5
    return max(5, round(minutes * (1 + risk)))
