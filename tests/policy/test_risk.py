"""Explained risk, review time and fitting the risk weights (policy.risk)."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.risk import (
    DEFAULT_WEIGHTS,
    FEATURES,
    MIN_FIT_ROWS,
    RiskFacts,
    RiskWeights,
    Spread,
    diff_spread,
    estimate_review_minutes,
    feature_vector,
    fit_weights,
    format_reason,
    score_risk,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def risk_facts(**overrides) -> RiskFacts:
    values = {
        "lines_added": 0,
        "lines_removed": 0,
        "files": 0,
        "directories": 0,
        "entropy": 0.0,
        "sensitive_count": 0,
        "author_prior_changes": 0,
        "file_age_days": 0.0,
        "recent_churn": 0,
        "recent_incidents": 0,
        "ai_assisted": False,
    }
    values.update(overrides)
    return RiskFacts(**values)


TYPICAL = risk_facts(
    lines_added=25, lines_removed=5, files=1, directories=1, author_prior_changes=10, file_age_days=400
)
SPRAWLING = risk_facts(
    lines_added=1200,
    lines_removed=300,
    files=30,
    directories=14,
    entropy=0.8,
    sensitive_count=2,
    author_prior_changes=0,
    file_age_days=300,
)


def texts(risk) -> list[str]:
    return [text for _, text in risk.reasons]


# --- spread and features -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "spread"),
    [
        ({}, Spread(files=0, directories=0, entropy=0.0)),
        ({"a/x.py": 30}, Spread(files=1, directories=1, entropy=0.0)),
        ({"a/x.py": 10, "a/y.py": 10}, Spread(files=2, directories=1, entropy=1.0)),
        ({"README.md": 5, "a/x.py": 5, "a/b/y.py": 5, "c/z.py": 5}, Spread(files=4, directories=4, entropy=1.0)),
        ({"a/x.py": 30, "a/y.py": 0}, Spread(files=2, directories=1, entropy=0.0)),
        ({"a/x.py": 30, "b/y.py": 10}, Spread(files=2, directories=2, entropy=0.811)),
    ],
)
def test_spread_counts_files_and_directories_and_normalises_entropy(lines, spread):
    result = diff_spread(lines)

    assert (result.files, result.directories) == (spread.files, spread.directories)
    assert result.entropy == pytest.approx(spread.entropy, abs=0.001)


def test_a_change_with_nothing_has_every_feature_at_zero_and_scores_the_baseline():
    risk = score_risk(risk_facts())

    assert set(feature_vector(risk_facts())) == set(FEATURES)
    assert all(value == 0.0 for value in feature_vector(risk_facts()).values())
    assert risk.reasons == ()
    assert risk.score == risk.baseline == round(1 / (1 + math.exp(-DEFAULT_WEIGHTS.intercept)), 3)


@pytest.mark.parametrize(
    ("facts", "feature", "value"),
    [
        (risk_facts(lines_added=30, lines_removed=20), "lines", math.log1p(50)),
        (risk_facts(files=1), "files", 0.0),
        (risk_facts(files=5), "files", math.log1p(4)),
        (risk_facts(directories=1), "directories", 0.0),
        (risk_facts(directories=14), "directories", math.log1p(13)),
        (risk_facts(sensitive_count=2), "sensitive", math.log1p(2)),
        (risk_facts(author_prior_changes=0, file_age_days=10), "new_to_files", 1.0),
        (risk_facts(author_prior_changes=0, file_age_days=0), "new_to_files", 0.0),
        (risk_facts(author_prior_changes=3, file_age_days=10), "new_to_files", 0.0),
        (risk_facts(author_prior_changes=12), "experience", math.log1p(12)),
        (risk_facts(file_age_days=365), "file_age", math.log1p(365)),
        (risk_facts(recent_churn=7), "churn", math.log1p(7)),
        (risk_facts(recent_incidents=1), "incidents", math.log1p(1)),
        (risk_facts(ai_assisted=True), "ai_assisted", 1.0),
    ],
)
def test_features_are_log_scaled_counts_that_are_zero_when_absent(facts, feature, value):
    assert feature_vector(facts)[feature] == pytest.approx(value)


@pytest.mark.parametrize(
    "overrides",
    [{"lines_added": -1}, {"files": -2}, {"recent_churn": -1}, {"entropy": 1.5}, {"file_age_days": -3.0}],
)
def test_impossible_facts_are_refused(overrides):
    with pytest.raises(ValueError):
        risk_facts(**overrides)


# --- the score -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prior", "age", "churn"), [(10, 400, 0), (5, 100, 0), (20, 1000, 0), (10, 400, 2), (5, 60, 2), (20, 200, 1)]
)
def test_a_typical_30_line_change_to_one_file_by_an_experienced_author_scores_low(prior, age, churn):
    facts = dataclasses.replace(TYPICAL, author_prior_changes=prior, file_age_days=age, recent_churn=churn)

    assert 0.1 <= score_risk(facts).score <= 0.2


@pytest.mark.parametrize(
    "facts",
    [
        SPRAWLING,
        risk_facts(lines_added=1500, files=14, directories=14, sensitive_count=1, file_age_days=30),
        risk_facts(lines_added=1000, lines_removed=500, files=20, directories=14, sensitive_count=1),
    ],
)
def test_a_1500_line_change_across_14_directories_and_sensitive_paths_by_a_newcomer_scores_high(facts):
    assert score_risk(facts).score > 0.7


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("lines_added", [0, 1, 10, 30, 100, 500, 1500, 10_000]),
        ("files", [1, 2, 5, 20]),
        ("directories", [1, 2, 5, 14]),
        ("entropy", [0.0, 0.5, 1.0]),
        ("sensitive_count", [0, 1, 3]),
        ("recent_churn", [0, 1, 5, 30]),
        ("recent_incidents", [0, 1, 4]),
        ("ai_assisted", [False, True]),
    ],
)
def test_more_of_a_risk_factor_raises_the_score(field, values):
    scores = [score_risk(dataclasses.replace(TYPICAL, **{field: v})).score for v in values]

    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


@pytest.mark.parametrize(("newcomer", "expert"), [(0, 1), (0, 12), (2, 30)])
def test_an_author_who_knows_the_files_scores_lower_than_a_newcomer(newcomer, expert):
    assert (
        score_risk(dataclasses.replace(SPRAWLING, author_prior_changes=expert)).score
        < score_risk(dataclasses.replace(SPRAWLING, author_prior_changes=newcomer)).score
    )


def test_reasons_explain_each_feature_in_words_with_signed_contributions():
    expert = dataclasses.replace(TYPICAL, author_prior_changes=12, recent_churn=3)

    reasons = dict((text, part) for part, text in score_risk(expert).reasons)

    assert reasons["30 changed lines"] > 0
    assert reasons["author changed these files 12 times before"] < 0
    assert reasons["touched files are 400 days old on average"] < 0
    assert reasons["these files changed 3 times in the 90 days before"] > 0


def test_a_sprawling_change_names_its_spread_sensitivity_and_the_newcomer():
    risk = score_risk(SPRAWLING)

    assert texts(risk)[0] == "1,500 changed lines"
    assert {
        "touches 14 directories",
        "touches 30 files",
        "touches 2 sensitive path(s)",
        "author has not changed these files before",
        "changed lines spread across files (entropy 0.80)",
    } <= set(texts(risk))
    assert all(part > 0 for part, text in risk.reasons if text != "touched files are 300 days old on average")


@pytest.mark.parametrize(
    ("facts", "text"),
    [
        (risk_facts(author_prior_changes=1, file_age_days=9), "author changed these files once before"),
        (risk_facts(recent_churn=1, files=1), "these files changed once in the 90 days before"),
        (
            risk_facts(recent_incidents=2),
            "2 earlier change(s) to these files caused an incident or were reverted in the 180 days before",
        ),
        (risk_facts(ai_assisted=True), "AI-assisted"),
    ],
)
def test_reason_texts_read_as_sentences(facts, text):
    assert text in texts(score_risk(facts))


def test_reasons_are_sorted_by_size_whatever_their_sign_and_zeros_are_dropped():
    risk = score_risk(dataclasses.replace(SPRAWLING, author_prior_changes=40, recent_churn=2))

    sizes = [abs(part) for part, _ in risk.reasons]
    assert sizes == sorted(sizes, reverse=True)
    assert all(part != 0 for part, _ in risk.reasons)
    assert any(part < 0 for part, _ in risk.reasons)


def test_a_feature_without_weight_gives_no_reason_and_unknown_weights_are_ignored():
    weights = RiskWeights(intercept=-2.0, weights={"lines": 0.5, "retired_feature": 9.0})

    risk = score_risk(dataclasses.replace(SPRAWLING, ai_assisted=True), weights)

    assert texts(risk) == ["1,500 changed lines"]
    assert risk.score == round(1 / (1 + math.exp(2.0 - 0.5 * math.log1p(1500))), 3)


def test_reasons_format_with_their_sign():
    assert format_reason(0.18, "touches 14 directories") == "+0.18: touches 14 directories"
    assert format_reason(-0.05, "author changed these files 12 times before") == (
        "-0.05: author changed these files 12 times before"
    )


facts_strategy = st.builds(
    RiskFacts,
    lines_added=st.integers(min_value=0, max_value=10**7),
    lines_removed=st.integers(min_value=0, max_value=10**7),
    files=st.integers(min_value=0, max_value=10**4),
    directories=st.integers(min_value=0, max_value=10**3),
    entropy=st.floats(min_value=0, max_value=1),
    sensitive_count=st.integers(min_value=0, max_value=1000),
    author_prior_changes=st.integers(min_value=0, max_value=10**4),
    file_age_days=st.floats(min_value=0, max_value=20_000),
    recent_churn=st.integers(min_value=0, max_value=10**4),
    recent_incidents=st.integers(min_value=0, max_value=100),
    ai_assisted=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy)
def test_contributions_add_up_to_the_score_above_the_baseline(facts):
    risk = score_risk(facts)

    assert 0.0 <= risk.score <= 1.0
    # Each contribution is rounded to 2 decimals; the dropped ones are below 0.005 each.
    assert math.isclose(sum(p for p, _ in risk.reasons), risk.score - risk.baseline, abs_tol=0.0005 + 0.005 * 11)


@pytest.mark.parametrize("facts", [TYPICAL, SPRAWLING, dataclasses.replace(SPRAWLING, recent_incidents=3)])
def test_contributions_add_up_to_the_score_above_the_baseline_on_examples(facts):
    risk = score_risk(facts)

    assert sum(p for p, _ in risk.reasons) == pytest.approx(risk.score - risk.baseline, abs=0.02)


@settings(max_examples=100, deadline=None)
@given(facts=facts_strategy, more=st.integers(min_value=1, max_value=10**6))
def test_more_changed_lines_never_lower_the_score(facts, more):
    assert score_risk(dataclasses.replace(facts, lines_added=facts.lines_added + more)).score >= score_risk(facts).score


# --- review time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "files", "risk", "minutes"),
    [
        (0, 0, 0.0, 5),
        (0, 0, 0.9, 10),
        (25, 2, 0.0, 9),
        (100, 4, 0.0, 15),
        (100, 4, 0.6, 24),
        (1000, 10, 0.0, 60),
        (1000, 10, 1.0, 120),
    ],
)
def test_review_minutes_grow_with_lines_files_and_risk(lines, files, risk, minutes):
    assert estimate_review_minutes(lines, files, risk) == minutes


@settings(max_examples=100)
@given(
    lines=st.integers(min_value=0, max_value=10**6),
    files=st.integers(min_value=0, max_value=10**4),
    risk=st.floats(min_value=0, max_value=1),
)
def test_review_minutes_are_at_least_five_and_grow_with_lines(lines, files, risk):
    minutes = estimate_review_minutes(lines, files, risk)

    assert isinstance(minutes, int)
    assert minutes >= 5
    assert estimate_review_minutes(lines + 100, files, risk) >= minutes


# --- fitting -------------------------------------------------------------------------------------------


def synthetic_rows(n: int, *, seed: int, logit=None) -> list[tuple[datetime, dict[str, float], bool]]:
    """Random features; bad with probability sigmoid(logit(features)), or 10% when there is no signal."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        features = {name: float(rng.exponential(1.0)) for name in FEATURES}
        features["lines"] = float(rng.uniform(0, 8))
        z = logit(features) if logit else math.log(0.1 / 0.9)
        rows.append((T0 + timedelta(hours=i), features, bool(rng.random() < 1 / (1 + math.exp(-z)))))
    return rows


