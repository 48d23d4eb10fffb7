import re

import pytest

from portal.charts import Chart, Series, format_value, render_svg, weekly_labels


def _chart(**kw: object) -> Chart:
    base = {
        "title": "Senior hours",
        "kind": "line",
        "x_labels": ("W46", "W47"),
        "series": (Series("needed", (30.0, 42.5)),),
        "markers": (Series("capacity", (40.0, 40.0)),),
        "unit": "h",
    }
    base.update(kw)
    return Chart(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["bar", "stacked_bar", "line", "hbar"])
def test_every_kind_renders_svg_without_script(kind: str) -> None:
    svg = render_svg(_chart(kind=kind, markers=() if kind != "line" else _chart().markers))
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg and 'aria-label="Senior hours"' in svg
    assert "<script" not in svg.lower()
    assert "<?xml" not in svg


def test_labels_and_names_are_escaped() -> None:
    svg = render_svg(_chart(title='<b>"x"</b>', x_labels=("<script>", "b"), series=(Series("<img>", (1.0, 2.0)),)))
    assert "<script>" not in svg and "<img>" not in svg and "<b>" not in svg


def test_series_must_match_labels() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2 labels"):
        _chart(series=(Series("needed", (1.0,)),))


def test_table_view_has_a_row_per_label_and_a_column_per_series() -> None:
    header, rows = _chart().table()
    assert header == ["", "needed", "capacity"]
    assert rows == [["W46", "30 h", "40 h"], ["W47", "42.5 h", "40 h"]]


def test_snapshot_round_trip() -> None:
    c = _chart()
    assert Chart.from_dict(c.as_dict()) == c


def test_empty_chart() -> None:
    assert _chart(series=(Series("needed", (None, None)),), markers=()).is_empty
    assert not _chart().is_empty


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(None, "", "–"), (3.0, "", "3"), (0.125, "%", "0.12%"), (1234.5, "h", "1,234 h"), (0.5, "", "0.5")],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_weekly_labels() -> None:
    assert weekly_labels(["2026-W47", "x"]) == ("W47", "x")


def test_chart_tag_renders_figure_and_table_from_a_snapshot() -> None:
    from django.template import Context, Template

    html = Template("{% load charts %}{% chart c %}").render(Context({"c": _chart().as_dict()}))
    assert "<figure" in html and "<svg " in html
    assert "Table view: Senior hours" in html and "42.5 h" in html


def test_the_same_figures_always_draw_the_same_svg() -> None:
    assert render_svg(_chart()) == render_svg(_chart())
    assert render_svg(_chart()) != render_svg(_chart(title="Other"))


def _rates(kind: str = "bar") -> Chart:
    return Chart(
        title="Change failure rate",
        kind=kind,  # type: ignore[arg-type]
        x_labels=("small", "medium", "large"),
        series=(Series("AI-assisted", (6.7, None, 20.0), ((2.3, 17.9), None, (8.1, 41.6))),),
        unit="%",
    )


@pytest.mark.parametrize("kind", ["bar", "line"])
def test_rates_are_drawn_with_their_confidence_intervals_as_error_bars(kind: str) -> None:
    svg = render_svg(_rates(kind))
    # pygal draws one <g class="ci"> (an I-beam path) per value that has an interval; none where there is no value.
    assert svg.count('class="ci"') == 2


def test_the_axis_reaches_the_top_of_the_highest_interval() -> None:
    svg = render_svg(_rates())
    labels = [float(x) for x in re.findall(r'<text[^>]*class="[^"]*"[^>]*>(\d+(?:\.\d+)?)%?</text>', svg)]
    assert labels and max(labels) >= 40  # the interval's top (41.6%) is inside the plot, not clipped at 20%


def test_the_table_view_gives_each_interval() -> None:
    _, rows = _rates().table()
    assert rows[0] == ["small", "6.7% (95% CI 2.3%–17.9%)"]
    assert rows[1] == ["medium", "–"]


def test_intervals_survive_the_snapshot_round_trip() -> None:
    chart = _rates()
    assert Chart.from_dict(chart.as_dict()) == chart
    assert "intervals" not in _chart().as_dict()["series"][0]  # charts without intervals keep their old form


def test_a_reference_line_is_a_dashed_line_without_dots_not_a_bar() -> None:
    svg = render_svg(_chart())
    assert "stroke-dasharray:6,4" in svg.replace(" ", "") or 'stroke-dasharray="6,4"' in svg
    capacity = re.search(r'<g class="series serie-1 color-1"><path d="([^"]+)" class="line reactive', svg)
    assert capacity, "capacity is a path of the line chart"
    assert len({y for y in re.findall(r"[ML][\d.]+ ([\d.]+)", capacity.group(1))}) == 1  # flat: 40 h both weeks
    assert 'class="rect' not in svg
    assert svg.count("<circle") == 2  # the dots are the inflow's; the reference line has none
    with pytest.raises(ValueError, match="reference lines need a line chart"):
        _chart(kind="bar")


def test_intervals_must_match_values() -> None:
    with pytest.raises(ValueError, match="has 1 intervals for 2 values"):
        _chart(series=(Series("needed", (1.0, 2.0), ((0.5, 1.5),)),))


def test_a_frozen_bar_chart_with_a_reference_line_comes_back_as_a_line_chart() -> None:
    old = {**_chart().as_dict(), "kind": "bar"}  # as reports frozen before reference lines were lines stored it
    chart = Chart.from_dict(old)
    assert chart.kind == "line" and chart.markers[0].values == (40.0, 40.0)
    assert 'class="rect' not in render_svg(chart)
