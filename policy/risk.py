"""Explained risk score and estimated review time of a revision, and fitting its weights (pure).

The score is a logistic model over features known to predict defect-inducing changes (just-in-time defect
prediction: size, spread, the author's experience with the files, the files' age, recent churn and recent
trouble). Every feature is transformed so that its value is 0 for a change that has nothing of it; the
baseline score is therefore the logistic of the intercept alone, and each reason says how far one feature
moved the score away from that baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MIN_FIT_ROWS = 20


@dataclass(frozen=True)
class RiskFacts:
    """Size and spread of a revision, and the history of the files it touches before it was opened."""

    lines_added: int
    lines_removed: int
    files: int
    directories: int
    entropy: float  # Shannon entropy of changed lines across files, normalised to 0..1
    sensitive_count: int
    author_prior_changes: int  # the author's earlier changes touching these files
    file_age_days: float  # mean age of the touched files; 0 for new files
    recent_churn: int  # changes to these files in the 90 days before
    recent_incidents: int  # changes to these files confirmed as causing incidents or reverted, 180 days before
    ai_assisted: bool

    def __post_init__(self) -> None:
        counts = ("lines_added", "lines_removed", "files", "directories", "sensitive_count")
        counts += ("author_prior_changes", "recent_churn", "recent_incidents")
        for name in counts:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative: {getattr(self, name)}")
        if not 0.0 <= self.entropy <= 1.0:
            raise ValueError(f"entropy must be between 0 and 1: {self.entropy}")
        if not self.file_age_days >= 0.0:  # also refuses NaN
            raise ValueError(f"file_age_days cannot be negative: {self.file_age_days}")


@dataclass(frozen=True)
class Spread:
    """How many files and directories a change's lines fall in, and how evenly."""

    files: int
    directories: int
    entropy: float


def diff_spread(changed_lines: Mapping[str, int]) -> Spread:
    """Files, directories and normalised entropy of changed lines per path.

    Entropy is Shannon's over the share of changed lines in each file, divided by log2 of the number of
    files with changed lines, so 0 means all lines are in one file and 1 means they are spread evenly.
    """
    directories = {path.rpartition("/")[0] for path in changed_lines}
    counts = [n for n in changed_lines.values() if n > 0]
    total = sum(counts)
    entropy = 0.0
    if len(counts) > 1:
        raw = -sum(n / total * math.log2(n / total) for n in counts)
        entropy = min(1.0, max(0.0, raw / math.log2(len(counts))))
    return Spread(files=len(changed_lines), directories=len(directories), entropy=entropy)


FEATURES: tuple[str, ...] = (
    "lines",  # log1p(lines added + removed)
    "files",  # log1p(files beyond the first)
    "directories",  # log1p(directories beyond the first)
    "entropy",  # 0..1
    "sensitive",  # log1p(sensitive paths)
    "new_to_files",  # 1 when existing files are touched by an author who never changed them
    "experience",  # log1p(the author's earlier changes to these files)
    "file_age",  # log1p(mean age of the touched files in days)
    "churn",  # log1p(changes to these files in the 90 days before)
    "incidents",  # log1p(changes to these files that caused incidents or were reverted, 180 days before)
    "ai_assisted",  # 1 or 0
)