def test_fitting_history_with_a_known_signal_ranks_later_changes_well_and_recovers_the_weights():
    rows = synthetic_rows(4000, seed=1, logit=lambda f: -5.0 + 1.0 * f["lines"] + 0.8 * f["sensitive"])

    result = fit_weights(rows)

    assert result.auc > 0.8
    assert (result.trained_on, result.held_out) == (4000, 1000)
    assert result.positives == sum(bad for _, _, bad in rows)
    # Scaling is folded back, and the prior restored after class balancing: weights are on raw features.
    assert result.weights.weights["lines"] == pytest.approx(1.0, abs=0.15)
    assert result.weights.weights["sensitive"] == pytest.approx(0.8, abs=0.15)
    assert result.weights.intercept == pytest.approx(-5.0, abs=0.5)
    others = [w for name, w in result.weights.weights.items() if name not in ("lines", "sensitive")]
    assert max(abs(w) for w in others) < 0.2


def test_fitted_weights_drive_the_score_directly():
    rows = synthetic_rows(1000, seed=2, logit=lambda f: -4.0 + 1.0 * f["lines"])

    weights = fit_weights(rows).weights

    assert set(weights.weights) == set(FEATURES)
    assert (
        score_risk(risk_facts(lines_added=2000), weights).score > score_risk(risk_facts(lines_added=5), weights).score
    )


