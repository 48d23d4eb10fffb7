import pytest

from portal.charts import Chart, Series, format_value, render_svg, weekly_labels


def _chart(**kw: object) -> Chart:
    base = {
        "title": "Senior hours",
        "kind": "bar",
        "x_labels": ("W46", "W47"),
        "series": (Series("needed", (30.0, 42.5)),),
        "markers": (Series("capacity", (40.0, 40.0)),),
        "unit": "h",
    }
    base.update(kw)
    return Chart(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["bar", "stacked_bar", "line", "hbar"])
def test_every_kind_renders_svg_without_script(kind: str) -> None:
    svg = render_svg(_chart(kind=kind))
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