def feature_vector(facts: RiskFacts) -> dict[str, float]:
    """The model's inputs: log-scaled sizes and counts, each 0 when the change has nothing of it."""
    return {
        "lines": math.log1p(facts.lines_added + facts.lines_removed),
        "files": math.log1p(max(0, facts.files - 1)),
        "directories": math.log1p(max(0, facts.directories - 1)),
        "entropy": float(facts.entropy),
        "sensitive": math.log1p(facts.sensitive_count),
        # A change that only adds files has no history to be new to; its age is 0.
        "new_to_files": 1.0 if facts.author_prior_changes == 0 and facts.file_age_days > 0 else 0.0,
        "experience": math.log1p(facts.author_prior_changes),
        "file_age": math.log1p(facts.file_age_days),
        "churn": math.log1p(facts.recent_churn),
        "incidents": math.log1p(facts.recent_incidents),
        "ai_assisted": 1.0 if facts.ai_assisted else 0.0,
    }


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _reason_text(name: str, facts: RiskFacts) -> str:
    lines = facts.lines_added + facts.lines_removed
    texts = {
        "lines": lambda: f"{lines:,} changed lines",
        "files": lambda: f"touches {facts.files} files",
        "directories": lambda: f"touches {facts.directories} directories",
        "entropy": lambda: f"changed lines spread across files (entropy {facts.entropy:.2f})",
        "sensitive": lambda: f"touches {facts.sensitive_count} sensitive path(s)",
        "new_to_files": lambda: "author has not changed these files before",
        "experience": lambda: f"author changed these files {_times(facts.author_prior_changes)} before",
        "file_age": lambda: f"touched files are {facts.file_age_days:.0f} days old on average",
        "churn": lambda: f"these files changed {_times(facts.recent_churn)} in the 90 days before",
        "incidents": lambda: (
            f"{facts.recent_incidents} earlier change(s) to these files caused an incident or were reverted "
            "in the 180 days before"
        ),
        "ai_assisted": lambda: "AI-assisted",
    }
    return texts[name]()


@dataclass(frozen=True)
class RiskWeights:
    """Intercept and per-feature weights of the logistic score; a feature without a weight counts 0."""

    intercept: float
    weights: Mapping[str, float]


# Chosen by judgement until history is fitted: a 30-line change to one old file by an author who has changed
# it 10 times scores about 0.13; 1,500 lines across 14 directories and sensitive paths by a newcomer, over 0.9.
DEFAULT_WEIGHTS = RiskWeights(
    intercept=-2.3,
    weights={
        "lines": 0.35,
        "files": 0.2,
        "directories": 0.35,
        "entropy": 0.5,
        "sensitive": 0.8,
        "new_to_files": 0.6,
        "experience": -0.25,
        "file_age": -0.04,
        "churn": 0.2,
        "incidents": 0.6,
        "ai_assisted": 0.4,
    },
)


@dataclass(frozen=True)
class Risk:
    """A score in [0, 1], the score of a change with no features, and each feature's contribution."""

    score: float
    reasons: tuple[tuple[float, str], ...]
    baseline: float = 0.0


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _shapley(intercept: float, terms: Sequence[float]) -> list[float]:
    """Exact Shapley values of sigmoid(intercept + sum of the terms present), a term's absence being 0.

    They add up to score - baseline exactly. With at most len(FEATURES) terms this is 2**11 sigmoids.
    """
    n = len(terms)
    sums = [0.0] * (1 << n)
    for mask in range(1, 1 << n):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + terms[low.bit_length() - 1]
    values = [_sigmoid(intercept + s) for s in sums]
    coalition = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    result = []
    for i in range(n):
        bit = 1 << i
        result.append(
            sum(
                coalition[mask.bit_count()] * (values[mask | bit] - values[mask])
                for mask in range(1 << n)
                if not mask & bit
            )
        )
    return result


def score_risk(facts: RiskFacts, weights: RiskWeights = DEFAULT_WEIGHTS) -> Risk:
    """Logistic score of the features, explained by each feature's contribution in probability points.

    A contribution is the feature's exact Shapley value against the all-zero baseline: the average, over
    every order of adding features to an empty change, of how much adding this one moved the score. The
    contributions add up to score - baseline (before rounding to 2 decimals), which a plain "score minus the
    score without this feature" does not once the logistic saturates. Contributions that round to 0 are
    dropped; the rest are sorted by size, largest first, whatever their sign.
    """
    vector = feature_vector(facts)
    active = [(name, weights.weights.get(name, 0.0) * vector[name]) for name in FEATURES]
    active = [(name, term) for name, term in active if term != 0.0]
    baseline = _sigmoid(weights.intercept)
    score = _sigmoid(weights.intercept + sum(term for _, term in active))
    parts = _shapley(weights.intercept, [term for _, term in active])
    reasons = [(round(part, 2), _reason_text(name, facts)) for (name, _), part in zip(active, parts, strict=True)]
    reasons = [r for r in reasons if r[0] != 0.0]
    reasons.sort(key=lambda r: (-abs(r[0]), r[1]))
    return Risk(score=round(score, 3), reasons=tuple(reasons), baseline=round(baseline, 3))