def test_fitting_pure_noise_ranks_later_changes_no_better_than_chance():
    result = fit_weights(synthetic_rows(3000, seed=3))

    assert result.auc == pytest.approx(0.5, abs=0.08)


def test_rows_are_ordered_by_time_before_the_later_part_is_held_out():
    rows = synthetic_rows(400, seed=4, logit=lambda f: -3.0 + 0.7 * f["lines"])

    assert fit_weights(list(reversed(rows))) == fit_weights(rows)


def test_the_auc_is_none_when_the_held_out_part_has_a_single_class():
    rows = [(T0 + timedelta(hours=i), {"lines": float(i % 7)}, i < 10 and i % 2 == 0) for i in range(40)]

    result = fit_weights(rows)

    assert result.auc is None
    assert (result.trained_on, result.positives, result.held_out) == (40, 5, 10)


def test_nothing_held_out_gives_no_auc_but_weights():
    result = fit_weights(synthetic_rows(200, seed=5, logit=lambda f: -3.0 + 0.7 * f["lines"]), holdout=0)

    assert result.auc is None
    assert result.held_out == 0
    assert result.weights.weights["lines"] > 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "too little history"),
        ([(T0, {"lines": 1.0}, i % 2 == 0) for i in range(MIN_FIT_ROWS - 1)], "at least 20 needed"),
        ([(T0 + timedelta(hours=i), {"lines": float(i)}, False) for i in range(50)], "nothing to learn"),
        ([(T0 + timedelta(hours=i), {"lines": float(i)}, True) for i in range(50)], "all 50 changes"),
    ],
)
def test_too_little_or_one_sided_history_is_refused_with_a_reason(rows, message):
    with pytest.raises(ValueError, match=message):
        fit_weights(rows)


@pytest.mark.parametrize("holdout", [-0.1, 1.0, 1.5])
def test_the_held_out_share_must_leave_something_to_train_on(holdout):
    with pytest.raises(ValueError, match="holdout"):
        fit_weights(synthetic_rows(100, seed=6), holdout=holdout)
