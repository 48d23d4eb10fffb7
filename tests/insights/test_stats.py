import pytest

from insights.stats import (
    MIN_N,
    bus_factor,
    directory_knowers,
    gini,
    percentile_nearest_rank,
    rate,
    size_bucket,
    size_bucket_label,
    top_share,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Reference values of the Wilson score interval at 95% (z = 1.96).
        (0, 10, 0.0, 0.2775),
        (1, 10, 0.0179, 0.4042),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_interval_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(k, n)
    assert got_low == pytest.approx(low, abs=5e-4)
    assert got_high == pytest.approx(high, abs=5e-4)


def test_wilson_interval_of_nothing_is_everything_and_bad_counts_are_refused() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="3 successes out of 2"):
        wilson_interval(3, 2)


def test_rate_says_not_enough_data_below_the_minimum_instead_of_zero() -> None:
    small = rate(0, MIN_N - 1)
    assert small == {"k": 0, "n": MIN_N - 1, "enough": False, "value": None, "low": None, "high": None}
    enough = rate(2, 20)
    assert enough["enough"] and enough["value"] == 0.1
    assert enough["low"] < 0.1 < enough["high"]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 0.5, 0.0), ([7], 0.9, 7), ([1, 2, 8], 0.5, 2), ([1, 2, 8], 0.9, 8), (list(range(1, 11)), 0.9, 9)],
)
def test_percentiles_are_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile_nearest_rank(values, q) == expected


@pytest.mark.parametrize(
    ("values", "expected"), [([], 0.0), ([5, 5, 5, 5], 0.0), ([0, 0, 0, 10], 0.75), ([1, 2, 3, 4], 0.25)]
)
def test_gini(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


def test_top_share_takes_at_least_one_value() -> None:
    assert top_share([10, 1, 1, 1, 1, 1, 1, 1, 1, 2], 0.1) == pytest.approx(10 / 20)
    assert top_share([3, 1], 0.1) == pytest.approx(0.75)
    assert top_share([], 0.1) == 0.0 and top_share([0, 0], 0.1) == 0.0


@pytest.mark.parametrize(
    ("lines", "bucket"),
    [(0, "small"), (99, "small"), (100, "medium"), (499, "medium"), (500, "large"), (10_000, "large")],
)
def test_size_buckets(lines: int, bucket: str) -> None:
    assert size_bucket(lines) == bucket


def test_size_bucket_labels_state_the_thresholds() -> None:
    assert size_bucket_label("small") == "small (0–99 lines)"
    assert size_bucket_label("large") == "large (500+ lines)"


@pytest.mark.parametrize(
    ("knowers", "expected"),
    [
        ({}, 0),
        ({"a": {"ann"}, "b": {"ann"}, "c": {"ann"}}, 1),
        # Ann alone knows two of four files, Bo the other two: losing Ann leaves half, not more than half.
        ({"a": {"ann"}, "b": {"ann"}, "c": {"bo"}, "d": {"bo"}}, 2),
        ({"a": {"ann", "bo"}, "b": {"ann", "bo"}, "c": {"cy"}}, 2),
        # Most files are known by nobody already.
        ({"a": set(), "b": set(), "c": {"ann"}}, 0),
    ],
)
def test_bus_factor(knowers: dict[str, set[str]], expected: int) -> None:
    assert bus_factor(knowers) == expected


def test_bus_factor_does_not_change_its_input() -> None:
    knowers = {"a": {"ann"}, "b": {"bo"}}
    bus_factor(knowers)
    assert knowers == {"a": {"ann"}, "b": {"bo"}}


def test_directory_knowers_unite_the_files_of_each_directory() -> None:
    got = directory_knowers({"src/a.py": {"ann"}, "src/b.py": {"bo"}, "README": {"cy"}, "src/x/y.py": {"ann"}})
    assert got == {"src": {"ann", "bo"}, "": {"cy"}, "src/x": {"ann"}}
