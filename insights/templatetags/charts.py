"""`{% chart c %}`: a chart drawn as SVG with its table view, from one Chart."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from portal.charts import Chart, render_svg

register = template.Library()


@register.inclusion_tag("insights/_chart.html")
def chart(c: Chart | dict, width: int = 720, height: int = 300, table_open: bool = False) -> dict[str, object]:
    """Render a chart (or its snapshot dict) as a figure with a table view and a CSV-ready table."""
    c = Chart.from_dict(c) if isinstance(c, dict) else c
    header, rows = c.table()
    # render_svg escapes every label and value it writes (pygal builds the SVG through ElementTree).
    svg = "" if c.is_empty else mark_safe(render_svg(c, width=width, height=height))  # noqa: S308
    return {"chart": c, "svg": svg, "header": header, "rows": rows, "table_open": table_open}
