"""Explained risk and review time (reviews.risk)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.risk import RiskFacts, estimate_review_minutes, score_risk


def risk_facts(**overrides) -> RiskFacts:
    values = {"lines_added": 0, "lines_removed": 0, "paths": (), "sensitive_count": 0, "ai_assisted": False}
    values.update(overrides)
    return RiskFacts(**values)


def test_empty_change_has_no_risk_and_no_reasons():
    risk = score_risk(risk_facts())

    assert risk.score == 0.0
    assert risk.reasons == ()


@pytest.mark.parametrize(
    ("added", "removed", "contribution"),
    [
        (1, 0, 0.01),
        (10, 0, 0.05),
        (5, 5, 0.05),
        (30, 0, 0.1),
        (70, 0, 0.15),
        (150, 0, 0.2),
        (310, 0, 0.25),
        (630, 0, 0.3),
        (1270, 0, 0.35),
        (10_000, 5_000, 0.35),
    ],
)
def test_changed_lines_add_risk_on_a_log_scale_up_to_a_cap(added, removed, contribution):
    risk = score_risk(risk_facts(lines_added=added, lines_removed=removed))

    assert risk.reasons == ((contribution, f"{added + removed} changed lines"),)
    assert risk.score == contribution


@pytest.mark.parametrize(
    ("paths", "contribution", "dirs"),
    [
        (("a/x.py", "b/y.py"), 0.03, 2),
        (("README.md", "a/x.py"), 0.03, 2),
        (("a/x.py", "a/y.py", "b/z.py", "c/d/e.py"), 0.06, 3),
        (tuple(f"d{i}/f.py" for i in range(7)), 0.18, 7),
        (tuple(f"d{i}/f.py" for i in range(8)), 0.2, 8),
        (tuple(f"d{i}/f.py" for i in range(50)), 0.2, 50),
    ],
)
def test_spread_over_directories_adds_risk_up_to_a_cap(paths, contribution, dirs):
    risk = score_risk(risk_facts(paths=paths))

    assert risk.reasons == ((contribution, f"touches {dirs} directories"),)


@pytest.mark.parametrize("paths", [(), ("a/x.py",), ("a/x.py", "a/y.py"), ("x.py", "y.py")])
def test_one_directory_adds_no_spread_risk(paths):
    assert score_risk(risk_facts(paths=paths)).reasons == ()


def test_sensitive_paths_add_a_quarter():
    risk = score_risk(risk_facts(sensitive_count=3))

    assert risk.reasons == ((0.25, "touches 3 sensitive path(s)"),)
    assert risk.score == 0.25


def test_ai_assistance_adds_a_tenth():
    risk = score_risk(risk_facts(ai_assisted=True))

    assert risk.reasons == ((0.1, "AI-assisted"),)
    assert risk.score == 0.1


def test_reasons_are_sorted_by_contribution_largest_first_and_summed():
    risk = score_risk(risk_facts(lines_added=30, paths=("a/x", "b/y", "c/z"), sensitive_count=1, ai_assisted=True))

    assert risk.reasons == (
        (0.25, "touches 1 sensitive path(s)"),
        (0.1, "AI-assisted"),
        (0.1, "30 changed lines"),
        (0.06, "touches 3 directories"),
    )
    assert risk.score == 0.51


def test_everything_at_its_cap_scores_below_one():
    risk = score_risk(
        risk_facts(
            lines_added=100_000,
            paths=tuple(f"d{i}/f" for i in range(100)),
            sensitive_count=10,
            ai_assisted=True,
        )
    )

    assert risk.score == 0.9


@settings(max_examples=200)
@given(
    added=st.integers(min_value=0, max_value=10**9),
    removed=st.integers(min_value=0, max_value=10**9),
    paths=st.lists(st.text(max_size=20), max_size=30).map(tuple),
    sensitive=st.integers(min_value=0, max_value=1000),
    ai=st.booleans(),
)
def test_score_stays_between_zero_and_one_and_equals_its_explained_parts(added, removed, paths, sensitive, ai):
    risk = score_risk(
        risk_facts(lines_added=added, lines_removed=removed, paths=paths, sensitive_count=sensitive, ai_assisted=ai)
    )

    assert 0.0 <= risk.score <= 1.0
    assert all(0 < part <= 0.35 for part, _ in risk.reasons)
    assert math.isclose(risk.score, min(1.0, sum(part for part, _ in risk.reasons)), abs_tol=0.005)
    assert list(risk.reasons) == sorted(risk.reasons, reverse=True)


@settings(max_examples=100)
@given(lines=st.integers(min_value=0, max_value=10**6))
def test_more_changed_lines_never_lower_the_score(lines):
    assert score_risk(risk_facts(lines_added=lines + 1)).score >= score_risk(risk_facts(lines_added=lines)).score


# --- review time ---------------------------------------------------------------------------------


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
