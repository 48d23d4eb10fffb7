"""Charts as data, rendered to SVG on the server: one drawing for the page, the table view and the PDF."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pygal
from pygal.style import Style

Kind = Literal["bar", "stacked_bar", "line", "hbar"]

# Colour-blind-safe palette (Okabe-Ito), in the order series are added.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_STYLE_ARGS = dict(
    background="white",
    plot_background="white",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    title_font_size=15,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    value_font_size=10,
    tooltip_font_size=12,
    colors=PALETTE,
    # Quiet solid guides: the data, not the grid, should carry the eye.
    guide_stroke_color="#eceef2",
    major_guide_stroke_color="#d5d9e0",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    stroke_width="2.5",
    stroke_width_hover="3.5",
    opacity=".85",
    opacity_hover=".95",
)
# Error bars in the ink colour on bars (they cross the bar), in the series' colour on lines (several series share
# an x position there, and each bar must say whose interval it is).
_STYLE = Style(**_STYLE_ARGS)
_LINE_STYLE = Style(**_STYLE_ARGS, ci_colors=PALETTE)
# pygal adds an inline configuration script for its (CDN-hosted) tooltips; the portal serves no such script.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_UUID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KINDS = {"bar": pygal.Bar, "stacked_bar": pygal.StackedBar, "line": pygal.Line, "hbar": pygal.HorizontalBar}


Interval = tuple[float, float]


@dataclass(frozen=True)
class Series:
    """One named run of values, aligned with the chart's x labels (None where there is no value).

    `intervals`, when given, holds each value's 95% confidence interval (low, high), drawn as error bars.
    """

    name: str
    values: tuple[float | None, ...]
    intervals: tuple[Interval | None, ...] | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"name": self.name, "values": list(self.values)}
        if self.intervals is not None:
            data["intervals"] = [list(i) if i is not None else None for i in self.intervals]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Series:
        intervals = data.get("intervals")
        return cls(
            str(data["name"]),
            tuple(data["values"]),
            tuple((float(i[0]), float(i[1])) if i is not None else None for i in intervals)
            if intervals is not None
            else None,
        )


@dataclass(frozen=True)
class Chart:
    """A chart's figures: drawn as SVG and shown as a table from the same numbers."""

    title: str
    kind: Kind
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    y_title: str = ""
    unit: str = ""
    # Reference lines (e.g. capacity), drawn dashed without dots: a limit reads as a line, not as a bar that
    # dwarfs the figures beside it. Only line charts have them.
    markers: tuple[Series, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for s in (*self.series, *self.markers):
            if len(s.values) != len(self.x_labels):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.x_labels)} labels")
            if s.intervals is not None and len(s.intervals) != len(s.values):
                raise ValueError(f"series {s.name!r} has {len(s.intervals)} intervals for {len(s.values)} values")
        if self.markers and self.kind != "line":
            raise ValueError(f"reference lines need a line chart, not {self.kind!r}")

    @property
    def is_empty(self) -> bool:
        return not self.x_labels or all(v is None for s in self.series for v in s.values)

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the table view: one row per x label, one column per series."""
        columns = (*self.series, *self.markers)
        header = ["", *(s.name for s in columns)]
        rows = [[label, *(self._cell(s, i) for s in columns)] for i, label in enumerate(self.x_labels)]
        return header, rows

    def _cell(self, s: Series, i: int) -> str:
        text = format_value(s.values[i], self.unit)
        interval = s.intervals[i] if s.intervals is not None else None
        if interval is None or s.values[i] is None:
            return text
        return f"{text} (95% CI {format_value(interval[0], self.unit)}–{format_value(interval[1], self.unit)})"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form, for frozen report snapshots."""
        return {
            "title": self.title,
            "kind": self.kind,
            "x_labels": list(self.x_labels),
            "series": [s.as_dict() for s in self.series],
            "markers": [s.as_dict() for s in self.markers],
            "y_title": self.y_title,
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Chart:
        """The inverse of `as_dict`; a snapshot's bar chart with reference lines (drawn before those were
        lines only) comes back as a line chart."""
        markers = tuple(Series.from_dict(s) for s in data.get("markers", []))
        return cls(
            title=str(data["title"]),
            kind="line" if markers else data["kind"],
            x_labels=tuple(str(x) for x in data["x_labels"]),
            series=tuple(Series.from_dict(s) for s in data.get("series", [])),
            markers=markers,
            y_title=str(data.get("y_title", "")),
            unit=str(data.get("unit", "")),
        )


def format_value(value: float | None, unit: str = "") -> str:
    """A number as the table view and tooltips show it."""
    if value is None:
        return "–"
    if float(value).is_integer() or abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit in ("%",) else f"{text} {unit}".strip()


def render_svg(chart: Chart, *, width: int = 720, height: int = 300) -> str:
    """The chart as an inline SVG element (no XML declaration, no script)."""
    cls = _KINDS[chart.kind]
    many = len(chart.x_labels) > 16
    drawing = cls(
        style=_LINE_STYLE if chart.kind == "line" else _STYLE,
        js=[],
        width=width,
        height=height,
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(4, max(1, len(chart.series) + len(chart.markers))),
        show_legend=len(chart.series) + len(chart.markers) > 1,
        x_label_rotation=35 if many else 0,
        show_minor_x_labels=not many,
        x_labels_major_every=max(1, len(chart.x_labels) // 12) if many else None,
        truncate_label=-1,
        truncate_legend=-1,
        # A horizontal bar chart's value axis runs along the bottom, where pygal's title crowds out the legend;
        # its ticks carry the unit ("2 h", "40%") instead.
        y_title=(chart.y_title or None) if chart.kind != "hbar" else None,
        print_values=False,
        include_x_axis=True,
        margin=8,
        spacing=12,
        no_data_text="No data for this period",
        value_formatter=lambda v: format_value(v, chart.unit),
        dots_size=3,
        allow_interruptions=True,  # a week without a value is a gap, not a line drawn across it
        min_scale=3,
        max_scale=7,
        stroke_style={"width": 2},
    )
    drawing.x_labels = list(chart.x_labels)
    values = [v for s in (*chart.series, *chart.markers) for v in s.values if v is not None]
    if chart.kind != "stacked_bar" and values and all(float(v).is_integer() and v >= 0 for v in values):
        top = int(max(values))
        if top <= 10:  # counts: whole-number ticks, not 0.2, 0.4, ...
            drawing.y_labels = list(range(0, max(top, 1) + 1))
    highs = [i[1] for s in chart.series if s.intervals for i in s.intervals if i is not None]
    if highs and chart.kind != "stacked_bar":
        # pygal scales to the values alone: an interval reaching above the highest value would be clipped.
        drawing.range = (min(0.0, *values), max(*values, *highs))
    for s in chart.series:
        drawing.add(s.name, _points(s))
    for m in chart.markers:
        drawing.add(m.name, list(m.values), stroke_style={"width": 2, "dasharray": "6,4"}, show_dots=False)
    svg = drawing.render(is_unicode=True)
    svg = _SCRIPT.sub("", svg)
    # pygal names each drawing with a random uuid (its CSS is scoped by it); name it by its content instead,
    # so the same figures always give the same SVG (frozen reports export byte for byte the same).
    digest = hashlib.sha256(json.dumps([chart.as_dict(), width, height], sort_keys=True).encode()).hexdigest()
    svg = _UUID.sub(f"chart-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}", svg)
    # Accessible name for screen readers; the table view carries the figures.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(chart.title)}" ', 1)


def _points(s: Series) -> list[object]:
    """A series' values for pygal, each with its interval as pygal's error bar ('ci') where it has one."""
    if s.intervals is None:
        return list(s.values)
    return [
        {"value": v, "ci": {"low": i[0], "high": i[1]}} if v is not None and i is not None else v
        for v, i in zip(s.values, s.intervals, strict=True)
    ]


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def weekly_labels(weeks: Sequence[str]) -> tuple[str, ...]:
    """Short x labels for ISO weeks ('2026-W47' becomes 'W47')."""
    return tuple(w.split("-", 1)[-1] if "-W" in w else w for w in weeks)