def format_reason(contribution: float, text: str) -> str:
    """A reason for display, with its sign: "+0.18: touches 14 directories"."""
    return f"{contribution:+.2f}: {text}"


def estimate_review_minutes(lines_changed: int, files: int, risk: float) -> int:
    """Minutes a careful senior needs: a base, reading speed, files, scaled by risk."""
    minutes = 5 + lines_changed / 25 + files * 1.5
    return max(5, round(minutes * (1 + risk)))


# --- fitting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitResult:
    """Weights fitted on all rows, and how well the same fit on the earlier rows ranked the later ones."""

    weights: RiskWeights
    auc: float | None  # ROC AUC on the held-out later part; None when it cannot be measured
    trained_on: int
    positives: int
    held_out: int


def _fit(x: np.ndarray, y: np.ndarray) -> RiskWeights:
    """Logistic regression on standardised features, folded back to raw-feature weights.

    Classes are weighted to balance, so the fitted intercept assumes half the changes are bad; adding the
    log odds of the true share (King and Zeng's prior correction) makes the score a probability again.
    """
    # Imported here: scikit-learn takes a second to load, and scoring (on every diff) needs neither.
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(scaler.transform(x), y)
    coef = model.coef_[0] / scaler.scale_
    share = float(np.mean(y))
    intercept = float(model.intercept_[0] - np.dot(coef, scaler.mean_) + math.log(share / (1 - share)))
    return RiskWeights(
        intercept=round(intercept, 6),
        weights={name: round(float(w), 6) for name, w in zip(FEATURES, coef, strict=True)},
    )


def fit_weights(rows: Sequence[tuple[datetime, Mapping[str, float], bool]], *, holdout: float = 0.25) -> FitResult:
    """Fit weights from labelled history: (time, features, defect-inducing) per change.

    Rows are ordered by time; a model fitted on the earlier part is scored on the later `holdout` share
    (ROC AUC; None when either part has a single class or nothing is held out), then the returned weights are
    fitted on all rows. Raises ValueError with fewer than MIN_FIT_ROWS rows or without both labels.
    """
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout must be at least 0 and below 1, got {holdout}")
    ordered = sorted(rows, key=lambda row: row[0])
    n = len(ordered)
    positives = sum(1 for _, _, bad in ordered if bad)
    if n < MIN_FIT_ROWS:
        raise ValueError(f"too little history to fit risk weights: {n} changes, at least {MIN_FIT_ROWS} needed")
    if positives == 0:
        raise ValueError(
            f"none of the {n} changes caused a confirmed incident or was reverted: nothing to learn risk from"
        )
    if positives == n:
        raise ValueError(f"all {n} changes are labelled as defect-inducing: nothing to tell them apart from")
    x = np.array([[float(features.get(name, 0.0)) for name in FEATURES] for _, features, _ in ordered])
    y = np.array([1 if bad else 0 for _, _, bad in ordered])

    held_out = int(n * holdout)
    split = n - held_out
    auc = None
    if held_out and len(set(y[:split])) == 2 and len(set(y[split:])) == 2:
        early = _fit(x[:split], y[:split])
        margin = x[split:] @ np.array([early.weights[name] for name in FEATURES])
        auc = round(float(roc_auc_score(y[split:], margin)), 4)
    return FitResult(weights=_fit(x, y), auc=auc, trained_on=n, positives=positives, held_out=held_out)
