"""Thin data in one line (insights.thin): the rows with a rate are kept, the others summed up in words."""

from __future__ import annotations

from insights.stats import rate
from insights.thin import cfr_split, trend_split


def _row(label: str, k: int, n: int) -> dict:
    return {"label": label, **rate(k, n)}


def test_failure_rate_groups_under_the_minimum_are_listed_in_words():
    cfr = {
        "all": _row("all changes", 3, 40),
        "by_ai": [_row("AI-assisted", 2, 12), _row("other", 1, 28)],
        "by_bucket": [
            {"bucket": "small (0–99 lines)", "ai": _row("AI-assisted", 2, 10), "other": _row("other", 1, 25)},
            {"bucket": "large (500+ lines)", "ai": _row("AI-assisted", 0, 2), "other": _row("other", 0, 3)},
        ],
    }

    split = cfr_split(cfr)

    assert [(r["label"], r["size"]) for r in split["shown"]] == [
        ("AI-assisted", "all sizes"),
        ("other", "all sizes"),
        ("AI-assisted", "small (0–99 lines)"),
        ("other", "small (0–99 lines)"),
    ]
    assert split["thin"] == ["AI-assisted, large: 0 of 2", "other, large: 0 of 3"]
    assert (split["all_enough"], split["deployed"], split["failed"]) == (True, 40, 3)


def test_a_team_with_too_few_changes_gets_no_rows_at_all():
    cfr = {
        "all": _row("all changes", 1, 6),
        "by_ai": [_row("AI-assisted", 1, 2), _row("other", 0, 4)],
        "by_bucket": [{"bucket": "small (0–99 lines)", "ai": _row("AI-assisted", 1, 2), "other": _row("other", 0, 4)}],
    }
    split = cfr_split(cfr)
    assert split["shown"] == [] and len(split["thin"]) == 4 and not split["all_enough"]


def test_weeks_without_either_rate_are_counted_not_listed():
    weeks = [
        {"label": "W1", "ai": rate(0, 3), "other": rate(1, 4)},
        {"label": "W2", "ai": rate(1, 12), "other": rate(0, 3)},
        {"label": "W3", "ai": rate(0, 0), "other": rate(0, 0)},
    ]
    split = trend_split(weeks)
    assert [w["label"] for w in split["shown"]] == ["W2"]
    assert (split["thin_weeks"], split["weeks"]) == (2, 3)
